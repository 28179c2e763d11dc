/* sandbox.h -- least privilege after start-up: no capabilities, no new privileges, few system calls */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <stddef.h>

/*
 * auditd starts plugins as root with its full capability set.  Once the
 * plugin has opened its input and started its threads, it needs no
 * capability at all: the configuration and the database are root's files
 * (readable by uid 0 as owner without CAP_DAC_OVERRIDE), /dev/log is open
 * to everyone.  So every capability is dropped, no_new_privs is set, and
 * a seccomp filter confines the process to the system calls it makes.
 *
 * The filter's default for an unlisted call is to fail it with EPERM, not
 * to kill: a plugin that dies stops monitoring the machine (auditd
 * restarts it only a few times).  Calls with no business in this process
 * (exec, ptrace, module loading, mount, kexec, bpf, ...) kill it outright:
 * those are what an attacker who took over the parser would want.
 */

/*
 * sandbox_drop_privileges - drop all capabilities (all sets, bounding set
 * included) and set no_new_privs.  Returns 0, or -1 with a reason in err.
 */
int sandbox_drop_privileges(char *err, size_t errlen);

/*
 * sandbox_seccomp - load the system call filter for this process and every
 * thread (TSYNC).  Returns 0, or -1 with a reason in err (the plugin goes on
 * unconfined and says so).
 */
int sandbox_seccomp(char *err, size_t errlen);

#endif
