/* syslog-sink.c -- a stand-in /dev/log for tests: write each datagram as one line */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/*
 * Usage: syslog-sink SOCKET OUTFILE
 * Binds an AF_UNIX datagram socket at SOCKET (as syslogd binds /dev/log),
 * creates OUTFILE once ready (so a test can wait for it), then appends
 * every message received, verbatim, one per line, until SIGTERM.
 */

static volatile sig_atomic_t done;

static void on_term(int sig)
{
	(void)sig;
	done = 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa;
	struct sigaction act;
	char buf[65536];
	FILE *out;
	ssize_t n;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: syslog-sink SOCKET OUTFILE\n");
		return 2;
	}
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_term;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "syslog-sink: socket path too long\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "syslog-sink: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	out = fopen(argv[2], "w");
	if (out == NULL) {
		fprintf(stderr, "syslog-sink: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	fflush(out);
	while (!done) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "syslog-sink: recv: %s\n", strerror(errno));
			break;
		}
		fwrite(buf, 1, (size_t)n, out);
		fputc('\n', out);
		fflush(out);
	}
	fclose(out);
	close(fd);
	unlink(argv[1]);
	return 0;
}
