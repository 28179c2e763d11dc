/* refdb_msg.h -- the reference database modules' one error-message formatter (internal) */
#ifndef REFDB_MSG_H
#define REFDB_MSG_H

#include <stddef.h>

/*
 * refdb_set_msg - format a one-line message into buf (len bytes, cut and
 * NUL-terminated); buf may be NULL (the caller wants no message).
 */
__attribute__((format(printf, 3, 4)))
void refdb_set_msg(char *buf, size_t len, const char *fmt, ...);

#endif
