/* modcomp.c -- decompress xz, gzip and zstd kernel modules as a stream, with the libraries */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"	/* autotools; plugin/config.h is the plugin's */
#endif

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <lzma.h>
#include <zlib.h>
#ifdef HAVE_ZSTD
#include <zstd.h>
#include <zstd_errors.h>
#endif

#include "modcomp.h"

static int ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len > n && memcmp(s + len - n, suffix, n) == 0;
}

enum modcomp modcomp_by_name(const char *name, size_t len)
{
	if (name == NULL)
		return MODCOMP_NONE;
	if (ends_with(name, len, ".ko.xz"))
		return MODCOMP_XZ;
	if (ends_with(name, len, ".ko.gz"))
		return MODCOMP_GZIP;
	if (ends_with(name, len, ".ko.zst"))
		return MODCOMP_ZSTD;
	return MODCOMP_NONE;
}

int modcomp_available(enum modcomp kind)
{
	switch (kind) {
	case MODCOMP_XZ:
	case MODCOMP_GZIP:
		return 1;
	case MODCOMP_ZSTD:
#ifdef HAVE_ZSTD
		return 1;
#else
		return 0;
#endif
	default:
		return 0;
	}
}

const char *modcomp_name(enum modcomp kind)
{
	switch (kind) {
	case MODCOMP_XZ:
		return "xz";
	case MODCOMP_GZIP:
		return "gzip";
	case MODCOMP_ZSTD:
		return "zstd";
	default:
		return "none";
	}
}

/* The input side every decoder shares: pread from a moving offset. */
struct input {
	int fd;
	off_t off;
	unsigned char *buf;
	size_t cap;
};

/* input_fill - read the next chunk; returns bytes (0 at the end) or -errno. */
static ssize_t input_fill(struct input *in)
{
	ssize_t got;

	do
		got = pread(in->fd, in->buf, in->cap, in->off);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -(ssize_t)errno;
	in->off += got;
	return got;
}

static int stream_xz(struct input *in, unsigned char *out, size_t outsz,
		     int (*sink)(const unsigned char *, size_t, void *),
		     void *arg)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_action action = LZMA_RUN;
	lzma_ret lr;
	int r;

	lr = lzma_stream_decoder(&s, MODCOMP_MAX_MEMORY, 0);
	if (lr != LZMA_OK)
		return lr == LZMA_MEM_ERROR ? ENOMEM : EINVAL;
	for (;;) {
		if (s.avail_in == 0 && action == LZMA_RUN) {
			ssize_t got = input_fill(in);

			if (got < 0) {
				r = (int)-got;
				goto out;
			}
			if (got == 0)
				action = LZMA_FINISH;
			s.next_in = in->buf;
			s.avail_in = (size_t)got;
		}
		s.next_out = out;
		s.avail_out = outsz;
		lr = lzma_code(&s, action);
		if (s.avail_out < outsz &&
		    (r = sink(out, outsz - s.avail_out, arg)) != 0)
			goto out;
		if (lr == LZMA_STREAM_END)
			break;
		if (lr != LZMA_OK) {
			r = lr == LZMA_MEM_ERROR ? ENOMEM :
			    lr == LZMA_MEMLIMIT_ERROR ? EFBIG : EBADMSG;
			goto out;
		}
	}
	r = 0;
out:
	lzma_end(&s);
	return r;
}

static int stream_gzip(struct input *in, unsigned char *out, size_t outsz,
		       int (*sink)(const unsigned char *, size_t, void *),
		       void *arg)
{
	z_stream s;
	int zr, r, eof = 0;

	memset(&s, 0, sizeof(s));
	/* 16 + MAX_WBITS: a gzip header and trailer, not a zlib one. */
	if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK)
		return ENOMEM;
	for (;;) {
		if (s.avail_in == 0 && !eof) {
			ssize_t got = input_fill(in);

			if (got < 0) {
				r = (int)-got;
				goto out;
			}
			eof = got == 0;
			s.next_in = in->buf;
			s.avail_in = (uInt)got;
		}
		s.next_out = out;
		s.avail_out = (uInt)outsz;
		zr = inflate(&s, Z_NO_FLUSH);
		if (s.avail_out < outsz &&
		    (r = sink(out, outsz - s.avail_out, arg)) != 0)
			goto out;
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_BUF_ERROR && eof && s.avail_in == 0) {
			r = EBADMSG;	/* truncated */
			goto out;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			r = zr == Z_MEM_ERROR ? ENOMEM : EBADMSG;
			goto out;
		}
	}
	r = 0;
out:
	inflateEnd(&s);
	return r;
}

#ifdef HAVE_ZSTD
static int stream_zstd(struct input *in, unsigned char *out, size_t outsz,
		       int (*sink)(const unsigned char *, size_t, void *),
		       void *arg)
{
	ZSTD_DStream *ds = ZSTD_createDStream();
	ZSTD_inBuffer ib = { in->buf, 0, 0 };
	size_t zr = 1;
	int r, eof = 0, wlog = 0, full = 0;

	if (ds == NULL)
		return ENOMEM;
	while ((MODCOMP_MAX_MEMORY >> wlog) > 1)
		wlog++;
	if (ZSTD_isError(ZSTD_DCtx_setParameter(ds, ZSTD_d_windowLogMax,
						wlog))) {
		r = EINVAL;
		goto out;
	}
	for (;;) {
		ZSTD_outBuffer ob = { out, outsz, 0 };

		if (ib.pos == ib.size && !eof) {
			ssize_t got = input_fill(in);

			if (got < 0) {
				r = (int)-got;
				goto out;
			}
			eof = got == 0;
			ib.size = (size_t)got;
			ib.pos = 0;
		}
		if (ib.pos == ib.size && eof && !full) {
			r = EBADMSG;	/* truncated frame */
			goto out;
		}
		zr = ZSTD_decompressStream(ds, &ob, &ib);
		if (ZSTD_isError(zr)) {
			r = ZSTD_getErrorCode(zr) ==
			    ZSTD_error_frameParameter_windowTooLarge ?
			    EFBIG : ZSTD_getErrorCode(zr) ==
			    ZSTD_error_memory_allocation ? ENOMEM : EBADMSG;
			goto out;
		}
		full = ob.pos == ob.size;
		if (ob.pos > 0 && (r = sink(out, ob.pos, arg)) != 0)
			goto out;
		/* 0: the frame is complete and flushed. */
		if (zr == 0)
			break;
	}
	r = 0;
out:
	ZSTD_freeDStream(ds);
	return r;
}
#endif

int modcomp_stream(int fd, enum modcomp kind, unsigned char *inbuf,
		   size_t insz, unsigned char *outbuf, size_t outsz,
		   int (*sink)(const unsigned char *buf, size_t len, void *arg),
		   void *arg)
{
	struct input in;

	if (fd < 0 || inbuf == NULL || outbuf == NULL || sink == NULL ||
	    insz < 4096 || outsz < 4096 || insz > UINT32_MAX ||
	    outsz > UINT32_MAX)
		return EINVAL;
	in.fd = fd;
	in.off = 0;
	in.buf = inbuf;
	in.cap = insz;
	switch (kind) {
	case MODCOMP_XZ:
		return stream_xz(&in, outbuf, outsz, sink, arg);
	case MODCOMP_GZIP:
		return stream_gzip(&in, outbuf, outsz, sink, arg);
#ifdef HAVE_ZSTD
	case MODCOMP_ZSTD:
		return stream_zstd(&in, outbuf, outsz, sink, arg);
#endif
	default:
		return ENOTSUP;
	}
}
