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
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "scan.h"

/* Big reads: hashing is memory-bound, syscalls are not free. */
#define SCAN_BUFSIZE (256 * 1024)
/* Deeper trees than this are loops made by bind mounts or malice. */
#define SCAN_MAX_DEPTH 1024
#define SCAN_MAX_THREADS 32

/* One worker's hashing state: a context per algorithm and a read buffer. */
struct hasher {
	EVP_MD_CTX *ctx[SCAN_MAX_ALGOS];
	unsigned char *buf;
};

/* A regular file on its way through the pool. */
struct job {
	char *path;
	size_t path_len;
	int fd;
	int err;		/* errno of a failed read, 0 when hashed */
	uint64_t bytes;
	unsigned char digests[SCAN_MAX_ALGOS][HASHALGO_MAX_DIGEST];
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

static void hasher_free(struct hasher *h)
{
	size_t i;

	for (i = 0; i < SCAN_MAX_ALGOS; i++) {
		EVP_MD_CTX_free(h->ctx[i]);
		h->ctx[i] = NULL;
	}
	free(h->buf);
	h->buf = NULL;
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

int scan_hash_file(const char *path, const struct hashalgo *const *algos,
		   size_t n_algos,
		   unsigned char digests[][HASHALGO_MAX_DIGEST],
		   uint64_t *bytes)
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
			j->err = hash_fd(&h, p->md, p->n_md, j->fd, j->digests,
					 &j->bytes);
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

/* deliver - hand one finished job to the caller's callbacks, free its path. */
static void deliver(struct walk *w, struct job *j)
{
	struct scan_result res;
	size_t i;

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
		for (i = 0; i < w->n_md; i++) {
			res.algos[i] = w->opt->algos[i];
			memcpy(res.digests[i], j->digests[i],
			       HASHALGO_MAX_DIGEST);
		}
		w->rc = w->on_file(&res, w->arg);
		if (w->rc != 0 && w->pool != NULL) {
			pthread_mutex_lock(&w->pool->mu);
			w->pool->cancel = 1;
			pthread_mutex_unlock(&w->pool->mu);
		}
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

/* submit - hash the open regular file fd for the current path; takes fd. */
static void submit(struct walk *w, int fd)
{
	struct pool *p = w->pool;
	struct job local, *j;
	size_t id;
	char *path = strndup(w->path, w->len);

	if (path == NULL) {
		close(fd);
		w->stats->unreadable++;
		report(w, "cannot read %s: %s", w->path, strerror(ENOMEM));
		return;
	}
	if (p == NULL) {
		memset(&local, 0, sizeof(local));
		local.path = path;
		local.path_len = w->len;
		local.err = hash_fd(&w->inline_hasher, w->md, w->n_md, fd,
				    local.digests, &local.bytes);
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

/* visit - look at one name of the open directory dfd (w->path names it). */
static void visit(struct walk *w, int dfd, const char *name, unsigned depth)
{
	const struct scan_options *o = w->opt;
	struct stat st, fst;
	int fd;

	if (o->exclude != NULL && o->exclude(w->path, w->len,
					     o->exclude_arg) != 0) {
		w->stats->excluded++;
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
		return;
	}
	if (o->one_filesystem && st.st_dev != w->root_dev)
		return;
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
		return;
	}
	if (S_ISDIR(st.st_mode))
		walk_dir(w, fd, depth + 1);
	else
		submit(w, fd);
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

/* scan_root - walk one root (a directory, or a single regular file). */
static int scan_root(struct walk *w, const char *root)
{
	struct stat st;
	size_t len = strlen(root);
	int fd;

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
	/* The root is the caller's explicit choice: follow it if a link. */
	fd = open_noatime(AT_FDCWD, w->path, O_RDONLY | O_CLOEXEC |
			  O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0) {
		report(w, "cannot read %s: %s", w->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	w->root_dev = st.st_dev;
	if (S_ISDIR(st.st_mode)) {
		walk_dir(w, fd, 0);
	} else if (S_ISREG(st.st_mode)) {
		submit(w, fd);
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
	if (stats == NULL)
		stats = &dummy;
	memset(stats, 0, sizeof(*stats));
	w.opt = opt;
	w.on_file = on_file;
	w.on_error = on_error;
	w.arg = arg;
	w.stats = stats;
	if (roots == NULL || opt == NULL || on_file == NULL ||
	    opt->n_algos == 0 || opt->n_algos > SCAN_MAX_ALGOS) {
		report(&w, "scan: bad arguments");
		return -1;
	}
	for (i = 0; i < opt->n_algos; i++) {
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
	if (hasher_init(&w.inline_hasher, w.n_md) != 0) {
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
	free(w.path);
	return r;
}
