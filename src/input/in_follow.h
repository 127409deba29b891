/* in_follow.h - follow one growing log file across rotations
 * SUMMARY  A follower of one path, driven by the caller's event loop: no
 *          thread, no loop of its own. The caller calls follow_poll from a
 *          timer (every 100-250 ms) and, if it likes, when the descriptor
 *          of follow_watch_fd becomes readable; polling alone is enough.
 *          Each poll delivers the complete lines written since the last one,
 *          without their newline (a trailing "\r" is kept), in file order.
 *          Rotation, both kinds:
 *          - rename-and-create (logrotate's default): once the file named by
 *            the path is another inode and is not empty (the writer has
 *            reopened), the old descriptor is drained to its end, then the
 *            new file is read from offset 0. While the new file is empty the
 *            old one is still followed, so lines the writer adds to it after
 *            the rename are not lost.
 *          - multilog (the path's last name is "current"): when the file we
 *            read has been renamed away (and the path is a non-empty other
 *            file), after draining it the folder is scanned (at most 10000
 *            entries) for multilog's names, "@" + 24 hex digits + ".s" or
 *            ".u", which sort by time. The one that is our inode is where we
 *            were; every one sorting after it was rotated away before we
 *            opened it (several rotations between two polls): each is read
 *            whole, in name order, as a rotated file is (an unfinished last
 *            line delivered), then the new "current" from offset 0. At most
 *            64 such files per poll (follow_pending then says more is
 *            waiting); the folder is scanned again for each, nothing else is
 *            kept. If our inode is not among the @ files (removed, the
 *            folder cleaned), the new "current" is read as for logrotate:
 *            counted (rotated_unfound) and reported once.
 *          - copytruncate: the file shrank below what was read, or the bytes
 *            just before the read offset changed (truncated and written
 *            again past the old size): reading restarts at offset 0.
 *          A missing path (between rename and create, or not yet created)
 *          is not an error: the old descriptor is kept, the path is tried
 *          again on each poll, and follow_error reports it once. A file that
 *          appears after follow_open is read from its start.
 * POSITION follow_get_pos is where reading resumes after a close and
 *          follow_open: no line is delivered twice nor lost across a restart
 *          (an unfinished line is not delivered, so it is read again whole).
 *          A saved position is trusted only if the path is the same dev/ino,
 *          at least that long, and the byte before the offset is a newline;
 *          otherwise the file is read from 0 and counted as a rotation
 *          (another inode) or a truncation (same inode). Lines written to the
 *          old file after the saved position are not looked for under its
 *          rotated name, except with multilog: a saved inode that is now one
 *          of the @ files is resumed there (same checks), and the @ files
 *          after it and then "current" are read as above. So a restart in
 *          the middle of a multilog catch-up (kill -9 included) skips
 *          nothing: the position is the rotated file being read (its inode,
 *          after its last delivered line); its unfinished last line,
 *          delivered when moving on but not counted in the position until
 *          the next file is opened, is delivered again if the restart falls
 *          between the two. If the saved inode has gone from the folder as
 *          well, "current" is read from 0 (the files between are not).
 * LIMITS   Lines longer than LIMIT_LINE_MAX are skipped up to their newline
 *          and counted (toolong), never split. Memory is one fixed buffer
 *          (64 KiB) whatever the file or line sizes. One poll reads at most
 *          FOLLOW_POLL_MAX_BYTES; follow_pending then says more is waiting.
 *          An unfinished last line is kept until its newline arrives, or
 *          until it has not grown for the partial timeout (default
 *          FOLLOW_PARTIAL_TIMEOUT_MS): then it is delivered anyway, and a
 *          newline that comes right after it is dropped rather than becoming
 *          an empty line, and the rest of a late line is a line of its own. The unfinished line at the end of a rotated or
 *          truncated file is delivered when reading moves on.
 * ERRORS   follow_open returns NULL with errno set when the path exists but
 *          cannot be followed (EACCES, EISDIR, EINVAL for a non-regular
 *          file, a read error); a missing path is not an error. follow_poll
 *          returns -1 with errno kept when reading the file fails (tried
 *          again on the next poll). After follow_open and after each
 *          follow_poll, follow_error is the news to report, naming the
 *          path ("/var/log/mail.log: No such file or directory (waiting for
 *          it)"), or NULL: a read error every time it happens, a missing or
 *          unopenable path once, when it starts. */
#ifndef MS_IN_FOLLOW_H
#define MS_IN_FOLLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An unfinished line is delivered after this long without growth: longer
 * than rsyslog's buffered-writer flush interval (1 s). */
#define FOLLOW_PARTIAL_TIMEOUT_MS 10000
/* Bytes read by one follow_poll, so that catching up on a large file does
 * not stall the caller's event loop. */
#define FOLLOW_POLL_MAX_BYTES (8UL << 20)

struct follow;

/* Where reading stopped, to persist and resume. */
struct follow_pos {
	uint64_t dev, ino, offset;
};

struct follow_stats {
	uint64_t lines;		/* delivered */
	uint64_t bytes;		/* read, skipped lines included */
	uint64_t rotations;	/* switches to a new file (and resumes on another inode) */
	uint64_t truncations;	/* restarts at 0 of the same inode */
	uint64_t toolong;	/* lines skipped for LIMIT_LINE_MAX */
	uint64_t reopen_errors;	/* times the path went missing or could not be opened */
	uint64_t rotated_read;	/* multilog: files read under their rotated @ name only */
	uint64_t rotated_unfound;	/* multilog: the old file not found among the @ files */
};

/* Called for each line: line[len] is '\0' but the line may hold NUL bytes;
 * the bytes are valid only during the call. During the call follow_get_pos
 * already counts this line as delivered (except an unfinished line delivered
 * early, see LIMITS: a restart before more arrives reads it again). fn must
 * not call follow_poll or follow_close on the same follower. */
typedef void follow_line_fn(void *arg, const char *line, size_t len);

/* pos NULL: start at the end of the current file (at the start of the
 * unfinished last line, if any), or at 0 with from_start. pos given: resume
 * there (see POSITION); from_start is then ignored. */
struct follow *follow_open(const char *path, const struct follow_pos *pos, bool from_start);
void follow_close(struct follow **f);
/* Lines delivered, or -1 (errno kept, follow_error says why). */
long follow_poll(struct follow *f, follow_line_fn *fn, void *arg);
/* True when the last poll stopped at FOLLOW_POLL_MAX_BYTES with more to read. */
bool follow_pending(const struct follow *f);
/* The position after the last delivered line; zeros (or the position given
 * to follow_open) while no file has been opened. */
void follow_get_pos(const struct follow *f, struct follow_pos *pos);
const char *follow_path(const struct follow *f);
const char *follow_error(const struct follow *f);
void follow_get_stats(const struct follow *f, struct follow_stats *st);
/* 0: deliver an unfinished line at the first poll that finds it unchanged. */
void follow_set_partial_timeout(struct follow *f, unsigned ms);
/* An inotify descriptor (created on first call, closed by follow_close) that
 * becomes readable when the file or its folder changes; follow_poll drains
 * it. -1 with errno when inotify is unavailable: poll on the timer alone. */
int follow_watch_fd(struct follow *f);

#endif
