/* srv_work.c - the action worker: runs jobs off the event loop
 * SUMMARY  A lock hook, a purge or a notification can take seconds (a
 *          hook_timeout each); the policy service must answer in
 *          microseconds meanwhile. So the event loop only queues a job;
 *          one worker thread runs the jobs in order (a lock's hook before
 *          its purge, a lock before a later unlock; a job may wait for its
 *          not_before time without holding up those behind it, and at a
 *          stop it waits no longer), and hands each back
 *          through a pipe, and the loop then writes the audit trail. The
 *          worker touches nothing but its job and the read-only struct act
 *          the job holds; SQLite, the tables and the metrics stay on the
 *          loop's thread.
 * LIMITS   SRV_WORK_QUEUE_MAX jobs waiting; one more is refused (its
 *          done() runs at once with job->state SRV_JOB_REFUSED). At a stop
 *          the queue is worked off for at most SRV_WORK_STOP_GRACE seconds
 *          after the running job; what is left is handed back as
 *          SRV_JOB_NOT_RUN.
 * ERRORS   The thread or the pipe cannot be made: srv_work_start fails and
 *          the daemon does not start. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "serve/srv_int.h"
#include "util/mem.h"
#include "util/msg.h"

#define SRV_WORK_QUEUE_MAX 4096
#define SRV_WORK_STOP_GRACE 10

struct srv_work {
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct srv_job *todo, **todo_tail;	/* guarded by mu */
	struct srv_job *done, **done_tail;	/* guarded by mu */
	size_t queued;				/* in todo, guarded by mu */
	bool stopping;				/* guarded by mu */
	time_t deadline;			/* when stopping: leave the rest */
	int pipe[2];				/* worker -> loop: "a job is done" */
	struct event *ev;
	struct srv *s;
};

static void
append(struct srv_job ***tail, struct srv_job *j)
{
	j->next = NULL;
	**tail = j;
	*tail = &j->next;
}

static void
wake_loop(struct srv_work *w)
{
	char c = 1;

	/* a full pipe already holds a wake-up: EAGAIN is fine */
	if (write(w->pipe[1], &c, 1) < 0 && errno != EAGAIN && errno != EINTR)
		msg_warn("action worker: waking the loop: %s", strerror(errno));
}

/* The first job due (any job once stopping), taken off the list; else
 * NULL with *next_due the earliest not_before of those waiting (0: none). */
static struct srv_job *
pick(struct srv_work *w, time_t now, time_t *next_due)
{
	struct srv_job **pp, *j;

	*next_due = 0;
	for (pp = &w->todo; (j = *pp) != NULL; pp = &j->next) {
		if (w->stopping || j->not_before <= now) {
			if ((*pp = j->next) == NULL)
				w->todo_tail = pp;
			w->queued--;
			return j;
		}
		if (*next_due == 0 || j->not_before < *next_due)
			*next_due = j->not_before;
	}
	return NULL;
}

static void *
work_main(void *arg)
{
	struct srv_work *w = arg;
	struct srv_job *j;
	time_t now, due;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		now = time(NULL);
		if (w->stopping && now > w->deadline)
			break;
		if ((j = pick(w, now, &due)) == NULL) {
			if (w->stopping)
				break;
			if (due != 0) {
				struct timespec ts = { due, 0 };

				pthread_cond_timedwait(&w->cv, &w->mu, &ts);
			} else {
				pthread_cond_wait(&w->cv, &w->mu);
			}
			continue;
		}
		pthread_mutex_unlock(&w->mu);
		j->run(j);
		j->state = SRV_JOB_RAN;
		pthread_mutex_lock(&w->mu);
		append(&w->done_tail, j);
		wake_loop(w);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Hand every finished job to its done() on the loop's thread. */
static void
drain_done(struct srv_work *w)
{
	struct srv_job *list, *next;

	pthread_mutex_lock(&w->mu);
	list = w->done;
	w->done = NULL;
	w->done_tail = &w->done;
	pthread_mutex_unlock(&w->mu);
	for (; list != NULL; list = next) {
		next = list->next;
		list->done(w->s, list);
	}
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	char b[64];

	(void)what;
	while (read(fd, b, sizeof(b)) > 0)
		;
	drain_done(arg);
}

int
srv_work_start(struct srv *s)
{
	struct srv_work *w = mem_calloc(1, sizeof(*w));
	sigset_t all, old;
	int e;

	w->s = s;
	w->todo_tail = &w->todo;
	w->done_tail = &w->done;
	w->pipe[0] = w->pipe[1] = -1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	s->work = w;
	if (pipe(w->pipe) < 0) {
		msg_error("action worker: pipe: %s", strerror(errno));
		return -1;
	}
	for (e = 0; e < 2; e++)
		if (fcntl(w->pipe[e], F_SETFD, FD_CLOEXEC) < 0 ||
		    fcntl(w->pipe[e], F_SETFL, O_NONBLOCK) < 0) {
			msg_error("action worker: fcntl: %s", strerror(errno));
			return -1;
		}
	w->ev = event_new(s->base, w->pipe[0], EV_READ | EV_PERSIST, on_wake, w);
	if (w->ev == NULL || event_add(w->ev, NULL) < 0) {
		msg_error("action worker: event_new failed");
		return -1;
	}
	/* signals are the loop's business: the worker blocks them all */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&w->thread, NULL, work_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		msg_error("action worker: pthread_create: %s", strerror(e));
		return -1;
	}
	w->started = true;
	return 0;
}

void
srv_work_submit(struct srv *s, struct srv_job *j)
{
	struct srv_work *w = s->work;

	j->state = SRV_JOB_QUEUED;
	pthread_mutex_lock(&w->mu);
	if (!w->started || w->stopping || w->queued >= SRV_WORK_QUEUE_MAX) {
		pthread_mutex_unlock(&w->mu);
		j->state = SRV_JOB_REFUSED;
		j->done(s, j);
		return;
	}
	append(&w->todo_tail, j);
	w->queued++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

size_t
srv_work_queued(struct srv *s)
{
	size_t n;

	if (s->work == NULL)
		return 0;
	pthread_mutex_lock(&s->work->mu);
	n = s->work->queued;
	pthread_mutex_unlock(&s->work->mu);
	return n;
}

void
srv_work_stop(struct srv *s)
{
	struct srv_work *w = s->work;
	struct srv_job *left, *next;

	if (w == NULL)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->stopping = true;
		w->deadline = time(NULL) + SRV_WORK_STOP_GRACE;
		if (w->queued > 0)
			msg_info("stopping: %zu action job(s) still queued, up to %ds to run them",
				 w->queued, SRV_WORK_STOP_GRACE);
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
	}
	drain_done(w);
	for (left = w->todo; left != NULL; left = next) {
		next = left->next;
		left->state = SRV_JOB_NOT_RUN;
		left->done(s, left);
	}
	if (w->ev != NULL)
		event_free(w->ev);
	if (w->pipe[0] >= 0)
		close(w->pipe[0]);
	if (w->pipe[1] >= 0)
		close(w->pipe[1]);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	s->work = NULL;
}
