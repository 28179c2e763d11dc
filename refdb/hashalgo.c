/* hashalgo.c -- the table of IMA's hash algorithms, and hex encoding of digests */
#include <string.h>
#include <strings.h>

#include "hashalgo.h"

/*
 * The kernel's hash_algo_name[] spellings, with digest sizes from
 * hash_digest_size[].  evp_name is NULL where OpenSSL 3 has no digest that
 * produces the same bytes (tiger, the truncated whirlpools, streebog without
 * the GOST engine).  md4, rmd160 and whirlpool live in OpenSSL's legacy
 * provider on some builds: callers must check EVP_MD_fetch() before use.
 */
static const struct hashalgo algos[] = {
	{ "md4",	 16, "MD4" },
	{ "md5",	 16, "MD5" },
	{ "sha1",	 20, "SHA1" },
	{ "rmd160",	 20, "RIPEMD160" },
	{ "sha256",	 32, "SHA256" },
	{ "sha384",	 48, "SHA384" },
	{ "sha512",	 64, "SHA512" },
	{ "sha224",	 28, "SHA224" },
	{ "rmd128",	 16, NULL },
	{ "rmd256",	 32, NULL },
	{ "rmd320",	 40, NULL },
	{ "wp256",	 32, NULL },
	{ "wp384",	 48, NULL },
	{ "wp512",	 64, "WHIRLPOOL" },
	{ "tgr128",	 16, NULL },
	{ "tgr160",	 20, NULL },
	{ "tgr192",	 24, NULL },
	{ "sm3",	 32, "SM3" },
	{ "streebog256", 32, NULL },
	{ "streebog512", 64, NULL },
	{ "sha3-256",	 32, "SHA3-256" },
	{ "sha3-384",	 48, "SHA3-384" },
	{ "sha3-512",	 64, "SHA3-512" },
};

#define N_ALGOS (sizeof(algos) / sizeof(algos[0]))

const struct hashalgo *hashalgo_by_name(const char *name, size_t len)
{
	size_t i;

	if (name == NULL || len == 0 || len >= HASHALGO_MAX_NAME)
		return NULL;
	if (memchr(name, '\0', len) != NULL)
		return NULL;
	/* Kernels before 5.11 called sm3 "sm3-256". */
	if (len == 7 && strncasecmp(name, "sm3-256", 7) == 0)
		return hashalgo_by_name("sm3", 3);
	for (i = 0; i < N_ALGOS; i++) {
		if (strlen(algos[i].name) == len &&
		    strncasecmp(algos[i].name, name, len) == 0)
			return &algos[i];
	}
	return NULL;
}

const struct hashalgo *hashalgo_by_digest_len(size_t len)
{
	switch (len) {
	case 20:
		return hashalgo_by_name("sha1", 4);
	case 32:
		return hashalgo_by_name("sha256", 6);
	case 48:
		return hashalgo_by_name("sha384", 6);
	case 64:
		return hashalgo_by_name("sha512", 6);
	default:
		return NULL;
	}
}

/* hex_value - the value of one hex digit, or -1. */
static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hashalgo_hex_decode(const char *hex, size_t hex_len, unsigned char *out,
			size_t out_len)
{
	size_t i;

	if (hex == NULL || out == NULL || out_len > (size_t)-1 / 2 ||
	    hex_len != 2 * out_len)
		return -1;
	for (i = 0; i < out_len; i++) {
		int hi = hex_value((unsigned char)hex[2 * i]);
		int lo = hex_value((unsigned char)hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

void hashalgo_hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

int hashalgo_is_zero(const unsigned char *digest, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (digest[i] != 0)
			return 0;
	return 1;
}
