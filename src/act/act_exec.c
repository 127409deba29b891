/* act_exec.c - run a program by argument vector, never through a shell
 * SUMMARY  posix_spawn (glibc runs it as clone+exec: no code of ours runs
 *          in the child, so it is safe from a threaded daemon) with the
 *          environment, fds, signal state, process group and working
 *          folder reset. Then one loop: write stdin data, read stdout and
 *          stderr (bounded capture, optional line callback), notice the
 *          exit through a pidfd, and at the deadline SIGTERM the process
 *          group, SIGKILL it ACT_KILL_GRACE_MS later.
 *          The child is not reaped until act_reap: while it is a zombie its
 *          pid, and so its process group id, cannot be reused, so every
 *          kill(-pid) reaches our group and no other.
 *          stdin is one end of a socketpair rather than a pipe so that a
 *          child that exits without reading it gives EPIPE from
 *          send(MSG_NOSIGNAL), not a SIGPIPE to the whole daemon. */
#define _GNU_SOURCE	/* posix_spawn_file_actions_addclosefrom_np, _addchdir_np (glibc 2.34) */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "act/act.h"
#include "util/mem.h"

#if defined(__GLIBC__)
#if !__GLIBC_PREREQ(2, 34)
#error "act_exec.c needs glibc 2.34 (posix_spawn_file_actions_addclosefrom_np)"
#endif
#else
#error "act_exec.c needs glibc 2.34 (posix_spawn_file_actions_addclosefrom_np)"
#endif

/* Without a pidfd (kernel < 5.3, or a seccomp filter), how often the exit
 * is polled for. */
#define ACT_TICK_MS 20
/* Reads per stream per step, so a chatty child cannot starve the deadline. */
#define ACT_READS_PER_STEP 16

struct act_proc {
	pid_t pid;
	int pidfd;
	int in_fd, out_fd, err_fd;
	const char *in;
	size_t in_len, in_off;
	void (*on_line)(void *, const char *, size_t, bool);
	void *line_arg;
	struct buf line;
	bool line_cut;
	int64_t start_ms, deadline_ms, kill_at_ms;
	bool exited, lost, timed_out, orphans_killed, term_sent, kill_sent;
	char out[ACT_CAPTURE_MAX];
	size_t out_len;
	bool out_cut;
	char err[ACT_CAPTURE_MAX];
	size_t err_len;
	bool err_cut;
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* Move fd to 3 or above, so the dup2s onto 0, 1 and 2 cannot clobber each
 * other (a daemon that closed its stdin gets fd 0 from pipe()). */
static int
fd_high(int *fd)
{
	int nfd;

	if (*fd >= 3)
		return 0;
	if ((nfd = fcntl(*fd, F_DUPFD_CLOEXEC, 3)) < 0)
		return -1;
	close(*fd);
	*fd = nfd;
	return 0;
}

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int
spawn_fail(char *err, size_t errlen, const char *path, int e, int *fds, size_t nfds)
{
	size_t i;

	for (i = 0; i < nfds; i++)
		close_fd(&fds[i]);
	snprintf(err, errlen, "cannot execute %.200s: %s", path, strerror(e));
	return -1;
}

int
act_spawn(const struct act_cmd *cmd, struct act_proc **out, char *err, size_t errlen)
{
	static char env_path[] = ACT_ENV_PATH, env_lang[] = ACT_ENV_LANG;
	char *envp[] = { env_path, env_lang, NULL };
	char *av[ACT_ARGS_MAX + 1];
	/* 0,1: stdin socketpair (parent, child); 2,3: stdout pipe; 4,5: stderr */
	int fds[6] = { -1, -1, -1, -1, -1, -1 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	struct act_proc *p;
	size_t i;
	pid_t pid;
	int rc;

	if (cmd->argv == NULL || cmd->argv[0] == NULL || cmd->argv[0][0] != '/') {
		snprintf(err, errlen, "cannot execute %.200s: not an absolute path",
			 cmd->argv && cmd->argv[0] ? cmd->argv[0] : "(none)");
		return -1;
	}
	for (i = 0; cmd->argv[i] != NULL; i++) {
		if (i == ACT_ARGS_MAX) {
			snprintf(err, errlen, "cannot execute %.200s: more than %d arguments",
				 cmd->argv[0], ACT_ARGS_MAX);
			return -1;
		}
		av[i] = (char *)(uintptr_t)cmd->argv[i];	/* execve's prototype, not a write */
	}
	av[i] = NULL;

	if (cmd->in != NULL) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			return spawn_fail(err, errlen, cmd->argv[0], errno, fds, 6);
		fds[0] = sv[0];
		fds[1] = sv[1];
	}
	if (pipe2(fds + 2, O_CLOEXEC) < 0 || pipe2(fds + 4, O_CLOEXEC) < 0)
		return spawn_fail(err, errlen, cmd->argv[0], errno, fds, 6);
	/* The child's ends (1, 3, 5) go to 0, 1, 2; ours are non-blocking. */
	if ((fds[1] >= 0 && fd_high(&fds[1]) < 0) || fd_high(&fds[3]) < 0 ||
	    fd_high(&fds[5]) < 0 || (fds[0] >= 0 && set_nonblock(fds[0]) < 0) ||
	    set_nonblock(fds[2]) < 0 || set_nonblock(fds[4]) < 0)
		return spawn_fail(err, errlen, cmd->argv[0], errno, fds, 6);

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	if (fds[1] >= 0)
		posix_spawn_file_actions_adddup2(&fa, fds[1], 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[3], 1);
	posix_spawn_file_actions_adddup2(&fa, fds[5], 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawn_file_actions_addchdir_np(&fa, "/");
	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					      POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	rc = posix_spawn(&pid, av[0], &fa, &at, av, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0)
		return spawn_fail(err, errlen, cmd->argv[0], rc, fds, 6);
	close_fd(&fds[1]);
	close_fd(&fds[3]);
	close_fd(&fds[5]);

	p = mem_calloc(1, sizeof(*p));
	p->pid = pid;
	p->in_fd = fds[0];
	p->out_fd = fds[2];
	p->err_fd = fds[4];
	p->in = cmd->in;
	p->in_len = cmd->in != NULL ? cmd->in_len : 0;
	p->on_line = cmd->on_line;
	p->line_arg = cmd->line_arg;
	buf_init(&p->line, cmd->line_max ? cmd->line_max : ACT_PQ_LINE_MAX);
	p->start_ms = mono_ms();
	p->deadline_ms = p->start_ms + (cmd->timeout_ms > 0 ? cmd->timeout_ms
							     : ACT_TIMEOUT_DEFAULT_MS);
	p->pidfd = -1;
#ifdef SYS_pidfd_open
	p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);	/* close-on-exec by default */
#endif
	if (p->in_fd >= 0 && p->in_len == 0)
		close_fd(&p->in_fd);	/* empty data: EOF at once */
	*out = p;
	return 0;
}

pid_t
act_proc_pid(const struct act_proc *p)
{
	return p->pid;
}

/* A line ended by '\n' (eof false), or what is left at the end of the
 * output (eof true: nothing when nothing is left). */
static void
line_flush(struct act_proc *p, bool eof)
{
	if (p->on_line != NULL && (!eof || p->line.len > 0 || p->line_cut))
		p->on_line(p->line_arg, p->line.data ? p->line.data : "", p->line.len,
			   p->line_cut);
	buf_reset(&p->line);
	p->line_cut = false;
}

static void
line_feed(struct act_proc *p, const char *s, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(s, '\n', n);
		size_t seg = nl ? (size_t)(nl - s) : n;

		if (!p->line_cut && buf_append(&p->line, s, seg) != 0) {
			/* Keep what fits, then drop the rest of the line. */
			size_t room = p->line.max - p->line.len;

			buf_append(&p->line, s, room);
			p->line_cut = true;
		}
		if (nl == NULL)
			return;
		line_flush(p, false);
		s += seg + 1;
		n -= seg + 1;
	}
}

static void
capture(char *dst, size_t *len, bool *cut, const char *s, size_t n)
{
	size_t room = ACT_CAPTURE_MAX - *len;

	if (n > room) {
		*cut = true;
		n = room;
	}
	memcpy(dst + *len, s, n);
	*len += n;
}

static void
io_read(struct act_proc *p, int *fd, bool is_out)
{
	char chunk[8192];
	int i;

	for (i = 0; *fd >= 0 && i < ACT_READS_PER_STEP; i++) {
		ssize_t n = read(*fd, chunk, sizeof(chunk));

		if (n > 0) {
			if (is_out) {
				capture(p->out, &p->out_len, &p->out_cut, chunk, (size_t)n);
				if (p->on_line != NULL)
					line_feed(p, chunk, (size_t)n);
			} else {
				capture(p->err, &p->err_len, &p->err_cut, chunk, (size_t)n);
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		close_fd(fd);	/* EOF, or an error that will not go away */
		if (is_out)
			line_flush(p, true);
	}
}

static void
io_write(struct act_proc *p)
{
	while (p->in_fd >= 0 && p->in_off < p->in_len) {
		size_t n = p->in_len - p->in_off;
		ssize_t w = send(p->in_fd, p->in + p->in_off, n > 65536 ? 65536 : n,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w > 0) {
			p->in_off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		close_fd(&p->in_fd);	/* EPIPE: the child stopped reading */
	}
	if (p->in_fd >= 0 && p->in_off == p->in_len)
		close_fd(&p->in_fd);	/* EOF for the child */
}

static void
check_exit(struct act_proc *p)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	/* WNOWAIT: leave the zombie, so the pid (and group id) stay ours. */
	if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0) {
		if (si.si_pid == p->pid)
			p->exited = true;
	} else if (errno == ECHILD) {
		p->exited = p->lost = true;	/* reaped behind our back (SIGCHLD ignored?) */
	}
}

static void
group_kill(struct act_proc *p, int sig)
{
	if (!p->lost)
		kill(-p->pid, sig);
}

static void
close_output(struct act_proc *p)
{
	close_fd(&p->out_fd);
	close_fd(&p->err_fd);
	line_flush(p, true);
}

int
act_proc_step(struct act_proc *p)
{
	int64_t now;

	io_write(p);
	io_read(p, &p->out_fd, true);
	io_read(p, &p->err_fd, false);
	if (!p->exited)
		check_exit(p);
	if (p->exited) {
		close_fd(&p->in_fd);
		if (p->term_sent && (p->out_fd >= 0 || p->err_fd >= 0)) {
			/* Timed out: what is left of the group goes too, and we
			 * wait no longer for output. */
			group_kill(p, SIGKILL);
			close_output(p);
		}
	}
	now = mono_ms();
	if (!p->exited) {
		if (!p->term_sent && now >= p->deadline_ms) {
			group_kill(p, SIGTERM);
			p->term_sent = p->timed_out = true;
			p->kill_at_ms = now + ACT_KILL_GRACE_MS;
		} else if (p->term_sent && !p->kill_sent && now >= p->kill_at_ms) {
			group_kill(p, SIGKILL);
			p->kill_sent = true;
		}
	} else if ((p->out_fd >= 0 || p->err_fd >= 0) && now >= p->deadline_ms) {
		/* It exited in time, but something it started still holds its
		 * stdout or stderr open. */
		group_kill(p, SIGKILL);
		p->orphans_killed = true;
		close_output(p);
	}
	return p->exited && p->out_fd < 0 && p->err_fd < 0;
}

size_t
act_proc_pollfds(const struct act_proc *p, struct pollfd *fds)
{
	size_t n = 0;

	if (p->in_fd >= 0)
		fds[n++] = (struct pollfd){ .fd = p->in_fd, .events = POLLOUT };
	if (p->out_fd >= 0)
		fds[n++] = (struct pollfd){ .fd = p->out_fd, .events = POLLIN };
	if (p->err_fd >= 0)
		fds[n++] = (struct pollfd){ .fd = p->err_fd, .events = POLLIN };
	if (!p->exited && p->pidfd >= 0)
		fds[n++] = (struct pollfd){ .fd = p->pidfd, .events = POLLIN };
	return n;
}

int
act_proc_timeout_ms(const struct act_proc *p)
{
	int64_t now = mono_ms(), t = 0;
	bool limit = true;

	if (p->exited) {
		limit = p->out_fd >= 0 || p->err_fd >= 0;
		t = p->deadline_ms - now;
	} else if (!p->term_sent) {
		t = p->deadline_ms - now;
	} else if (!p->kill_sent) {
		t = p->kill_at_ms - now;
	} else {
		t = 100;	/* SIGKILLed: the pidfd tells; tick in case it cannot */
	}
	if (!p->exited && p->pidfd < 0 && t > ACT_TICK_MS)
		t = ACT_TICK_MS;
	if (!limit)
		return -1;
	if (t < 0)
		return 0;
	return t > INT_MAX ? INT_MAX : (int)t;
}

void
act_reap(struct act_proc **pp, struct act_exec_result *res)
{
	struct act_proc *p = *pp;
	int status = 0;
	pid_t w;

	if (p == NULL)
		return;
	if (!p->exited)
		group_kill(p, SIGKILL);
	close_fd(&p->in_fd);
	close_output(p);
	do
		w = waitpid(p->pid, &status, 0);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		p->lost = true;

	memset(res, 0, sizeof(*res));
	res->exit_status = -1;
	if (!p->lost && WIFEXITED(status)) {
		res->exit_status = WEXITSTATUS(status);
	} else if (!p->lost && WIFSIGNALED(status)) {
		res->signal = WTERMSIG(status);
		res->exit_status = 128 + res->signal;
	}
	res->timed_out = p->timed_out;
	res->orphans_killed = p->orphans_killed;
	res->in_written = p->in_off;
	res->elapsed_ms = mono_ms() - p->start_ms;
	memcpy(res->out, p->out, p->out_len);
	res->out[p->out_len] = '\0';
	res->out_len = p->out_len;
	res->out_cut = p->out_cut;
	memcpy(res->err, p->err, p->err_len);
	res->err[p->err_len] = '\0';
	res->err_len = p->err_len;
	res->err_cut = p->err_cut;

	close_fd(&p->pidfd);
	buf_release(&p->line);
	mem_free(p);
	*pp = NULL;
}

int
act_exec(const struct act_cmd *cmd, struct act_exec_result *res, char *err, size_t errlen)
{
	struct act_proc *p;

	if (act_spawn(cmd, &p, err, errlen) != 0) {
		memset(res, 0, sizeof(*res));
		res->exit_status = -1;
		return -1;
	}
	while (!act_proc_step(p)) {
		struct pollfd fds[4];
		size_t n = act_proc_pollfds(p, fds);

		if (poll(fds, (nfds_t)n, act_proc_timeout_ms(p)) < 0 && errno != EINTR) {
			/* Cannot happen with valid fds; do not spin. */
			struct timespec ts = { 0, ACT_TICK_MS * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	act_reap(&p, res);
	return 0;
}
