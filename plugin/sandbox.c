/* sandbox.c -- least privilege after start-up: no capabilities, no new privileges, few system calls */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include <cap-ng.h>
#include <seccomp.h>

#include "sandbox.h"

int sandbox_drop_privileges(char *err, size_t errlen)
{
	int rc;

	capng_clear(CAPNG_SELECT_BOTH);
	/* CAPNG_SELECT_BOUNDS needs CAP_SETPCAP: only root has it to drop. */
	capng_apply(CAPNG_SELECT_BOUNDS);
	rc = capng_apply(CAPNG_SELECT_BOTH);
	if (rc != 0) {
		snprintf(err, errlen, "cannot drop capabilities (capng_apply %d)",
			 rc);
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "cannot set no_new_privs: %s",
			 strerror(errno));
		return -1;
	}
#if defined(__SANITIZE_ADDRESS__)
	/*
	 * XXX: dropping capabilities made the process non-dumpable, and
	 * LeakSanitizer's exit-time scan must read /proc/self/task.  Only
	 * sanitizer builds (tests) turn it back; production stays as it is.
	 */
	(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif
	return 0;
}

/*
 * What the running plugin calls: reading stdin, poll, the clock, memory,
 * threads (futex), signals, syslog's socket, opening and reading the
 * configuration and database on reload (SQLite, OpenSSL), stat for the
 * database watch, and exit.
 */
static const char *const allowed[] = {
	"read", "readv", "pread64", "write", "writev", "pwrite64",
	"poll", "ppoll", "select", "pselect6", "epoll_wait", "epoll_pwait",
	"openat", "open", "close", "lseek", "fstat", "newfstatat", "stat",
	"lstat", "statx", "fstatfs", "access", "faccessat", "faccessat2",
	"readlink", "readlinkat", "getcwd", "fcntl", "ioctl", "dup", "dup2",
	"dup3", "unlink", "unlinkat", "fsync", "fdatasync", "flock",
	"getdents64", "getdents",
	"mmap", "munmap", "mremap", "mprotect", "brk", "madvise",
	"futex", "set_robust_list", "get_robust_list", "rseq",
	"sched_yield", "sched_getaffinity", "nanosleep", "clock_nanosleep",
	"clock_gettime", "gettimeofday", "time", "getrandom",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait",
	"sigaltstack", "tgkill", "kill",
	"socket", "connect", "sendto", "sendmsg", "send", "getsockopt",
	"getpid", "gettid", "getppid", "getuid", "geteuid", "getgid",
	"getegid", "getresuid", "getresgid", "uname", "sysinfo", "prctl",
	"capget", "getrlimit", "prlimit64", "umask",
	"exit", "exit_group", "restart_syscall",
	"eventfd2", "pipe", "pipe2", "timerfd_create", "timerfd_settime",
	/* glibc may start or reap threads late (none are created after start) */
	"clone", "clone3", "wait4",
};

static const char *const fatal[] = {
	"execve", "execveat", "ptrace", "process_vm_readv",
	"process_vm_writev", "init_module", "finit_module", "delete_module",
	"kexec_load", "kexec_file_load", "mount", "umount2", "pivot_root",
	"chroot", "bpf", "perf_event_open", "setuid", "setgid", "setreuid",
	"setregid", "setresuid", "setresgid", "setgroups", "keyctl",
	"add_key", "request_key", "unshare", "setns", "swapon", "swapoff",
	"reboot", "iopl", "ioperm",
};

int sandbox_seccomp(char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	size_t i;
	int rc, nr;

	ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (ctx == NULL) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	for (i = 0; rc == 0 && i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		nr = seccomp_syscall_resolve_name(allowed[i]);
		if (nr != __NR_SCMP_ERROR)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	for (i = 0; rc == 0 && i < sizeof(fatal) / sizeof(fatal[0]); i++) {
		nr = seccomp_syscall_resolve_name(fatal[i]);
		if (nr != __NR_SCMP_ERROR)
			rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, nr, 0);
	}
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0) {
		snprintf(err, errlen, "cannot load the seccomp filter: %s",
			 strerror(-rc));
		return -1;
	}
	return 0;
}
