/*
 * imahelper.c -- reach the IMA error paths a shell cannot (VM test guest)
 *
 *   imahelper mmap-writers FILE   map FILE shared and writable, then map it
 *                                 again PROT_EXEC: op=mmap_file
 *                                 cause=mmapped_writers
 *   imahelper mprotect FILE       map FILE PROT_READ, then mprotect it
 *                                 PROT_EXEC: op=collect_data
 *                                 cause=failed-mprotect
 *   imahelper directio FILE       open FILE with O_DIRECT: IMA cannot read
 *                                 it, op=collect_data cause=failed(directio)
 *
 * Built static on the host (gcc -static) so that it needs nothing in the
 * initramfs.  Exit status: 0 the call succeeded, 1 it failed (which is what
 * IMA in enforce mode makes happen), 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAP_LEN 4096

/* report - print what was tried and how it went; returns the exit status */
static int report(const char *what, int ok)
{
	if (ok)
		printf("%s: ok\n", what);
	else
		printf("%s: %s\n", what, strerror(errno));
	return ok ? 0 : 1;
}

/* mmap_writers - PROT_EXEC mapping of a file that is mapped writable */
static int mmap_writers(const char *path)
{
	void *w, *x;
	int wfd, xfd;

	wfd = open(path, O_RDWR);
	if (wfd < 0)
		return report("open O_RDWR", 0);
	w = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, wfd, 0);
	if (w == MAP_FAILED)
		return report("mmap shared writable", 0);
	xfd = open(path, O_RDONLY);
	if (xfd < 0)
		return report("open O_RDONLY", 0);
	x = mmap(NULL, MAP_LEN, PROT_READ | PROT_EXEC, MAP_PRIVATE, xfd, 0);
	return report("mmap PROT_EXEC while mapped writable", x != MAP_FAILED);
}

/* mprotect_exec - make a read-only mapping executable after the fact */
static int mprotect_exec(const char *path)
{
	void *p;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return report("open", 0);
	p = mmap(NULL, MAP_LEN, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return report("mmap PROT_READ", 0);
	return report("mprotect PROT_EXEC",
		      mprotect(p, MAP_LEN, PROT_READ | PROT_EXEC) == 0);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: imahelper mmap-writers|mprotect|directio FILE\n");
		return 2;
	}
	if (strcmp(argv[1], "mmap-writers") == 0)
		return mmap_writers(argv[2]);
	if (strcmp(argv[1], "mprotect") == 0)
		return mprotect_exec(argv[2]);
	if (strcmp(argv[1], "directio") == 0)
		return report("open O_DIRECT",
			      open(argv[2], O_RDONLY | O_DIRECT) >= 0);
	fprintf(stderr, "imahelper: unknown command %s\n", argv[1]);
	return 2;
}
