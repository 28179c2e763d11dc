/* refdb_sig.h -- signed manifests of the reference database: sign, verify, hash a file descriptor */
#ifndef REFDB_SIG_H
#define REFDB_SIG_H

/*
 * A database is signed by a small text file beside it, PATH.sig (see
 * refdb_sig_manifest_path()), whose exact format ima-refdb.db(5) defines:
 *
 *   audisp-ima-refdb-manifest 1
 *   sha256 <64 lowercase hex digits: the sha256 of the whole database file>
 *   size <decimal bytes of the database file>
 *   release <decimal, 1 or more; each signed release of a database is larger>
 *   created <ISO 8601 UTC: 2024-05-01T12:00:00Z>
 *   key-id <64 lowercase hex digits: sha256 of the public key's DER SubjectPublicKeyInfo>
 *   sig-algo <ed25519 | rsa-sha256 | ecdsa-sha256>
 *   signature <base64 of the signature over every byte before this line>
 *
 * Every line ends with "\n", no other line or byte is allowed, and the
 * file is at most REFDB_SIG_MAX_MANIFEST bytes.  What is signed is the
 * manifest, not the database (OpenSSL 3.0 signs Ed25519 only in one shot,
 * over a buffer): the database is bound to the signature by its sha256 and
 * size.
 *
 * The plugin's way to load a signed database (the old one keeps serving
 * until this succeeds; all of it runs off the event path):
 *
 *   int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
 *   struct refdb_sig_info si;
 *   r = refdb_sig_verify_fd(fd, sigpath, verify_key, &si, err, sizeof(err));
 *   if (r != 0)                      -> db_rejected (REFDB_E_SIG: bad or
 *                                       missing manifest/signature/digest)
 *   if (si.release < release_in_force) -> db_rejected (rollback)
 *   r = refdb_open_readonly_fd(fd, path, &db, err, sizeof(err));
 *   close(fd);                        (the handle keeps its own descriptor)
 *   log si.sha256_hex and si.release
 *
 * refdb_open_readonly_fd() opens the very inode fd refers to, even if the
 * name has been replaced or unlinked in between, so what was verified is
 * what is read.  For an unsigned database, refdb_sig_hash_fd() gives the
 * sha256 and size to log.
 *
 * Return codes are the REFDB_E_* of refdb.h; errbuf (may be NULL) gets a
 * one-line reason naming the file.
 */

#include <stddef.h>
#include <stdint.h>

/* The manifest's first line, without its version number. */
#define REFDB_SIG_MAGIC "audisp-ima-refdb-manifest"
/* The manifest format version this code writes and reads. */
#define REFDB_SIG_VERSION 1
/* A longer manifest is refused unread (a 4096-bit RSA signature fits). */
#define REFDB_SIG_MAX_MANIFEST 8192

/* The signed fields of a manifest. */
struct refdb_sig_info {
	char sha256_hex[65];	/* the database file's sha256, lowercase hex */
	uint64_t size;		/* the database file's size in bytes */
	uint64_t release;	/* the release number (>= 1) */
	char created[40];	/* ISO 8601 UTC, as written in the manifest */
	char key_id[65];	/* sha256 of the signer's public key (DER SPKI), hex */
	char sig_algo[16];	/* "ed25519", "rsa-sha256" or "ecdsa-sha256" */
};

/*
 * refdb_sig_manifest_path - the manifest path of the database at db_path:
 * db_path with ".sig" appended.  Returns 0, or REFDB_E_INVAL when it does
 * not fit in cap bytes (NUL included).
 */
int refdb_sig_manifest_path(const char *db_path, char *out, size_t cap);

/*
 * refdb_sig_hash_fd - stream the whole file fd refers to through sha256
 * with pread() (the file offset is not moved) and a 1 MiB buffer.  Fills
 * hex (65 bytes: 64 digits and a NUL) and *size.  Returns 0, REFDB_E_IO or
 * REFDB_E_NOMEM.  About 1.7 GB/s on a CPU with SHA extensions.
 */
int refdb_sig_hash_fd(int fd, char hex[65], uint64_t *size, char *errbuf,
		      size_t errlen);

/*
 * refdb_sig_verify_fd - verify the database open on db_fd against the
 * manifest at sig_path with the public key (PEM, SubjectPublicKeyInfo:
 * `openssl pkey -pubout`) at pubkey_path:
 *   1. the manifest parses (format version REFDB_SIG_VERSION exactly),
 *   2. its signature verifies with the key (Ed25519 directly, RSA and
 *      ECDSA over sha256; the key type must agree with sig-algo),
 *   3. key-id names this key,
 *   4. the file's size and sha256 (refdb_sig_hash_fd) equal the manifest's.
 * On success fills *out (may be NULL) and returns 0.  Returns
 * REFDB_E_NOTFOUND when the manifest does not exist (an unsigned database),
 * REFDB_E_SIG when any check fails (errbuf says which), REFDB_E_INVAL for
 * a key file that is not a usable public key, REFDB_E_IO, REFDB_E_NOMEM.
 * Does not judge the release: compare out->release with the one in force.
 */
int refdb_sig_verify_fd(int db_fd, const char *sig_path,
			const char *pubkey_path, struct refdb_sig_info *out,
			char *errbuf, size_t errlen);

/*
 * refdb_sig_verify_path - refdb_sig_verify_fd on db_path (opened
 * O_NOFOLLOW) and its manifest refdb_sig_manifest_path(db_path).
 */
int refdb_sig_verify_path(const char *db_path, const char *pubkey_path,
			  struct refdb_sig_info *out, char *errbuf,
			  size_t errlen);

/*
 * refdb_sig_read_manifest - parse the manifest at sig_path WITHOUT checking
 * its signature (for `ima-refdb info` and for the next release number).
 * Returns 0 with *out, REFDB_E_NOTFOUND, REFDB_E_SIG (malformed), REFDB_E_IO.
 */
int refdb_sig_read_manifest(const char *sig_path, struct refdb_sig_info *out,
			    char *errbuf, size_t errlen);

/*
 * refdb_sign - write the signed manifest of the database at db_path to
 * refdb_sig_manifest_path(db_path), published atomically (temporary file,
 * fsync, rename, fsync of the directory).  key_path is a PEM private key:
 * Ed25519 (the default choice), RSA (2048 bits or more) or ECDSA.
 * release 0 means "one more than the existing manifest's release" (1 when
 * there is none or it is unreadable); an explicit release must be larger
 * than the existing manifest's (REFDB_E_INVAL otherwise: releases only
 * grow).  On success fills *out (may be NULL).  Returns 0, REFDB_E_INVAL
 * (unusable key, bad release), REFDB_E_NOTFOUND (no database), REFDB_E_IO,
 * REFDB_E_NOMEM.
 */
int refdb_sign(const char *db_path, const char *key_path, uint64_t release,
	       struct refdb_sig_info *out, char *errbuf, size_t errlen);

#endif
