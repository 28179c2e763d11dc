/* tarhash.c -- hash the regular files of a tar stream with OpenSSL */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tarhash.h"
#include "refdb_msg.h"

#define BLOCK 512
/* No file name in a package is longer. */
#define MAX_NAME 4096


/* octal - a tar numeric field (octal, or base-256 with the high bit). */
static int octal(const unsigned char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (n > 0 && (p[0] & 0x80)) {
		for (i = 1; i < n; i++) {
			if (v >> 56)
				return -1;
			v = (v << 8) | p[i];
		}
		*out = v;
		return 0;
	}
	while (i < n && p[i] == ' ')
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
		if (v >> 60)
			return -1;
		v = v * 8 + (uint64_t)(p[i] - '0');
	}
	if (i < n && p[i] != ' ' && p[i] != '\0')
		return -1;
	*out = v;
	return 0;
}

/* read_exact - n bytes or -1. */
static int read_exact(FILE *f, void *buf, size_t n)
{
	return fread(buf, 1, n, f) == n ? 0 : -1;
}

/* read_blob - a long-name or pax body of size bytes, padded to blocks. */
static char *read_blob(FILE *f, uint64_t size)
{
	uint64_t padded = (size + BLOCK - 1) / BLOCK * BLOCK;
	char *b;

	if (size > MAX_NAME * 4)
		return NULL;
	b = malloc((size_t)padded + 1);
	if (b == NULL || read_exact(f, b, (size_t)padded) != 0) {
		free(b);
		return NULL;
	}
	b[size] = '\0';
	return b;
}

/* pax_path - the value of "path=" in a pax extended header, malloc'd. */
static char *pax_path(const char *b, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		char *end;
		unsigned long rl = strtoul(b + pos, &end, 10);
		const char *kv = end + 1;

		if (end == b + pos || *end != ' ' || rl == 0 || rl > len - pos)
			return NULL;
		if ((size_t)(b + pos + rl - kv) > 5 && strncmp(kv, "path=", 5) == 0)
			return strndup(kv + 5, (size_t)(b + pos + rl - kv - 6));
		pos += rl;
	}
	return NULL;
}

struct seen {
	char *name;
	unsigned char d[SCAN_MAX_ALGOS][HASHALGO_MAX_DIGEST];
};

int tarhash_read(FILE *f, const struct hashalgo *const *algos, size_t n_algos,
		 int (*fn)(const char *name,
			   unsigned char digests[][HASHALGO_MAX_DIGEST],
			   void *arg),
		 void *arg, char *err, size_t errlen)
{
	unsigned char h[BLOCK], *buf = NULL;
	unsigned char d[SCAN_MAX_ALGOS][HASHALGO_MAX_DIGEST];
	EVP_MD_CTX *ctx[SCAN_MAX_ALGOS] = { NULL };
	struct seen *seen = NULL;
	size_t n_seen = 0, i;
	char *longname = NULL;
	int r = -1, zeros = 0;

	if (n_algos == 0 || n_algos > SCAN_MAX_ALGOS) {
		refdb_set_msg(err, errlen, "bad algorithm list");
		return -1;
	}
	buf = malloc(1 << 16);
	for (i = 0; i < n_algos; i++) {
		ctx[i] = EVP_MD_CTX_new();
		if (ctx[i] == NULL) {
			free(buf);
			buf = NULL;
		}
	}
	if (buf == NULL) {
		refdb_set_msg(err, errlen, "out of memory");
		goto out;
	}
	for (;;) {
		uint64_t size, left, sum = 0, want;
		char name[MAX_NAME + 1], *full;
		unsigned char type;

		if (read_exact(f, h, BLOCK) != 0) {
			refdb_set_msg(err, errlen, "truncated archive");
			goto out;
		}
		for (i = 0; i < BLOCK && h[i] == 0; i++)
			;
		if (i == BLOCK) {
			if (++zeros == 2)
				break;
			continue;
		}
		zeros = 0;
		for (i = 0; i < BLOCK; i++)
			sum += (i >= 148 && i < 156) ? ' ' : h[i];
		if (octal(h + 148, 8, &want) != 0 || want != sum ||
		    octal(h + 124, 12, &size) != 0) {
			refdb_set_msg(err, errlen, "bad tar header");
			goto out;
		}
		type = h[156];
		if (type == 'L' || type == 'x') {
			char *b = read_blob(f, size);

			if (b == NULL) {
				refdb_set_msg(err, errlen, "bad long name");
				goto out;
			}
			free(longname);
			longname = type == 'L' ? strndup(b, (size_t)size) :
				   pax_path(b, (size_t)size);
			free(b);
			continue;
		}
		if (longname != NULL) {
			snprintf(name, sizeof(name), "%s", longname);
			free(longname);
			longname = NULL;
		} else if (memcmp(h + 257, "ustar", 5) == 0 && h[345] != '\0') {
			snprintf(name, sizeof(name), "%.155s/%.100s",
				 (const char *)h + 345, (const char *)h);
		} else {
			snprintf(name, sizeof(name), "%.100s", (const char *)h);
		}
		full = name;
		while (full[0] == '.' && full[1] == '/')
			full += 2;
		if (type == '1') {
			const char *target = (const char *)h + 157;
			char tn[101];

			snprintf(tn, sizeof(tn), "%.100s", target);
			target = tn;
			while (target[0] == '.' && target[1] == '/')
				target += 2;
			for (i = 0; i < n_seen; i++)
				if (strcmp(seen[i].name, target) == 0)
					break;
			if (i < n_seen) {
				memcpy(d, seen[i].d, sizeof(d));
				r = fn(full, d, arg);
				if (r != 0)
					goto out;
			}
			r = -1;
			continue;
		}
		if (type != '0' && type != '\0') {
			/* directories, symlinks, devices: no content */
			uint64_t skip = (size + BLOCK - 1) / BLOCK * BLOCK;

			for (; skip > 0; skip -= BLOCK)
				if (read_exact(f, h, BLOCK) != 0) {
					refdb_set_msg(err, errlen, "truncated archive");
					goto out;
				}
			continue;
		}
		for (i = 0; i < n_algos; i++)
			if (EVP_DigestInit_ex(ctx[i], EVP_get_digestbyname(
				algos[i]->evp_name), NULL) != 1) {
				refdb_set_msg(err, errlen, "%s: not available",
					algos[i]->name);
				goto out;
			}
		left = (size + BLOCK - 1) / BLOCK * BLOCK;
		while (left > 0) {
			size_t chunk = left > (1 << 16) ? (1 << 16) : (size_t)left;
			uint64_t done = (size + BLOCK - 1) / BLOCK * BLOCK - left;
			size_t use;

			if (read_exact(f, buf, chunk) != 0) {
				refdb_set_msg(err, errlen, "%s: truncated", full);
				goto out;
			}
			use = done >= size ? 0 : (size - done < chunk ?
						 (size_t)(size - done) : chunk);
			for (i = 0; i < n_algos; i++)
				EVP_DigestUpdate(ctx[i], buf, use);
			left -= chunk;
		}
		for (i = 0; i < n_algos; i++) {
			unsigned int l = 0;

			EVP_DigestFinal_ex(ctx[i], d[i], &l);
		}
		{
			struct seen *ns = realloc(seen, (n_seen + 1) * sizeof(*ns));

			if (ns == NULL) {
				refdb_set_msg(err, errlen, "out of memory");
				goto out;
			}
			seen = ns;
			seen[n_seen].name = strdup(full);
			if (seen[n_seen].name == NULL) {
				refdb_set_msg(err, errlen, "out of memory");
				goto out;
			}
			memcpy(seen[n_seen].d, d, sizeof(d));
			n_seen++;
		}
		r = fn(full, d, arg);
		if (r != 0)
			goto out;
		r = -1;
	}
	r = 0;
out:
	for (i = 0; i < n_seen; i++)
		free(seen[i].name);
	free(seen);
	free(longname);
	for (i = 0; i < n_algos; i++)
		EVP_MD_CTX_free(ctx[i]);
	free(buf);
	return r;
}
