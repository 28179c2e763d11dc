/* hashalgo.h -- the hash algorithms IMA names, their digest sizes and OpenSSL names */
#ifndef HASHALGO_H
#define HASHALGO_H

#include <stddef.h>

/* The longest digest any supported algorithm produces (sha512, streebog512). */
#define HASHALGO_MAX_DIGEST 64
/* The longest algorithm name, NUL included ("streebog512", "sha3-512"). */
#define HASHALGO_MAX_NAME 16

struct hashalgo {
	const char *name;	/* the kernel's spelling: "sha256" */
	size_t digest_len;	/* bytes */
	const char *evp_name;	/* OpenSSL EVP_get_digestbyname() name, or NULL */
};

/*
 * hashalgo_by_name - look up an algorithm by the name the kernel prints in
 * hash="ALGO:HEX" or a manifest uses.  Case-insensitive; the old kernels'
 * "sm3-256" is an alias of "sm3".  Returns NULL for an unknown name.
 */
const struct hashalgo *hashalgo_by_name(const char *name, size_t len);

/*
 * hashalgo_by_digest_len - the algorithm a bare hex digest of this many
 * bytes most likely is, for manifests without a tag: 20 sha1, 32 sha256,
 * 48 sha384, 64 sha512.  NULL otherwise.
 */
const struct hashalgo *hashalgo_by_digest_len(size_t len);

/*
 * hashalgo_hex_decode - decode exactly 2*out_len hex digits (either case)
 * from hex[0..hex_len) into out.  Returns 0, or -1 when the length is wrong
 * or a character is not hex.
 */
int hashalgo_hex_decode(const char *hex, size_t hex_len, unsigned char *out,
			size_t out_len);

/*
 * hashalgo_hex_encode - write 2*len lowercase hex digits and a NUL into out,
 * which must hold 2*len+1 bytes.
 */
void hashalgo_hex_encode(const unsigned char *in, size_t len, char *out);

/* hashalgo_is_zero - 1 when every byte of the digest is zero. */
int hashalgo_is_zero(const unsigned char *digest, size_t len);

#endif
