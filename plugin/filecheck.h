/* filecheck.h -- refuse configuration and database files that others could change */
#ifndef FILECHECK_H
#define FILECHECK_H

#include <stddef.h>

/*
 * A plugin that runs as root and decides what is trusted must not read a
 * file that anyone but root (or its own effective uid) could have written:
 * the file itself, and every directory above it, since whoever can write a
 * directory can rename another file into place.  A directory with the
 * sticky bit (/tmp) is safe: there only a file's owner can rename it.
 */

/*
 * filecheck_fd - the open file fd (named path, absolute) is a regular file
 * owned by root or the effective uid and not writable by group or others,
 * and so is each directory from its parent up to "/" (sticky directories
 * excepted for group/other write).  Returns 0, or -1 with a reason naming
 * the culprit in err ("/etc/x.conf is writable by others (mode 0646)").
 */
int filecheck_fd(int fd, const char *path, char *err, size_t errlen);

/*
 * filecheck_path - filecheck_fd on path (relative or through symbolic
 * links: the directories judged are those of its real path).
 */
int filecheck_path(const char *path, char *err, size_t errlen);

#endif
