/* filecheck.c -- refuse configuration and database files that others could change */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filecheck.h"

/* owner_ok - root or us. */
static int owner_ok(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

/* check_dirs - every directory above path (absolute) passes. */
static int check_dirs(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	if (path[0] != '/' || strlen(path) >= sizeof(dir)) {
		snprintf(err, errlen, "%s: not an absolute path", path);
		return -1;
	}
	strcpy(dir, path);
	for (;;) {
		slash = strrchr(dir, '/');
		if (slash == NULL)
			return 0;
		if (slash == dir)
			slash[1] = '\0';	/* "/" itself */
		else
			*slash = '\0';
		if (stat(dir, &st) != 0) {
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
			return -1;
		}
		if (!owner_ok(&st)) {
			snprintf(err, errlen,
				 "directory %s is owned by uid %u, not root",
				 dir, (unsigned)st.st_uid);
			return -1;
		}
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
		    !(st.st_mode & S_ISVTX)) {
			snprintf(err, errlen,
				 "directory %s is writable by %s (mode %04o)",
				 dir, (st.st_mode & S_IWOTH) ? "others" : "its group",
				 (unsigned)(st.st_mode & 07777));
			return -1;
		}
		if (dir[1] == '\0')
			return 0;
	}
}

int filecheck_fd(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		return -1;
	}
	if (!owner_ok(&st)) {
		snprintf(err, errlen, "%s is owned by uid %u, not root", path,
			 (unsigned)st.st_uid);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s is writable by %s (mode %04o)", path,
			 (st.st_mode & S_IWOTH) ? "others" : "its group",
			 (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return check_dirs(path, err, errlen);
}

int filecheck_path(const char *path, char *err, size_t errlen)
{
	char real[PATH_MAX];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int rc;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* the directories to judge are those of the file's real path */
	if (realpath(path, real) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	rc = filecheck_fd(fd, real, err, errlen);
	close(fd);
	return rc;
}
