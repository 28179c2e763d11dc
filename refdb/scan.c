/* scan.c -- walk directory trees without following symlinks and hash regular files in a thread pool */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"	/* autotools; plugin/config.h is the plugin's */
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* O_NOATIME */
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "modcomp.h"
#include "scan.h"

/* Big reads: hashing is memory-bound, syscalls are not free. */
#define SCAN_BUFSIZE (256 * 1024)
/* Deeper trees than this are loops made by bind mounts or malice. */
#define SCAN_MAX_DEPTH 1024
#define SCAN_MAX_THREADS 32
/* Symbolic links resolved in an image root's path before giving up. */
#define SCAN_MAX_LINKS 40
/*
 * The hard-link cache: inodes with more than one link, hashed once.  An
 * entry leaves when its last link has been seen; past this budget new
 * inodes are not cached (their links are hashed again: slower, not wrong).
 */
#define LINK_BUCKETS 4096
#define LINK_BUDGET (8u << 20)

/* One worker's hashing state: a context per algorithm and buffers. */
struct hasher {
	EVP_MD_CTX *ctx[SCAN_MAX_ALGOS];
	unsigned char *buf;
	unsigned char *zbuf;	/* decompressed module data, allocated on first use */
};

enum { LINK_PENDING, LINK_DONE, LINK_FAILED };

/* One hard-linked inode: its digests once its first path is hashed. */
struct link_entry {
	struct link_entry *next;
	dev_t dev;
	ino_t ino;
	nlink_t left;		/* links still to be seen */
	int state;		/* LINK_* */
	int err;		/* LINK_FAILED: why */
	int module, module_err;
	size_t size;		/* bytes of this allocation, for the budget */
	unsigned char digests[SCAN_MAX_ALGOS][HASHALGO_MAX_DIGEST];
	unsigned char module_digests[SCAN_MAX_ALGOS][HASHALGO_MAX_DIGEST];
};

/* A regular file on its way through the pool. */
struct job {
	char *path;
	size_t path_len;
	int fd;
	int err;		/* errno of a failed read, 0 when hashed */
	uint64_t bytes;
	unsigned char digests[SCAN_MAX_ALGOS][HASHALGO_MAX_DIGEST];
	enum modcomp comp;	/* a compressed module: hash it decompressed too */
	int module_err;		/* errno of a failed decompression */
	unsigned char module_digests[SCAN_MAX_ALGOS][HASHALGO_MAX_DIGEST];
	struct link_entry *link;	/* NULL, or the cache entry to fill */
};

/*
 * The pool: cap job slots cycle free -> todo -> (a worker) -> done ->
 * (delivered on the calling thread) -> free, so at most cap files are open
 * and in memory at any time.
 */
struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work_cv;	/* todo grew, or stop */
	pthread_cond_t done_cv;	/* done grew */
	struct job *slots;
	size_t cap;
	size_t *todo, todo_head, todo_n;
	size_t *done, done_head, done_n;
	size_t *free_ids, free_n;
	int stop;		/* no more work: workers exit */
	int cancel;		/* on_file said stop: skip hashing */
	pthread_t *threads;
	unsigned n_threads, started;
	EVP_MD *const *md;
	size_t n_md;
};

struct walk {
	const struct scan_options *opt;
	int (*on_file)(const struct scan_result *r, void *arg);
	void (*on_error)(const char *msg, void *arg);
	void *arg;
	struct scan_stats *stats;
	EVP_MD *md[SCAN_MAX_ALGOS];
	size_t n_md;
	struct pool *pool;	/* NULL: hash on the calling thread */
	struct hasher inline_hasher;
	char *path;		/* the path being visited */
	size_t len, cap;
	dev_t root_dev;
	int rc;			/* first non-zero on_file value */
	int img_fd;		/* opt->image_root open, or -1 */
	struct link_entry *links[LINK_BUCKETS];
	size_t link_bytes;
};

/* report - format and pass one message to on_error. */
__attribute__((format(printf, 2, 3)))
static void report(struct walk *w, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (w->on_error == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->on_error(msg, w->arg);
}

const char *scan_skip_name(enum scan_skip why)
{
	switch (why) {
	case SCAN_SKIP_SYMLINK:
		return "symlink";
	case SCAN_SKIP_DEVICE:
		return "device";
	case SCAN_SKIP_FIFO:
		return "fifo";
	case SCAN_SKIP_SOCKET:
		return "socket";
	case SCAN_SKIP_OTHER_TYPE:
		return "not a regular file";
	case SCAN_SKIP_OTHER_FS:
		return "other filesystem";
	case SCAN_SKIP_EXCLUDED:
		return "excluded";
	case SCAN_SKIP_CHANGED:
		return "changed during the scan";
	}
	return "?";
}

/* skip - tell on_skip about the current path. */
static void skip(struct walk *w, enum scan_skip why)
{
	if (w->opt->on_skip != NULL)
		w->opt->on_skip(w->path, w->len, why, w->opt->skip_arg);
}

static void hasher_free(struct hasher *h)
{
	size_t i;

	for (i = 0; i < SCAN_MAX_ALGOS; i++) {
		EVP_MD_CTX_free(h->ctx[i]);
		h->ctx[i] = NULL;
	}
	free(h->buf);
	h->buf = NULL;
	free(h->zbuf);
	h->zbuf = NULL;
}

static int hasher_init(struct hasher *h, size_t n)
{
	size_t i;

	memset(h, 0, sizeof(*h));
	h->buf = malloc(SCAN_BUFSIZE);
	if (h->buf == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		h->ctx[i] = EVP_MD_CTX_new();
		if (h->ctx[i] == NULL) {
			hasher_free(h);
			return -1;
		}
	}
	return 0;
}

/*
 * hash_fd - read fd to its end through every digest.  Returns 0, or an
 * errno value (EIO when OpenSSL fails).
 */
static int hash_fd(struct hasher *h, EVP_MD *const *md, size_t n, int fd,
		   unsigned char digests[][HASHALGO_MAX_DIGEST],
		   uint64_t *bytes)
{
	uint64_t total = 0;
	size_t i;
	ssize_t got;

	for (i = 0; i < n; i++)
		if (EVP_DigestInit_ex2(h->ctx[i], md[i], NULL) != 1)
			return EIO;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (;;) {
		got = read(fd, h->buf, SCAN_BUFSIZE);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return errno;
		if (got == 0)
			break;
		total += (uint64_t)got;
		for (i = 0; i < n; i++)
			if (EVP_DigestUpdate(h->ctx[i], h->buf,
					     (size_t)got) != 1)
				return EIO;
	}
	for (i = 0; i < n; i++) {
		unsigned int len = 0;

		if (EVP_DigestFinal_ex(h->ctx[i], digests[i], &len) != 1 ||
		    len != (unsigned int)EVP_MD_get_size(md[i]))
			return EIO;
	}
	if (bytes != NULL)
		*bytes = total;
	return 0;
}

struct module_sink {
	EVP_MD_CTX *const *ctx;
	size_t n;
};

static int module_sink_update(const unsigned char *buf, size_t len, void *arg)
{
	const struct module_sink *s = arg;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (EVP_DigestUpdate(s->ctx[i], buf, len) != 1)
			return EIO;
	return 0;
}

/*
 * hash_module - the digests of the decompressed content of the module
 * open on fd.  Returns 0 or an errno value (see modcomp_stream()).
 */
static int hash_module(struct hasher *h, EVP_MD *const *md, size_t n, int fd,
		       enum modcomp comp,
		       unsigned char digests[][HASHALGO_MAX_DIGEST])
{
	struct module_sink sink = { h->ctx, n };
	size_t i;
	int err;

	if (!modcomp_available(comp))
		return ENOTSUP;
	if (h->zbuf == NULL && (h->zbuf = malloc(SCAN_BUFSIZE)) == NULL)
		return ENOMEM;
	for (i = 0; i < n; i++)
		if (EVP_DigestInit_ex2(h->ctx[i], md[i], NULL) != 1)
			return EIO;
	err = modcomp_stream(fd, comp, h->buf, SCAN_BUFSIZE, h->zbuf,
			     SCAN_BUFSIZE, module_sink_update, &sink);
	if (err != 0)
		return err;
	for (i = 0; i < n; i++) {
		unsigned int len = 0;

		if (EVP_DigestFinal_ex(h->ctx[i], digests[i], &len) != 1 ||
		    len != (unsigned int)EVP_MD_get_size(md[i]))
			return EIO;
	}
	return 0;
}

/* hash_job - the file's digests, and a compressed module's decompressed ones. */
static void hash_job(struct hasher *h, EVP_MD *const *md, size_t n,
		     struct job *j)
{
	j->err = hash_fd(h, md, n, j->fd, j->digests, &j->bytes);
	if (j->err == 0 && j->comp != MODCOMP_NONE)
		j->module_err = hash_module(h, md, n, j->fd, j->comp,
					    j->module_digests);
}

/* open_noatime - openat with O_NOATIME, which only the owner (or CAP_FOWNER) may use. */
static int open_noatime(int dfd, const char *name, int flags)
{
	int fd = openat(dfd, name, flags | O_NOATIME);

	if (fd < 0 && errno == EPERM)
		fd = openat(dfd, name, flags);
	return fd;
}

/* fetch_md - OpenSSL's implementation of algo, or NULL. */
static EVP_MD *fetch_md(const struct hashalgo *algo)
{
	EVP_MD *md;

	if (algo == NULL || algo->evp_name == NULL)
		return NULL;
	md = EVP_MD_fetch(NULL, algo->evp_name, NULL);
	if (md != NULL && (size_t)EVP_MD_get_size(md) != algo->digest_len) {
		EVP_MD_free(md);
		md = NULL;
	}
	return md;
}

int scan_algo_available(const struct hashalgo *algo)
{
	EVP_MD *md = fetch_md(algo);

	EVP_MD_free(md);
	return md != NULL;
}

/*
 * hash_path - scan_hash_file, and with module != NULL also a compressed
 * module's decompressed digests into module (*module_err: 0, or why not;
 * ENOTSUP when the name is not a compressed module's).
 */
static int hash_path(const char *path, const struct hashalgo *const *algos,
		     size_t n_algos,
		     unsigned char digests[][HASHALGO_MAX_DIGEST],
		     uint64_t *bytes,
		     unsigned char module[][HASHALGO_MAX_DIGEST],
		     int *module_err)
{
	EVP_MD *md[SCAN_MAX_ALGOS] = { NULL };
	struct hasher h;
	struct stat st;
	int fd = -1, err = EINVAL, r = -1;
	size_t i;

	memset(&h, 0, sizeof(h));
	if (path == NULL || algos == NULL || n_algos == 0 ||
	    n_algos > SCAN_MAX_ALGOS || digests == NULL)
		goto out;
	for (i = 0; i < n_algos; i++) {
		md[i] = fetch_md(algos[i]);
		if (md[i] == NULL) {
			err = ENOSYS;
			goto out;
		}
	}
	if (hasher_init(&h, n_algos) != 0) {
		err = ENOMEM;
		goto out;
	}
	fd = open_noatime(AT_FDCWD, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
			  O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0) {
		err = errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto out;
	}
	err = hash_fd(&h, md, n_algos, fd, digests, bytes);
	if (err == 0)
		r = 0;
	if (err == 0 && module != NULL) {
		enum modcomp comp = modcomp_by_name(path, strlen(path));

		*module_err = comp == MODCOMP_NONE ? ENOTSUP :
			      hash_module(&h, md, n_algos, fd, comp, module);
	}
out:
	if (fd >= 0)
		close(fd);
	hasher_free(&h);
	for (i = 0; i < SCAN_MAX_ALGOS; i++)
		EVP_MD_free(md[i]);
	if (r != 0)
		errno = err;
	return r;
}

int scan_hash_file(const char *path, const struct hashalgo *const *algos,
		   size_t n_algos,
		   unsigned char digests[][HASHALGO_MAX_DIGEST],
		   uint64_t *bytes)
{
	return hash_path(path, algos, n_algos, digests, bytes, NULL, NULL);
}

int scan_hash_file_module(const char *path,
			  const struct hashalgo *const *algos, size_t n_algos,
			  unsigned char digests[][HASHALGO_MAX_DIGEST],
			  uint64_t *bytes,
			  unsigned char module[][HASHALGO_MAX_DIGEST],
			  int *module_err)
{
	*module_err = ENOTSUP;
	return hash_path(path, algos, n_algos, digests, bytes, module,
			 module_err);
}

/* ------------------------------------------------------------ the pool */

static void *worker_main(void *arg)
{
	struct pool *p = arg;
	struct hasher h;
	int ok = hasher_init(&h, p->n_md) == 0;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct job *j;
		size_t id;
		int cancel;

		while (p->todo_n == 0 && !p->stop)
			pthread_cond_wait(&p->work_cv, &p->mu);
		if (p->todo_n == 0)
			break;
		id = p->todo[p->todo_head];
		p->todo_head = (p->todo_head + 1) % p->cap;
		p->todo_n--;
		cancel = p->cancel;
		pthread_mutex_unlock(&p->mu);

		j = &p->slots[id];
		if (cancel)
			j->err = ECANCELED;
		else if (!ok)
			j->err = ENOMEM;
		else
			hash_job(&h, p->md, p->n_md, j);
		close(j->fd);
		j->fd = -1;

		pthread_mutex_lock(&p->mu);
		p->done[(p->done_head + p->done_n) % p->cap] = id;
		p->done_n++;
		pthread_cond_signal(&p->done_cv);
	}
	pthread_mutex_unlock(&p->mu);
	if (ok)
		hasher_free(&h);
	return NULL;
}

/* call_on_file - pass one result on; a non-zero answer stops the walk. */
static void call_on_file(struct walk *w, const struct scan_result *res)
{
	w->rc = w->on_file(res, w->arg);
	if (w->rc != 0 && w->pool != NULL) {
		pthread_mutex_lock(&w->pool->mu);
		w->pool->cancel = 1;
		pthread_mutex_unlock(&w->pool->mu);
	}
}

/* report_module_err - a module that does not decompress keeps its file digest. */
static void report_module_err(struct walk *w, const char *path,
			      enum modcomp comp, int err)
{
	if (err == EBADMSG)
		report(w, "%s: corrupt or truncated %s data: only the file's digest recorded",
		       path, modcomp_name(comp));
	else if (err == EFBIG)
		report(w, "%s: %s decoder would need more than %u MiB: only the file's digest recorded",
		       path, modcomp_name(comp), MODCOMP_MAX_MEMORY >> 20);
	else
		report(w, "%s: cannot decompress (%s): %s: only the file's digest recorded",
		       path, modcomp_name(comp), strerror(err));
}

/* deliver - hand one finished job to the caller's callbacks, free its path. */
static void deliver(struct walk *w, struct job *j)
{
	struct scan_result res;
	struct link_entry *e = j->link;
	size_t i;

	if (e != NULL) {
		e->state = j->err == 0 ? LINK_DONE : LINK_FAILED;
		e->err = j->err;
		e->module = j->err == 0 && j->comp != MODCOMP_NONE &&
			    j->module_err == 0;
		e->module_err = j->module_err;
		memcpy(e->digests, j->digests, sizeof(e->digests));
		memcpy(e->module_digests, j->module_digests,
		       sizeof(e->module_digests));
	}
	if (j->err == ECANCELED || w->rc != 0) {
		/* on_file asked to stop: nothing more reaches it. */
	} else if (j->err != 0) {
		w->stats->unreadable++;
		report(w, "cannot read %s: %s", j->path, strerror(j->err));
	} else {
		w->stats->files++;
		w->stats->bytes += j->bytes;
		memset(&res, 0, sizeof(res));
		res.path = j->path;
		res.path_len = j->path_len;
		res.n_digests = w->n_md;
		res.size = j->bytes;
		for (i = 0; i < w->n_md; i++) {
			res.algos[i] = w->opt->algos[i];
			memcpy(res.digests[i], j->digests[i],
			       HASHALGO_MAX_DIGEST);
		}
		if (j->comp != MODCOMP_NONE && j->module_err == 0) {
			res.module = 1;
			w->stats->modules++;
			memcpy(res.module_digests, j->module_digests,
			       sizeof(res.module_digests));
		} else if (j->comp != MODCOMP_NONE) {
			res.module_err = j->module_err;
			report_module_err(w, j->path, j->comp, j->module_err);
		}
		call_on_file(w, &res);
	}
	free(j->path);
	j->path = NULL;
}

/*
 * deliver_one_locked - with the pool lock held and a finished job waiting,
 * deliver it without the lock (the callbacks may be slow) and free its slot.
 */
static void deliver_one_locked(struct walk *w)
{
	struct pool *p = w->pool;
	size_t id = p->done[p->done_head];

	p->done_head = (p->done_head + 1) % p->cap;
	p->done_n--;
	pthread_mutex_unlock(&p->mu);
	deliver(w, &p->slots[id]);
	pthread_mutex_lock(&p->mu);
	p->free_ids[p->free_n++] = id;
}

static void pool_destroy(struct pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work_cv);
	pthread_cond_destroy(&p->done_cv);
	free(p->slots);
	free(p->todo);
	free(p->done);
	free(p->free_ids);
	free(p->threads);
	free(p);
}

/* pool_finish - deliver everything still in flight, stop and join the workers. */
static void pool_finish(struct walk *w)
{
	struct pool *p = w->pool;
	unsigned i;

	pthread_mutex_lock(&p->mu);
	while (p->free_n < p->cap) {
		if (p->done_n > 0)
			deliver_one_locked(w);
		else
			pthread_cond_wait(&p->done_cv, &p->mu);
	}
	p->stop = 1;
	pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->started; i++)
		pthread_join(p->threads[i], NULL);
	pool_destroy(p);
	w->pool = NULL;
}

static struct pool *pool_create(struct walk *w, unsigned n_threads)
{
	struct pool *p = calloc(1, sizeof(*p));
	size_t i;

	if (p == NULL)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work_cv, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	p->cap = (size_t)n_threads * 4;
	p->slots = calloc(p->cap, sizeof(*p->slots));
	p->todo = calloc(p->cap, sizeof(*p->todo));
	p->done = calloc(p->cap, sizeof(*p->done));
	p->free_ids = calloc(p->cap, sizeof(*p->free_ids));
	p->threads = calloc(n_threads, sizeof(*p->threads));
	p->md = w->md;
	p->n_md = w->n_md;
	if (p->slots == NULL || p->todo == NULL || p->done == NULL ||
	    p->free_ids == NULL || p->threads == NULL) {
		pool_destroy(p);
		return NULL;
	}
	for (i = 0; i < p->cap; i++)
		p->free_ids[p->free_n++] = i;
	for (; p->started < n_threads; p->started++)
		if (pthread_create(&p->threads[p->started], NULL, worker_main,
				   p) != 0)
			break;
	if (p->started == 0) {
		pool_destroy(p);
		return NULL;
	}
	return p;
}

/*
 * submit - hash the open regular file fd for the current path; takes fd.
 * link (may be NULL) is the hard-link cache entry the result fills.
 */
static void submit(struct walk *w, int fd, struct link_entry *link)
{
	struct pool *p = w->pool;
	struct job local, *j;
	size_t id;
	char *path = strndup(w->path, w->len);
	enum modcomp comp = w->opt->decompress_modules ?
			    modcomp_by_name(w->path, w->len) : MODCOMP_NONE;

	if (path == NULL) {
		if (link != NULL) {
			link->state = LINK_FAILED;
			link->err = ENOMEM;
		}
		close(fd);
		w->stats->unreadable++;
		report(w, "cannot read %s: %s", w->path, strerror(ENOMEM));
		return;
	}
	if (p == NULL) {
		memset(&local, 0, sizeof(local));
		local.path = path;
		local.path_len = w->len;
		local.fd = fd;
		local.comp = comp;
		local.link = link;
		hash_job(&w->inline_hasher, w->md, w->n_md, &local);
		close(fd);
		deliver(w, &local);
		return;
	}
	pthread_mutex_lock(&p->mu);
	while (p->free_n == 0) {
		if (p->done_n > 0)
			deliver_one_locked(w);
		else
			pthread_cond_wait(&p->done_cv, &p->mu);
	}
	id = p->free_ids[--p->free_n];
	j = &p->slots[id];
	memset(j, 0, sizeof(*j));
	j->path = path;
	j->path_len = w->len;
	j->fd = fd;
	j->comp = comp;
	j->link = link;
	p->todo[(p->todo_head + p->todo_n) % p->cap] = id;
	p->todo_n++;
	pthread_cond_signal(&p->work_cv);
	/* Keep results flowing out as fast as they come in. */
	while (p->done_n > 0)
		deliver_one_locked(w);
	pthread_mutex_unlock(&p->mu);
}

/* ------------------------------------------------------------ the walk */

/* path_push - append "/name" to the current path; returns the old length or -1. */
static ssize_t path_push(struct walk *w, const char *name)
{
	size_t old = w->len, n = strlen(name);
	int slash = !(old > 0 && w->path[old - 1] == '/');
	size_t need = old + (size_t)slash + n + 1;

	if (need > w->cap) {
		size_t ncap = w->cap * 2 > need ? w->cap * 2 : need;
		char *np = realloc(w->path, ncap);

		if (np == NULL)
			return -1;
		w->path = np;
		w->cap = ncap;
	}
	if (slash)
		w->path[w->len++] = '/';
	memcpy(w->path + w->len, name, n + 1);
	w->len += n;
	return (ssize_t)old;
}

static void path_pop(struct walk *w, size_t old)
{
	w->len = old;
	w->path[old] = '\0';
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * read_names - every name in the directory but "." and "..", sorted so
 * that a walk is repeatable.  Returns the count, or -1 with errno.
 */
static ssize_t read_names(DIR *d, char ***out)
{
	char **names = NULL, **nn;
	size_t n = 0, cap = 0, i;
	struct dirent *de;

	for (;;) {
		errno = 0;
		de = readdir(d);
		if (de == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			nn = realloc(names, cap * sizeof(*names));
			if (nn == NULL)
				goto fail;
			names = nn;
		}
		names[n] = strdup(de->d_name);
		if (names[n] == NULL)
			goto fail;
		n++;
	}
	if (errno != 0)
		goto fail;
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	*out = names;
	return (ssize_t)n;
fail:
	i = (size_t)errno;
	while (n > 0)
		free(names[--n]);
	free(names);
	errno = i ? (int)i : ENOMEM;
	return -1;
}

static void walk_dir(struct walk *w, int dfd, unsigned depth);

/* ------------------------------------------------------------ hard links */

static size_t link_bucket(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9E3779B97F4A7C15ull ^ (uint64_t)dev;

	return (size_t)(h >> 32) % LINK_BUCKETS;
}

static struct link_entry *link_find(struct walk *w, dev_t dev, ino_t ino)
{
	struct link_entry *e = w->links[link_bucket(dev, ino)];

	while (e != NULL && (e->dev != dev || e->ino != ino))
		e = e->next;
	return e;
}

/* link_add - a pending entry for a new inode, or NULL past the budget. */
static struct link_entry *link_add(struct walk *w, const struct stat *st)
{
	struct link_entry *e;
	size_t b = link_bucket(st->st_dev, st->st_ino);

	if (w->link_bytes + sizeof(*e) > LINK_BUDGET)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->left = st->st_nlink - 1;
	e->state = LINK_PENDING;
	e->size = sizeof(*e);
	e->next = w->links[b];
	w->links[b] = e;
	w->link_bytes += e->size;
	return e;
}

static void link_remove(struct walk *w, struct link_entry *e)
{
	struct link_entry **pp = &w->links[link_bucket(e->dev, e->ino)];

	while (*pp != NULL && *pp != e)
		pp = &(*pp)->next;
	if (*pp == e) {
		*pp = e->next;
		w->link_bytes -= e->size;
		free(e);
	}
}

static void links_free(struct walk *w)
{
	size_t b;

	for (b = 0; b < LINK_BUCKETS; b++) {
		while (w->links[b] != NULL) {
			struct link_entry *e = w->links[b];

			w->links[b] = e->next;
			free(e);
		}
	}
	w->link_bytes = 0;
}

/* wait_for_link - deliver finished jobs until e's first path is hashed. */
static void wait_for_link(struct walk *w, struct link_entry *e)
{
	struct pool *p = w->pool;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	while (e->state == LINK_PENDING) {
		if (p->done_n > 0)
			deliver_one_locked(w);
		else
			pthread_cond_wait(&p->done_cv, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
}

/* deliver_link - the current path is another link of e's inode: reuse its digests. */
static void deliver_link(struct walk *w, struct link_entry *e,
			 const struct stat *st)
{
	struct scan_result res;
	size_t i;

	if (w->rc != 0 || e->err == ECANCELED)
		return;
	if (e->state != LINK_DONE) {
		w->stats->unreadable++;
		report(w, "cannot read %s: %s", w->path, strerror(e->err));
		return;
	}
	w->stats->files++;
	w->stats->hardlinks++;
	memset(&res, 0, sizeof(res));
	res.path = w->path;
	res.path_len = w->len;
	res.n_digests = w->n_md;
	res.size = (uint64_t)st->st_size;
	res.hardlink = 1;
	for (i = 0; i < w->n_md; i++) {
		res.algos[i] = w->opt->algos[i];
		memcpy(res.digests[i], e->digests[i], HASHALGO_MAX_DIGEST);
	}
	if (e->module) {
		res.module = 1;
		w->stats->modules++;
		memcpy(res.module_digests, e->module_digests,
		       sizeof(res.module_digests));
	} else if (w->opt->decompress_modules && e->module_err != 0) {
		res.module_err = e->module_err;
	}
	call_on_file(w, &res);
}

/* count_file - count_only: the current path is a regular file of st_size bytes. */
static void count_file(struct walk *w, const struct stat *st)
{
	struct scan_result res;

	memset(&res, 0, sizeof(res));
	res.path = w->path;
	res.path_len = w->len;
	res.size = (uint64_t)st->st_size;
	w->stats->files++;
	w->stats->bytes += res.size;
	call_on_file(w, &res);
}

static enum scan_skip skip_reason(mode_t mode)
{
	if (S_ISLNK(mode))
		return SCAN_SKIP_SYMLINK;
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return SCAN_SKIP_DEVICE;
	if (S_ISFIFO(mode))
		return SCAN_SKIP_FIFO;
	if (S_ISSOCK(mode))
		return SCAN_SKIP_SOCKET;
	return SCAN_SKIP_OTHER_TYPE;
}

/* visit - look at one name of the open directory dfd (w->path names it). */
static void visit(struct walk *w, int dfd, const char *name, unsigned depth)
{
	const struct scan_options *o = w->opt;
	struct link_entry *link = NULL;
	struct stat st, fst;
	int fd;

	if (o->exclude != NULL && o->exclude(w->path, w->len,
					     o->exclude_arg) != 0) {
		w->stats->excluded++;
		skip(w, SCAN_SKIP_EXCLUDED);
		return;
	}
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno != ENOENT) {	/* vanished: not our business */
			w->stats->unreadable++;
			report(w, "cannot read %s: %s", w->path,
			       strerror(errno));
		}
		return;
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
		w->stats->skipped++;
		skip(w, skip_reason(st.st_mode));
		return;
	}
	if (o->one_filesystem && st.st_dev != w->root_dev) {
		w->stats->other_fs++;
		skip(w, SCAN_SKIP_OTHER_FS);
		return;
	}
	if (S_ISREG(st.st_mode) && o->count_only) {
		count_file(w, &st);
		return;
	}
	if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
		link = link_find(w, st.st_dev, st.st_ino);
		if (link != NULL) {
			wait_for_link(w, link);
			deliver_link(w, link, &st);
			if (link->left <= 1)
				link_remove(w, link);
			else
				link->left--;
			return;
		}
	}
	if (S_ISDIR(st.st_mode)) {
		if (depth >= SCAN_MAX_DEPTH) {
			w->stats->unreadable++;
			report(w, "cannot read %s: %s", w->path,
			       "directory tree too deep");
			return;
		}
		fd = open_noatime(dfd, name, O_RDONLY | O_DIRECTORY |
				  O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	} else {
		fd = open_noatime(dfd, name, O_RDONLY | O_NOFOLLOW |
				  O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	}
	if (fd < 0) {
		w->stats->unreadable++;
		report(w, "cannot read %s: %s", w->path, strerror(errno));
		return;
	}
	/* Swapped for something else since the fstatat: leave it. */
	if (fstat(fd, &fst) != 0 || fst.st_dev != st.st_dev ||
	    fst.st_ino != st.st_ino ||
	    (fst.st_mode & S_IFMT) != (st.st_mode & S_IFMT)) {
		close(fd);
		w->stats->skipped++;
		skip(w, SCAN_SKIP_CHANGED);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		walk_dir(w, fd, depth + 1);
		return;
	}
	if (st.st_nlink > 1)
		link = link_add(w, &st);
	submit(w, fd, link);
}

/* walk_dir - visit every entry of the directory open as dfd (takes dfd). */
static void walk_dir(struct walk *w, int dfd, unsigned depth)
{
	DIR *d = fdopendir(dfd);
	char **names = NULL;
	ssize_t n, i;

	if (d == NULL) {
		w->stats->unreadable++;
		report(w, "cannot read %s: %s", w->path, strerror(errno));
		close(dfd);
		return;
	}
	n = read_names(d, &names);
	if (n < 0) {
		w->stats->unreadable++;
		report(w, "cannot read %s: %s", w->path, strerror(errno));
		closedir(d);
		return;
	}
	for (i = 0; i < n; i++) {
		ssize_t old;

		if (w->rc != 0)
			break;
		old = path_push(w, names[i]);
		if (old < 0) {
			w->stats->unreadable++;
			report(w, "cannot read %s/%s: %s", w->path, names[i],
			       strerror(ENOMEM));
			continue;
		}
		visit(w, dirfd(d), names[i], depth);
		path_pop(w, (size_t)old);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
}

/*
 * image_resolve - resolve path inside the tree open as img_fd as if that
 * tree were "/": ".." stops at its top, a symlink's target (an absolute
 * one from its top) is resolved inside it too.  Sets *out to the
 * canonical absolute path (malloc'd).  Returns 0 or an errno value.
 */
static int image_resolve(int img_fd, const char *path, char **out)
{
	char canon[PATH_MAX], todo[PATH_MAX], target[PATH_MAX], next[PATH_MAX];
	const char *p = todo;
	size_t clen = 0;
	unsigned links = 0;
	struct stat st;

	if (strlen(path) >= sizeof(todo))
		return ENAMETOOLONG;
	strcpy(todo, path);
	canon[0] = '\0';
	for (;;) {
		const char *e;
		size_t n, old;
		ssize_t tl;

		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		e = strchrnul(p, '/');
		n = (size_t)(e - p);
		if (n == 1 && p[0] == '.') {
			p = e;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (clen > 0 && canon[clen - 1] != '/')
				clen--;
			if (clen > 0)
				clen--;
			canon[clen] = '\0';
			p = e;
			continue;
		}
		if (clen + 1 + n >= sizeof(canon))
			return ENAMETOOLONG;
		old = clen;
		canon[clen++] = '/';
		memcpy(canon + clen, p, n);
		clen += n;
		canon[clen] = '\0';
		p = e;
		if (fstatat(img_fd, canon + 1, &st, AT_SYMLINK_NOFOLLOW) != 0)
			return errno;
		if (!S_ISLNK(st.st_mode))
			continue;
		if (++links > SCAN_MAX_LINKS)
			return ELOOP;
		tl = readlinkat(img_fd, canon + 1, target, sizeof(target));
		if (tl < 0)
			return errno;
		if ((size_t)tl >= sizeof(target))
			return ENAMETOOLONG;
		target[tl] = '\0';
		clen = target[0] == '/' ? 0 : old;
		canon[clen] = '\0';
		n = strlen(p);
		if ((size_t)tl + 1 + n >= sizeof(next))
			return ENAMETOOLONG;
		memcpy(next, target, (size_t)tl);
		next[tl] = '/';
		memcpy(next + tl + 1, p, n + 1);
		memcpy(todo, next, sizeof(todo));
		p = todo;
	}
	*out = strdup(clen > 0 ? canon : "/");
	return *out == NULL ? ENOMEM : 0;
}

/* strip_prefix - dir without the leading directory pre, or NULL. */
static const char *strip_prefix(const char *dir, const char *pre)
{
	size_t n = strlen(pre);

	while (n > 0 && pre[n - 1] == '/')
		n--;
	if (n == 0 || strncmp(dir, pre, n) != 0 ||
	    (dir[n] != '/' && dir[n] != '\0'))
		return NULL;
	return dir + n;
}

int scan_image_path(const char *image_root, const char *dir, char **booted)
{
	const char *inside;
	char *real = NULL;
	int fd, err;

	if (image_root == NULL || dir == NULL || booted == NULL) {
		errno = EINVAL;
		return -1;
	}
	fd = open(image_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	real = realpath(image_root, NULL);
	inside = strip_prefix(dir, image_root);
	if (inside == NULL && real != NULL)
		inside = strip_prefix(dir, real);
	if (inside == NULL)
		inside = dir;
	err = image_resolve(fd, inside, booted);
	free(real);
	close(fd);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

/* set_path - make the current path root (without trailing slashes). */
static int set_path(struct walk *w, const char *root)
{
	size_t len = strlen(root);

	/* "/usr/" and "/usr" give the same paths; "/" stays "/". */
	while (len > 1 && root[len - 1] == '/')
		len--;
	if (len + 1 > w->cap) {
		char *np = realloc(w->path, len + 256);

		if (np == NULL)
			return -1;
		w->path = np;
		w->cap = len + 256;
	}
	memcpy(w->path, root, len);
	w->path[len] = '\0';
	w->len = len;
	return 0;
}

/* scan_root - walk one root (a directory, or a single regular file). */
static int scan_root(struct walk *w, const char *root)
{
	struct stat st;
	char *canon = NULL;
	int fd, err;

	if (w->img_fd >= 0) {
		/* Inside an image: resolved there, its links never lead out. */
		err = image_resolve(w->img_fd, root, &canon);
		if (err != 0) {
			if (set_path(w, root) == 0)
				report(w, "cannot read %s (in %s): %s", w->path,
				       w->opt->image_root, strerror(err));
			return -1;
		}
		err = set_path(w, canon);
		free(canon);
		if (err != 0)
			return -1;
		fd = open_noatime(w->img_fd, w->len > 1 ? w->path + 1 : ".",
				  O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
				  O_NOCTTY | O_NONBLOCK);
	} else {
		if (set_path(w, root) != 0)
			return -1;
		/* The root is the caller's explicit choice: follow it if a link. */
		fd = open_noatime(AT_FDCWD, w->path, O_RDONLY | O_CLOEXEC |
				  O_NOCTTY | O_NONBLOCK);
	}
	if (fd < 0 || fstat(fd, &st) != 0) {
		report(w, "cannot read %s: %s", w->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	w->root_dev = st.st_dev;
	if (S_ISDIR(st.st_mode)) {
		walk_dir(w, fd, 0);
	} else if (S_ISREG(st.st_mode) && w->opt->count_only) {
		close(fd);
		count_file(w, &st);
	} else if (S_ISREG(st.st_mode)) {
		submit(w, fd, NULL);
	} else {
		close(fd);
		report(w, "cannot read %s: %s", w->path,
		       "not a directory or regular file");
		return -1;
	}
	return 0;
}

int scan_tree(const char *const *roots, size_t n_roots,
	      const struct scan_options *opt,
	      int (*on_file)(const struct scan_result *r, void *arg),
	      void (*on_error)(const char *msg, void *arg), void *arg,
	      struct scan_stats *stats)
{
	struct scan_stats dummy;
	struct walk w;
	unsigned threads;
	size_t i;
	int r = -1, bad_root = 0;

	memset(&w, 0, sizeof(w));
	w.img_fd = -1;
	if (stats == NULL)
		stats = &dummy;
	memset(stats, 0, sizeof(*stats));
	w.opt = opt;
	w.on_file = on_file;
	w.on_error = on_error;
	w.arg = arg;
	w.stats = stats;
	if (roots == NULL || opt == NULL || on_file == NULL ||
	    (opt->n_algos == 0 && !opt->count_only) ||
	    opt->n_algos > SCAN_MAX_ALGOS) {
		report(&w, "scan: bad arguments");
		return -1;
	}
	if (opt->image_root != NULL) {
		w.img_fd = open(opt->image_root, O_RDONLY | O_DIRECTORY |
				O_CLOEXEC);
		if (w.img_fd < 0) {
			report(&w, "cannot read %s: %s", opt->image_root,
			       strerror(errno));
			goto out;
		}
	}
	for (i = 0; i < opt->n_algos && !opt->count_only; i++) {
		w.md[i] = fetch_md(opt->algos[i]);
		if (w.md[i] == NULL) {
			report(&w, "%s: not available in this OpenSSL",
			       opt->algos[i] ? opt->algos[i]->name : "?");
			goto out;
		}
		w.n_md++;
	}
	threads = opt->threads;
	if (threads == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		threads = cpus > 0 ? (unsigned)cpus : 1;
	}
	if (threads > SCAN_MAX_THREADS)
		threads = SCAN_MAX_THREADS;
	if (opt->count_only)
		threads = 1;
	if (!opt->count_only && hasher_init(&w.inline_hasher, w.n_md) != 0) {
		report(&w, "scan: %s", strerror(ENOMEM));
		goto out;
	}
	/* One thread walks; with two or more CPUs others hash meanwhile. */
	if (threads > 1)
		w.pool = pool_create(&w, threads);
	for (i = 0; i < n_roots && w.rc == 0; i++)
		if (roots[i] == NULL || scan_root(&w, roots[i]) != 0)
			bad_root = 1;
	if (w.pool != NULL)
		pool_finish(&w);
	r = w.rc != 0 ? w.rc : bad_root ? -1 : 0;
out:
	hasher_free(&w.inline_hasher);
	for (i = 0; i < SCAN_MAX_ALGOS; i++)
		EVP_MD_free(w.md[i]);
	links_free(&w);
	if (w.img_fd >= 0)
		close(w.img_fd);
	free(w.path);
	return r;
}
