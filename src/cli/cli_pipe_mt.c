/* cli_pipe_mt.c - the reading pipeline on a thread of its own (--jobs 2)
 * SUMMARY  pipe_start runs pipe_run on a new thread. Its events, packed
 *          (evt_pack) into blocks of PIPE_BLOCK_SIZE bytes, reach the
 *          thread that calls pipe_drain, which unpacks them and calls the
 *          sink in log order, as pipe_run would have. So reading,
 *          decompression, framing, parsing and correlation take one core
 *          and the sink (the detectors, the JSON writer, the report's
 *          tables) another; the caller may work between pipe_start and
 *          pipe_drain (scan loads the country data meanwhile).
 * LIMITS   At most PIPE_BLOCKS blocks exist: a slow sink holds the reader
 *          back instead of filling memory (2 MiB in all).
 * ERRORS   As pipe_run: its messages come from the reading thread, and
 *          pipe_drain returns its result after joining it. */
#include <pthread.h>
#include <string.h>

#include "cli/cli_pipe.h"
#include "core/evt_pack.h"
#include "util/mem.h"
#include "util/msg.h"

#define PIPE_BLOCK_SIZE (256 * 1024)
#define PIPE_BLOCKS 8

_Static_assert(PIPE_BLOCK_SIZE >= EVT_PACK_MAX, "a block holds at least one event");

struct pipe_block {
	struct pipe_block *next;
	size_t len;
	uint8_t data[PIPE_BLOCK_SIZE];
};

struct pipe_thread {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t filled;		/* a block was queued, or the reader is done */
	pthread_cond_t freed;		/* a block came back */
	struct pipe_block *head, *tail;	/* full blocks, oldest first */
	struct pipe_block *spare;	/* empty blocks */
	unsigned nblocks;		/* allocated */
	struct pipe_block *cur;		/* the reader's, being filled */
	bool done;
	int rc;
	/* pipe_run's arguments */
	char *const *paths;
	size_t n;
	struct pipe_opts opts;
	struct pipe_stats *st;
};

static void
lock(struct pipe_thread *pt)
{
	if (pthread_mutex_lock(&pt->mu) != 0)
		msg_panic("pipe: pthread_mutex_lock failed");
}

static void
unlock(struct pipe_thread *pt)
{
	if (pthread_mutex_unlock(&pt->mu) != 0)
		msg_panic("pipe: pthread_mutex_unlock failed");
}

static void
wait_on(pthread_cond_t *cv, struct pipe_thread *pt)
{
	if (pthread_cond_wait(cv, &pt->mu) != 0)
		msg_panic("pipe: pthread_cond_wait failed");
}

/* Reader: queue the current block (if last is false, take an empty one,
 * waiting while all PIPE_BLOCKS are in use). */
static void
hand_over(struct pipe_thread *pt, bool last)
{
	struct pipe_block *b = pt->cur;

	lock(pt);
	if (b != NULL && b->len > 0) {
		b->next = NULL;
		if (pt->tail != NULL)
			pt->tail->next = b;
		else
			pt->head = b;
		pt->tail = b;
		pt->cur = b = NULL;
		pthread_cond_signal(&pt->filled);
	}
	if (last) {
		pt->done = true;
		pthread_cond_signal(&pt->filled);
		unlock(pt);
		return;
	}
	if (b == NULL) {
		while (pt->spare == NULL && pt->nblocks >= PIPE_BLOCKS)
			wait_on(&pt->freed, pt);
		if (pt->spare != NULL) {
			b = pt->spare;
			pt->spare = b->next;
		} else {
			b = mem_alloc(sizeof(*b));
			pt->nblocks++;
		}
		b->len = 0;
		pt->cur = b;
	}
	unlock(pt);
}

static void
reader_sink(void *arg, const struct evt *e)
{
	struct pipe_thread *pt = arg;

	if (pt->cur->len > PIPE_BLOCK_SIZE - EVT_PACK_MAX)
		hand_over(pt, false);
	pt->cur->len += evt_pack(e, pt->cur->data + pt->cur->len);
}

static void *
reader_main(void *arg)
{
	struct pipe_thread *pt = arg;

	pt->rc = pipe_run(pt->paths, pt->n, &pt->opts, reader_sink, pt, pt->st);
	hand_over(pt, true);
	return NULL;
}

struct pipe_thread *
pipe_start(char *const *paths, size_t n, const struct pipe_opts *o, struct pipe_stats *st)
{
	struct pipe_thread *pt = mem_calloc(1, sizeof(*pt));

	pt->paths = paths;
	pt->n = n;
	pt->opts = *o;
	pt->st = st;
	if (pthread_mutex_init(&pt->mu, NULL) != 0 || pthread_cond_init(&pt->filled, NULL) != 0 ||
	    pthread_cond_init(&pt->freed, NULL) != 0)
		msg_fatal("pipe: cannot make a mutex or condition variable");
	pt->cur = mem_alloc(sizeof(*pt->cur));
	pt->cur->len = 0;
	pt->nblocks = 1;
	if (pthread_create(&pt->tid, NULL, reader_main, pt) != 0)
		msg_fatal("pipe: cannot start the reading thread");
	return pt;
}

static void
free_list(struct pipe_block *b)
{
	struct pipe_block *next;

	for (; b != NULL; b = next) {
		next = b->next;
		mem_free(b);
	}
}

int
pipe_drain(struct pipe_thread **ptp, pipe_sink *sink, void *arg)
{
	struct pipe_thread *pt = *ptp;
	struct evt *e = mem_calloc(1, sizeof(*e));
	struct pipe_block *b;
	size_t off;
	int rc;

	for (;;) {
		lock(pt);
		while (pt->head == NULL && !pt->done)
			wait_on(&pt->filled, pt);
		if ((b = pt->head) != NULL && (pt->head = b->next) == NULL)
			pt->tail = NULL;
		unlock(pt);
		if (b == NULL)
			break;
		for (off = 0; off < b->len;) {
			off += evt_unpack(b->data + off, e);
			sink(arg, e);
		}
		lock(pt);
		b->next = pt->spare;
		pt->spare = b;
		pthread_cond_signal(&pt->freed);
		unlock(pt);
	}
	if (pthread_join(pt->tid, NULL) != 0)
		msg_panic("pipe: pthread_join failed");
	rc = pt->rc;
	free_list(pt->spare);
	mem_free(pt->cur);
	pthread_mutex_destroy(&pt->mu);
	pthread_cond_destroy(&pt->filled);
	pthread_cond_destroy(&pt->freed);
	mem_free(e);
	mem_free(pt);
	*ptp = NULL;
	return rc;
}

int
pipe_run_jobs(unsigned jobs, char *const *paths, size_t n, const struct pipe_opts *o,
	      pipe_sink *sink, void *arg, struct pipe_stats *st)
{
	struct pipe_thread *pt;

	if (jobs < 2)
		return pipe_run(paths, n, o, sink, arg, st);
	pt = pipe_start(paths, n, o, st);
	return pipe_drain(&pt, sink, arg);
}
