#!/bin/sh
# qmail_queue_latency.sh - what mailsentry-qmail-queue adds to each message
#
# Usage: sh bench/qmail_queue_latency.sh [BUILD_DIR] [N]
#   BUILD_DIR  where mailsentry and mailsentry-qmail-queue are (default build)
#   N          runs of each kind (default 2000)
#
# A small C driver (compiled here with cc) runs each kind N times the way
# qmail-smtpd runs qmail-queue: fork, a 2 KiB message on descriptor 0 and an
# envelope on descriptor 1 (each from a file), exec, wait. The kinds take
# turns (one of each, N times), so that the machine's load weighs on them
# alike; each run is timed with CLOCK_MONOTONIC (median, p90, p99), the CPU
# time of the children is averaged, and the median of the paired
# differences (wrapper run minus the stand-in run next to it) is the added
# latency. Kinds:
#   qmail-queue alone  a C stand-in that reads both descriptors to their end
#                      and exits 0 (the real one also writes the queue, which
#                      costs the same with or without the wrapper)
#   wrapper, asked     TCPREMOTEINFO set: one policy request to
#                      `mailsentry serve` on 127.0.0.1 (answer DUNNO), then
#                      exec of the stand-in
#   wrapper, no user   no authenticated user: no request, exec only
#   request alone      the wrapper's request without the wrapper: connect
#                      to the daemon, send, read DUNNO, close (in the driver)
# The daemon runs with msg_rate=0 and rcpt_rate=0 so that no answer is a deferral.
set -eu
B=${1:-build}
N=${2:-2000}
case $B in /*) ;; *) B=$(pwd)/$B ;; esac
MS=$B/mailsentry
QQ=$B/mailsentry-qmail-queue
[ -x "$MS" ] && [ -x "$QQ" ] || { echo "build $MS and $QQ first" >&2; exit 2; }
T=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$T"' EXIT

cat >"$T/standin.c" <<'EOF'
#include <unistd.h>
int
main(void)
{
	char b[8192];

	while (read(0, b, sizeof(b)) > 0)
		;
	while (read(1, b, sizeof(b)) > 0)
		;
	return 0;
}
EOF
cat >"$T/drive.c" <<'EOF'
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { ALONE, ASKED, NOUSER, KINDS };
static const char *const names[KINDS] = { "qmail-queue alone", "wrapper, asked", "wrapper, no user" };

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_CHILDREN, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* One run: wall microseconds; *cpu gets the child's CPU microseconds. */
static double
run(int kind, char **argv, double *cpu, int *bad)
{
	const char *prog = kind == ALONE ? argv[4] : argv[5];
	struct timespec a, b;
	double c0 = cpu_us();
	pid_t p;
	int st;

	clock_gettime(CLOCK_MONOTONIC, &a);
	if ((p = fork()) == 0) {
		int m = open(argv[2], O_RDONLY), e = open(argv[3], O_RDONLY);

		dup2(m, 0);
		dup2(e, 1);
		if (kind == ASKED)
			setenv("TCPREMOTEINFO", "alice@example.com", 1);
		execl(prog, prog, (char *)NULL);
		_exit(120);
	}
	waitpid(p, &st, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	*cpu += cpu_us() - c0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		(*bad)++;
	return (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
}

/* The wrapper's request alone, in this process: connect, send, read the
 * answer, close (what the wrapper does between its start and its exec). */
static double
ask(int port, int *bad)
{
	static const char req[] = "request=smtpd_access_policy\nprotocol_state=DATA\n"
				  "protocol_name=ESMTP\nclient_address=192.0.2.7\n"
				  "sasl_username=alice@example.com\n\n";
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timespec a, b;
	char ans[1024];
	size_t have = 0;
	ssize_t r;
	int fd;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	clock_gettime(CLOCK_MONOTONIC, &a);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, req, sizeof(req) - 1, 0) != (ssize_t)(sizeof(req) - 1))
		(*bad)++;
	while (have < sizeof(ans) - 1 && (r = recv(fd, ans + have, sizeof(ans) - 1 - have, 0)) > 0) {
		have += (size_t)r;
		ans[have] = '\0';
		if (strstr(ans, "\n\n") != NULL)
			break;
	}
	if (have == 0 || strncmp(ans, "action=DUNNO\n", 13) != 0)
		(*bad)++;
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
}

/* drive N MSG ENV STANDIN WRAPPER PORT: the kinds interleaved, so that the
 * machine's load weighs on each alike; paired differences too. */
int
main(int argc, char **argv)
{
	int n = atoi(argv[1]), i, k, bad = 0;
	double *us[KINDS], *d[KINDS], cpu[KINDS] = { 0 }, *rt;

	(void)argc;
	for (k = 0; k < KINDS; k++) {
		us[k] = calloc((size_t)n, sizeof(double));
		d[k] = calloc((size_t)n, sizeof(double));
	}
	rt = calloc((size_t)n, sizeof(double));
	for (i = 0; i < n; i++) {
		for (k = 0; k < KINDS; k++)
			us[k][i] = run(k, argv, &cpu[k], &bad);
		rt[i] = ask(atoi(argv[6]), &bad);
		for (k = 0; k < KINDS; k++)
			d[k][i] = us[k][i] - us[ALONE][i];
	}
	for (k = 0; k < KINDS; k++) {
		qsort(us[k], (size_t)n, sizeof(double), cmp);
		qsort(d[k], (size_t)n, sizeof(double), cmp);
		printf("%-18s median %6.0f us  p90 %6.0f us  p99 %6.0f us  CPU %5.0f us",
		       names[k], us[k][n / 2], us[k][n * 9 / 10], us[k][n * 99 / 100], cpu[k] / n);
		if (k != ALONE)
			printf("  added: median %5.0f us", d[k][n / 2]);
		printf("\n");
	}
	qsort(rt, (size_t)n, sizeof(double), cmp);
	printf("%-18s median %6.0f us  p90 %6.0f us  p99 %6.0f us  (connect, request, DUNNO, close)\n",
	       "request alone", rt[n / 2], rt[n * 9 / 10], rt[n * 99 / 100]);
	printf("(%d runs of each, interleaved; %d failed)\n", n, bad);
	return bad != 0;
}
EOF
cc -O2 -o "$T/standin" "$T/standin.c"
cc -O2 -o "$T/drive" "$T/drive.c"
head -c 2048 /dev/urandom | od -An -tx1 | head -c 2048 >"$T/msg"
printf 'Falice@example.com\000Tbob@example.org\000\000' >"$T/env"

for try in 1 2 3 4 5 6 7 8; do
	PORT=$(($(od -An -N2 -tu2 /dev/urandom) % 30000 + 20000))
	"$MS" serve -o state_dir="$T/state" -o policy_listen=inet:127.0.0.1:$PORT \
		-o authpolicy_listen= -o metrics_listen= -o msg_rate=0 -o rcpt_rate=0 \
		>"$T/serve.out" 2>&1 &
	PID=$!
	i=0
	while ! grep -q "ready:" "$T/serve.out" && kill -0 $PID 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q "ready:" "$T/serve.out" && break
	kill $PID 2>/dev/null || true
	PID=
done
[ -n "$PID" ] || { echo "serve did not start: $(cat "$T/serve.out")" >&2; exit 1; }

unset TCPREMOTEINFO SMTPAUTHUSER SMTP_AUTH_USER TCP6REMOTEINFO
export MAILSENTRY_POLICY=inet:127.0.0.1:$PORT MAILSENTRY_QMAILQUEUE="$T/standin" TCPREMOTEIP=192.0.2.7
echo "$(nproc) CPUs, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg), N=$N, message 2 KiB"
"$T/drive" 50 "$T/msg" "$T/env" "$T/standin" "$QQ" "$PORT" >/dev/null	# warm up
"$T/drive" "$N" "$T/msg" "$T/env" "$T/standin" "$QQ" "$PORT"
"$MS" status -o state_dir="$T/state" | grep "policy requests" || true
