/* refdb_sig.c -- signed manifests of the reference database with OpenSSL (Ed25519, RSA, ECDSA) */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "refdb.h"
#include "refdb_msg.h"
#include "refdb_sig.h"

/* Big enough that syscalls cost nothing next to sha256 itself. */
#define HASH_BUF (1024 * 1024)


int refdb_sig_manifest_path(const char *db_path, char *out, size_t cap)
{
	int n;

	if (db_path == NULL || *db_path == '\0' || out == NULL)
		return REFDB_E_INVAL;
	n = snprintf(out, cap, "%s.sig", db_path);
	return n < 0 || (size_t)n >= cap ? REFDB_E_INVAL : 0;
}

int refdb_sig_hash_fd(int fd, char hex[65], uint64_t *size, char *errbuf,
		      size_t errlen)
{
	EVP_MD_CTX *ctx = NULL;
	unsigned char *buf = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	uint64_t off = 0;
	int r = REFDB_E_NOMEM;

	if (fd < 0 || hex == NULL || size == NULL)
		return REFDB_E_INVAL;
	buf = malloc(HASH_BUF);
	ctx = EVP_MD_CTX_new();
	if (buf == NULL || ctx == NULL) {
		refdb_set_msg(errbuf, errlen, "out of memory");
		goto out;
	}
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		r = REFDB_E_INVAL;
		refdb_set_msg(errbuf, errlen, "OpenSSL cannot compute sha256");
		goto out;
	}
	for (;;) {
		ssize_t n = pread(fd, buf, HASH_BUF, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = REFDB_E_IO;
			refdb_set_msg(errbuf, errlen, "reading the database: %s",
				strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1) {
			r = REFDB_E_INVAL;
			refdb_set_msg(errbuf, errlen, "sha256 failed");
			goto out;
		}
		off += (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
		r = REFDB_E_INVAL;
		refdb_set_msg(errbuf, errlen, "sha256 failed");
		goto out;
	}
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	*size = off;
	r = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	return r;
}

/* ------------------------------------------------------------ manifest text */

/* is_hex64 - exactly 64 lowercase hex digits. */
static int is_hex64(const char *s, size_t len)
{
	size_t i;

	if (len != 64)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* parse_u64 - a decimal without sign or leading zero, in range. */
static int parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * The parsed manifest: the fields, where the signed part ends, and the
 * decoded signature.
 */
struct parsed {
	struct refdb_sig_info info;
	size_t signed_len;
	unsigned char sig[1024];
	size_t sig_len;
};

static const char *const field_names[] = {
	"sha256", "size", "release", "created", "key-id", "sig-algo",
	"signature"
};

/*
 * parse_manifest - check buf[0..len) line by line against the format of
 * refdb_sig.h: fixed order, one space after each name, nothing else.
 * Returns 0 or REFDB_E_SIG with the line and reason in msg.
 */
static int parse_manifest(const char *buf, size_t len, struct parsed *p,
			  char *msg, size_t msglen)
{
	char first[64];
	size_t pos = 0, line = 0, nf = sizeof(field_names) / sizeof(field_names[0]);

	memset(p, 0, sizeof(*p));
	if (memchr(buf, '\0', len) != NULL) {
		refdb_set_msg(msg, msglen, "NUL byte in the manifest");
		return REFDB_E_SIG;
	}
	snprintf(first, sizeof(first), "%s %d\n", REFDB_SIG_MAGIC,
		 REFDB_SIG_VERSION);
	if (len < strlen(first) || memcmp(buf, first, strlen(first)) != 0) {
		refdb_set_msg(msg, msglen,
			"line 1: not a version %d audisp-ima manifest",
			REFDB_SIG_VERSION);
		return REFDB_E_SIG;
	}
	pos = strlen(first);
	for (line = 0; line < nf; line++) {
		const char *name = field_names[line];
		size_t nlen = strlen(name);
		const char *nl = memchr(buf + pos, '\n', len - pos);
		const char *v;
		size_t vlen;

		if (nl == NULL) {
			refdb_set_msg(msg, msglen, "line %zu: missing or unterminated '%s'",
				line + 2, name);
			return REFDB_E_SIG;
		}
		if ((size_t)(nl - (buf + pos)) < nlen + 2 ||
		    memcmp(buf + pos, name, nlen) != 0 ||
		    buf[pos + nlen] != ' ') {
			refdb_set_msg(msg, msglen, "line %zu: expected '%s VALUE'",
				line + 2, name);
			return REFDB_E_SIG;
		}
		v = buf + pos + nlen + 1;
		vlen = (size_t)(nl - v);
		switch (line) {
		case 0:
			if (!is_hex64(v, vlen))
				goto bad;
			memcpy(p->info.sha256_hex, v, 64);
			break;
		case 1:
			if (parse_u64(v, vlen, &p->info.size) != 0)
				goto bad;
			break;
		case 2:
			if (parse_u64(v, vlen, &p->info.release) != 0 ||
			    p->info.release == 0)
				goto bad;
			break;
		case 3: {
			size_t i;

			if (vlen == 0 || vlen >= sizeof(p->info.created))
				goto bad;
			for (i = 0; i < vlen; i++)
				if (!strchr("0123456789-:TZ", v[i]))
					goto bad;
			memcpy(p->info.created, v, vlen);
			break;
		}
		case 4:
			if (!is_hex64(v, vlen))
				goto bad;
			memcpy(p->info.key_id, v, 64);
			break;
		case 5:
			if (!((vlen == 7 && memcmp(v, "ed25519", 7) == 0) ||
			      (vlen == 10 && memcmp(v, "rsa-sha256", 10) == 0) ||
			      (vlen == 12 && memcmp(v, "ecdsa-sha256", 12) == 0)))
				goto bad;
			memcpy(p->info.sig_algo, v, vlen);
			break;
		case 6: {
			unsigned char tmp[sizeof(p->sig) + 4];
			int n, pad = 0;

			p->signed_len = pos;
			if (vlen == 0 || vlen % 4 != 0 ||
			    vlen / 4 * 3 > sizeof(p->sig))
				goto bad;
			n = EVP_DecodeBlock(tmp, (const unsigned char *)v,
					    (int)vlen);
			if (n < 0)
				goto bad;
			if (v[vlen - 1] == '=')
				pad++;
			if (v[vlen - 2] == '=')
				pad++;
			p->sig_len = (size_t)n - (size_t)pad;
			memcpy(p->sig, tmp, p->sig_len);
			break;
		}
		}
		pos = (size_t)(nl - buf) + 1;
		continue;
bad:
		refdb_set_msg(msg, msglen, "line %zu: bad %s value", line + 2, name);
		return REFDB_E_SIG;
	}
	if (pos != len) {
		refdb_set_msg(msg, msglen, "line %zu: text after the signature",
			nf + 2);
		return REFDB_E_SIG;
	}
	return 0;
}

/* read_small - the whole of a file of at most REFDB_SIG_MAX_MANIFEST bytes. */
static int read_small(const char *path, char *buf, size_t *len, char *msg,
		      size_t msglen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t n = 0;
	int r = REFDB_E_IO;

	if (fd < 0) {
		r = errno == ENOENT ? REFDB_E_NOTFOUND : REFDB_E_IO;
		refdb_set_msg(msg, msglen, "%s: %s", path,
			r == REFDB_E_NOTFOUND ? "no signature manifest" :
			strerror(errno));
		return r;
	}
	for (;;) {
		ssize_t k = read(fd, buf + n, REFDB_SIG_MAX_MANIFEST + 1 - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			refdb_set_msg(msg, msglen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > REFDB_SIG_MAX_MANIFEST) {
			r = REFDB_E_SIG;
			refdb_set_msg(msg, msglen, "%s: longer than %d bytes", path,
				REFDB_SIG_MAX_MANIFEST);
			goto out;
		}
	}
	*len = n;
	r = 0;
out:
	close(fd);
	return r;
}

/*
 * load_manifest - read and parse the manifest at sig_path into *buf (its
 * bytes, which the signature covers) and *p, both malloc'd (free them
 * whatever the result).  Returns 0 or a REFDB_E_* code with errbuf set.
 */
static int load_manifest(const char *sig_path, char **buf, size_t *len,
			 struct parsed **p, char *errbuf, size_t errlen)
{
	char why[256];
	int r;

	*buf = malloc(REFDB_SIG_MAX_MANIFEST + 1);
	*p = malloc(sizeof(**p));
	if (*buf == NULL || *p == NULL)
		return REFDB_E_NOMEM;
	if ((r = read_small(sig_path, *buf, len, errbuf, errlen)) != 0)
		return r;
	if ((r = parse_manifest(*buf, *len, *p, why, sizeof(why))) != 0)
		refdb_set_msg(errbuf, errlen, "%s: %s", sig_path, why);
	return r;
}

int refdb_sig_read_manifest(const char *sig_path, struct refdb_sig_info *out,
			    char *errbuf, size_t errlen)
{
	char *buf = NULL;
	struct parsed *p = NULL;
	size_t len = 0;
	int r;

	if (sig_path == NULL || out == NULL)
		return REFDB_E_INVAL;
	r = load_manifest(sig_path, &buf, &len, &p, errbuf, errlen);
	if (r == 0)
		*out = p->info;
	free(p);
	free(buf);
	return r;
}

/* ------------------------------------------------------------ keys */

/* key_id_of - sha256 of the public half's DER SubjectPublicKeyInfo, hex. */
static int key_id_of(EVP_PKEY *key, char hex[65])
{
	unsigned char *der = NULL, md[32];
	unsigned int mdlen = 0, i;
	int n = i2d_PUBKEY(key, &der);

	if (n <= 0)
		return -1;
	if (EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32) {
		OPENSSL_free(der);
		return -1;
	}
	OPENSSL_free(der);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* sig_algo_of - the manifest's name for what this key signs with, or NULL. */
static const char *sig_algo_of(EVP_PKEY *key)
{
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_ED25519:
		return "ed25519";
	case EVP_PKEY_RSA:
		return EVP_PKEY_get_bits(key) >= 2048 ? "rsa-sha256" : NULL;
	case EVP_PKEY_EC:
		return "ecdsa-sha256";
	default:
		return NULL;
	}
}

/* load_key - a PEM private (priv = 1) or public key; NULL with msg. */
static EVP_PKEY *load_key(const char *path, int priv, char *msg,
			  size_t msglen)
{
	EVP_PKEY *key = NULL;
	FILE *f = fopen(path, "re");

	if (f == NULL) {
		refdb_set_msg(msg, msglen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	key = priv ? PEM_read_PrivateKey(f, NULL, NULL, NULL) :
		     PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (key == NULL) {
		refdb_set_msg(msg, msglen, "%s: not a PEM %s key", path,
			priv ? "private" : "public");
		return NULL;
	}
	if (sig_algo_of(key) == NULL) {
		refdb_set_msg(msg, msglen,
			"%s: unsupported key type (Ed25519, RSA >= 2048 bits or ECDSA)",
			path);
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

/* md_for - Ed25519 hashes inside the signature; RSA and ECDSA use sha256. */
static const EVP_MD *md_for(EVP_PKEY *key)
{
	return EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? NULL :
	       EVP_sha256();
}

/* ------------------------------------------------------------ verify */

int refdb_sig_verify_fd(int db_fd, const char *sig_path,
			const char *pubkey_path, struct refdb_sig_info *out,
			char *errbuf, size_t errlen)
{
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *ctx = NULL;
	struct parsed *p = NULL;
	char *buf = NULL, why[256], kid[65], hex[65];
	size_t len = 0;
	uint64_t size = 0;
	int r = REFDB_E_NOMEM;

	if (db_fd < 0 || sig_path == NULL || pubkey_path == NULL) {
		refdb_set_msg(errbuf, errlen, "bad arguments");
		return REFDB_E_INVAL;
	}
	if ((r = load_manifest(sig_path, &buf, &len, &p, errbuf, errlen)) != 0)
		goto out;
	key = load_key(pubkey_path, 0, errbuf, errlen);
	if (key == NULL) {
		r = REFDB_E_INVAL;
		goto out;
	}
	r = REFDB_E_SIG;
	if (key_id_of(key, kid) != 0 ||
	    strcmp(kid, p->info.key_id) != 0) {
		refdb_set_msg(errbuf, errlen, "%s: signed by key %.16s, not by %s (%.16s)",
			sig_path, p->info.key_id, pubkey_path, kid);
		goto out;
	}
	if (strcmp(sig_algo_of(key), p->info.sig_algo) != 0) {
		refdb_set_msg(errbuf, errlen, "%s: sig-algo %s does not fit the key",
			sig_path, p->info.sig_algo);
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL) {
		r = REFDB_E_NOMEM;
		goto out;
	}
	if (EVP_DigestVerifyInit(ctx, NULL, md_for(key), NULL, key) != 1 ||
	    EVP_DigestVerify(ctx, p->sig, p->sig_len,
			     (const unsigned char *)buf, p->signed_len) != 1) {
		refdb_set_msg(errbuf, errlen, "%s: the signature does not verify",
			sig_path);
		goto out;
	}
	r = refdb_sig_hash_fd(db_fd, hex, &size, why, sizeof(why));
	if (r != 0) {
		refdb_set_msg(errbuf, errlen, "%s", why);
		goto out;
	}
	if (size != p->info.size || strcmp(hex, p->info.sha256_hex) != 0) {
		r = REFDB_E_SIG;
		refdb_set_msg(errbuf, errlen,
			"the database (%" PRIu64 " bytes, sha256 %.16s...) is not the one %s signed (%" PRIu64 " bytes, sha256 %.16s...)",
			size, hex, sig_path, p->info.size, p->info.sha256_hex);
		goto out;
	}
	if (out != NULL)
		*out = p->info;
	r = 0;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	free(p);
	free(buf);
	return r;
}

int refdb_sig_verify_path(const char *db_path, const char *pubkey_path,
			  struct refdb_sig_info *out, char *errbuf,
			  size_t errlen)
{
	char sig[4096];
	int fd, r;

	if (refdb_sig_manifest_path(db_path, sig, sizeof(sig)) != 0) {
		refdb_set_msg(errbuf, errlen, "bad database path");
		return REFDB_E_INVAL;
	}
	fd = open(db_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		r = errno == ENOENT ? REFDB_E_NOTFOUND : REFDB_E_IO;
		refdb_set_msg(errbuf, errlen, "%s: %s", db_path, strerror(errno));
		return r;
	}
	r = refdb_sig_verify_fd(fd, sig, pubkey_path, out, errbuf, errlen);
	close(fd);
	return r;
}

/* ------------------------------------------------------------ sign */

/* write_atomically - buf into path by temporary file, fsync, rename, dir fsync. */
static int write_atomically(const char *path, const char *buf, size_t len,
			    char *msg, size_t msglen)
{
	size_t tlen = strlen(path) + 16, off = 0;
	char *tmp = malloc(tlen), *dir = NULL, *slash;
	int fd = -1, r = REFDB_E_IO;

	if (tmp == NULL)
		return REFDB_E_NOMEM;
	snprintf(tmp, tlen, "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		refdb_set_msg(msg, msglen, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return REFDB_E_IO;
	}
	if (fchmod(fd, 0644) != 0)
		goto fail;
	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	free(tmp);
	dir = strdup(path);
	if (dir != NULL) {
		int dfd;

		slash = strrchr(dir, '/');
		if (slash == NULL)
			strcpy(dir, ".");
		else if (slash == dir)
			dir[1] = '\0';
		else
			*slash = '\0';
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
		free(dir);
	}
	return 0;
fail:
	refdb_set_msg(msg, msglen, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return r;
}

int refdb_sign(const char *db_path, const char *key_path, uint64_t release,
	       struct refdb_sig_info *out, char *errbuf, size_t errlen)
{
	struct refdb_sig_info info, prev;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *ctx = NULL;
	unsigned char *sig = NULL;
	char sigpath[4096], *text = NULL, *b64 = NULL, why[256];
	size_t siglen = 0, n;
	struct tm tm;
	time_t now = time(NULL);
	int fd = -1, r = REFDB_E_INVAL, have_prev;

	memset(&info, 0, sizeof(info));
	if (db_path == NULL || key_path == NULL ||
	    refdb_sig_manifest_path(db_path, sigpath, sizeof(sigpath)) != 0) {
		refdb_set_msg(errbuf, errlen, "bad arguments");
		return REFDB_E_INVAL;
	}
	key = load_key(key_path, 1, errbuf, errlen);
	if (key == NULL)
		goto out;
	have_prev = refdb_sig_read_manifest(sigpath, &prev, NULL, 0) == 0;
	if (release == 0) {
		release = have_prev ? prev.release + 1 : 1;
	} else if (have_prev && release <= prev.release) {
		refdb_set_msg(errbuf, errlen,
			"release %" PRIu64 " is not larger than the signed release %" PRIu64 " (releases only grow)",
			release, prev.release);
		goto out;
	}
	info.release = release;
	fd = open(db_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		r = errno == ENOENT ? REFDB_E_NOTFOUND : REFDB_E_IO;
		refdb_set_msg(errbuf, errlen, "%s: %s", db_path, strerror(errno));
		goto out;
	}
	r = refdb_sig_hash_fd(fd, info.sha256_hex, &info.size, why,
			      sizeof(why));
	if (r != 0) {
		refdb_set_msg(errbuf, errlen, "%s: %s", db_path, why);
		goto out;
	}
	r = REFDB_E_INVAL;
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(info.created, sizeof(info.created),
		     "%Y-%m-%dT%H:%M:%SZ", &tm) == 0 ||
	    key_id_of(key, info.key_id) != 0) {
		refdb_set_msg(errbuf, errlen, "cannot describe the key");
		goto out;
	}
	snprintf(info.sig_algo, sizeof(info.sig_algo), "%s", sig_algo_of(key));
	text = malloc(REFDB_SIG_MAX_MANIFEST + 1);
	if (text == NULL) {
		r = REFDB_E_NOMEM;
		goto out;
	}
	n = (size_t)snprintf(text, REFDB_SIG_MAX_MANIFEST,
		"%s %d\nsha256 %s\nsize %" PRIu64 "\nrelease %" PRIu64
		"\ncreated %s\nkey-id %s\nsig-algo %s\n", REFDB_SIG_MAGIC,
		REFDB_SIG_VERSION, info.sha256_hex, info.size, info.release,
		info.created, info.key_id, info.sig_algo);
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL ||
	    EVP_DigestSignInit(ctx, NULL, md_for(key), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (unsigned char *)text, n) != 1 ||
	    siglen > 1024 || (sig = malloc(siglen)) == NULL ||
	    EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)text, n) != 1) {
		refdb_set_msg(errbuf, errlen, "%s: signing failed", key_path);
		goto out;
	}
	b64 = malloc(4 * ((siglen + 2) / 3) + 1);
	if (b64 == NULL) {
		r = REFDB_E_NOMEM;
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
	n += (size_t)snprintf(text + n, REFDB_SIG_MAX_MANIFEST - n,
			      "signature %s\n", b64);
	if (n >= REFDB_SIG_MAX_MANIFEST) {
		refdb_set_msg(errbuf, errlen, "manifest too long");
		goto out;
	}
	r = write_atomically(sigpath, text, n, errbuf, errlen);
	if (r != 0)
		goto out;
	if (out != NULL)
		*out = info;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	free(sig);
	free(b64);
	free(text);
	return r;
}
