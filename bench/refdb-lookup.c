/* refdb-lookup.c -- the plugin's side of the reference database: open time, lookup rate, memory, signature verification rate */
/*
 * Built and run by bench/refdb-bench.sh (not by make check):
 *
 *   refdb-lookup DB N_ENTRIES PUBKEY
 *
 * DB is the generated database of bench/refdb-bench.sh: entry i is
 * /bench/dirNNN/fileNNNNNNN (NNN = i % 1000, 7 digits of i) with the
 * sha256 digest whose 32 bytes are i, big-endian.  PUBKEY verifies DB.sig.
 * Prints one "name value unit (target ...)" line per number.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "refdb.h"
#include "refdb_sig.h"

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A small, fast, reproducible generator (xorshift64*). */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

/* digits - n as exactly width decimal digits. */
static char *digits(char *p, uint64_t n, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + n % 10);
		n /= 10;
	}
	return p + width;
}

/* entry_path - the path of entry i into buf; returns its length. */
static size_t entry_path(char *buf, uint64_t i)
{
	char *p = buf;

	memcpy(p, "/bench/dir", 10);
	p = digits(p + 10, i % 1000, 3);
	memcpy(p, "/file", 5);
	p = digits(p + 5, i, 7);
	return (size_t)(p - buf);
}

static void entry_digest(unsigned char d[32], uint64_t i)
{
	int k;

	memset(d, 0, 32);
	for (k = 0; k < 8; k++)
		d[31 - k] = (unsigned char)(i >> (8 * k));
}

/*
 * lookup_mix - n lookups as the plugin makes them: 80% a known path with
 * its digest (match), 10% a known path with another digest (mismatch),
 * 5% an unknown path, 5% a known path measured in sha512 (no entry in
 * that algorithm).  Paths are drawn from the first `span` entries.
 * Returns the number of answers that were not what the mix expects.
 */
static long lookup_mix(struct refdb *db, uint64_t n, uint64_t span)
{
	struct refdb_path_result res;
	unsigned char d[64];
	char path[64];
	long wrong = 0;
	uint64_t k;

	for (k = 0; k < n; k++) {
		uint64_t r = rng(), i = (r >> 8) % span;
		unsigned kind = (unsigned)(r & 0xff) % 20;
		size_t len = entry_path(path, i);
		const char *algo = "sha256";
		size_t dlen = 32;

		entry_digest(d, i);
		if (kind == 0 || kind == 1) {
			d[0] ^= 0x80;			/* mismatch */
		} else if (kind == 2) {
			memcpy(path, "/other", 6);	/* unknown path */
		} else if (kind == 3) {
			algo = "sha512";		/* algorithm unavailable */
			dlen = 64;
			memset(d + 32, 0x11, 32);
		}
		if (refdb_check_path(db, path, len, algo, d, dlen, &res) != 0) {
			wrong++;
			continue;
		}
		if ((kind >= 4 && !res.match) ||
		    ((kind == 0 || kind == 1) && (res.match || !res.algo_known)) ||
		    (kind == 2 && res.path_known) ||
		    (kind == 3 && (!res.path_known || res.algo_known)))
			wrong++;
	}
	return wrong;
}

int main(int argc, char **argv)
{
	struct refdb *db = NULL;
	struct refdb_path_result res;
	struct refdb_sig_info si;
	struct rusage ru;
	unsigned char d[32];
	char path[64], err[512], sig[4096];
	double t0, t1, best_open = 1e9, secs, bytes;
	uint64_t n_entries, n = 1000000;
	long wrong;
	int i, fd, rounds;

	if (argc != 4) {
		fprintf(stderr, "usage: refdb-lookup DB N_ENTRIES PUBKEY\n");
		return 2;
	}
	n_entries = strtoull(argv[2], NULL, 10);
	if (n_entries < 1000) {
		fprintf(stderr, "refdb-lookup: N_ENTRIES must be 1000 or more\n");
		return 2;
	}

	/* 1. open to first answer: the plugin's start and every reload. */
	for (i = 0; i < 5; i++) {
		size_t len = entry_path(path, n_entries / 2);

		entry_digest(d, n_entries / 2);
		t0 = now_s();
		if (refdb_open_readonly(argv[1], &db, err, sizeof(err)) != 0) {
			fprintf(stderr, "refdb-lookup: %s\n", err);
			return 2;
		}
		if (refdb_check_path(db, path, len, "sha256", d, 32, &res) != 0 ||
		    !res.match) {
			fprintf(stderr, "refdb-lookup: first lookup failed\n");
			return 2;
		}
		t1 = now_s();
		if (t1 - t0 < best_open)
			best_open = t1 - t0;
		if (i < 4)
			refdb_close(db);
	}
	printf("open_to_first_lookup   %10.2f ms      (target < 50 ms; best of 5, OS cache warm)\n",
	       best_open * 1e3);

	/* 2. lookups per second over the whole database, then a hot set. */
	t0 = now_s();
	wrong = lookup_mix(db, n, n_entries);
	secs = now_s() - t0;
	printf("lookups_uniform        %10.0f /s      (target >= 300000; %llu random paths of %llu)\n",
	       (double)n / secs, (unsigned long long)n,
	       (unsigned long long)n_entries);
	t0 = now_s();
	wrong += lookup_mix(db, n, 5000);
	secs = now_s() - t0;
	printf("lookups_hot_set        %10.0f /s      (target >= 300000; a hot set of 5000 paths)\n",
	       (double)n / secs);
	if (wrong != 0) {
		fprintf(stderr, "refdb-lookup: %ld wrong answers\n", wrong);
		return 1;
	}

	/* 3. the memory of a process that opened the db and did 2M lookups. */
	getrusage(RUSAGE_SELF, &ru);
	printf("peak_rss_after_lookups %10.1f MiB     (target < 32 MiB)\n",
	       (double)ru.ru_maxrss / 1024.0);
	refdb_close(db);

	/* 4. signature verification, in process, as the plugin does it. */
	if (refdb_sig_manifest_path(argv[1], sig, sizeof(sig)) != 0)
		return 2;
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(argv[1]);
		return 2;
	}
	rounds = 0;
	bytes = 0;
	t0 = now_s();
	do {
		if (refdb_sig_verify_fd(fd, sig, argv[3], &si, err,
					sizeof(err)) != 0) {
			fprintf(stderr, "refdb-lookup: %s\n", err);
			return 1;
		}
		bytes += (double)si.size;
		rounds++;
	} while (now_s() - t0 < 1.0 || rounds < 3);
	secs = now_s() - t0;
	close(fd);
	printf("sig_verify             %10.2f GB/s    (target >= 1; %d rounds of %.1f MiB)\n",
	       bytes / secs / 1e9, rounds, (double)si.size / 1048576.0);

	/* The CPU's own sha256 rate over memory: the ceiling of 4. */
	{
		static unsigned char buf[1 << 20];
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen;
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		EVP_MD *sha = EVP_MD_fetch(NULL, "SHA256", NULL);
		int k;

		memset(buf, 0x5a, sizeof(buf));
		t0 = now_s();
		EVP_DigestInit_ex2(ctx, sha, NULL);
		for (k = 0; k < 1024; k++)
			EVP_DigestUpdate(ctx, buf, sizeof(buf));
		EVP_DigestFinal_ex(ctx, md, &mdlen);
		secs = now_s() - t0;
		printf("sha256_memory_baseline %10.2f GB/s    (EVP over a 1 MiB buffer, 1 GiB)\n",
		       1024.0 * 1048576.0 / secs / 1e9);
		EVP_MD_free(sha);
		EVP_MD_CTX_free(ctx);
	}
	return 0;
}
