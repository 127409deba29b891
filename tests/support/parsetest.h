/* parsetest.h - test support: what the parser tests and fuzz targets share
 * SUMMARY  For unit tests: parsetest_frame builds a frame as frame_line
 *          would have (no host; set f.host to add one), parsetest_run and
 *          parsetest_json run a parser and write its events as the JSON
 *          lines of `mailsentry events`, parsetest_rows,
 *          parsetest_vectors and parsetest_outcomes check a table of lines,
 *          parsetest_fill builds the long repetitive lines of the hostile
 *          tests, parsetest_ms times them.
 *          For fuzz targets: fuzz_parser_lines, fuzz_parser_tagged and
 *          fuzz_parser_picked turn the fuzzer's bytes into frames (three
 *          input shapes, one per family of seed corpora), run the parser
 *          directly and through parse_line, and abort() on the first
 *          broken invariant (fuzz_parser_check).
 *          Nothing here uses cmocka: failures are printed on stdout and
 *          counted (unit tests assert the count) or abort (fuzz targets).
 * LIMITS   JSON is cut to the caller's buffer; a line handed to
 *          fuzz_parser_lines is cut at LIMIT_LINE_MAX, and inputs of the
 *          other two shapes longer than LIMIT_LINE_MAX are ignored.
 * ERRORS   See each function. */
#ifndef MS_TEST_PARSETEST_H
#define MS_TEST_PARSETEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame/frame.h"
#include "parse/parse.h"
#include "util/strv.h"

/* ---- unit tests ---------------------------------------------------------- */

/* A frame of the given kind, program, message and time; everything else
 * zero (no host, no pid). prog is a C string ("" for none). */
struct frame parsetest_frame(enum frame_kind kind, const char *prog, struct strv msg, int64_t time);

/* out->n = 0, then fn(f, out) (parse_line when fn is NULL). When the result
 * is PARSE_EVENTS, the JSON of the first max events of out (all of them
 * when max is 0), joined by '\n', goes to json; otherwise json is "".
 * json is cut to size. Returns fn's result. */
enum parse_result parsetest_run(parse_fn *fn, const struct frame *f, struct parse_out *out, int max,
				char *json, size_t size);
/* parsetest_run(parse_line, f, <scratch>, 0, json, size). */
enum parse_result parsetest_json(const struct frame *f, char *json, size_t size);

/* A line that must give events, and their JSON lines joined by '\n'. */
struct parsetest_vector {
	const char *msg, *want;
};
/* A line and the result it must give. */
struct parsetest_outcome {
	const char *msg;
	enum parse_result want;
};
/* Each msg, framed like tmpl (its msg replaced), through parse_line: a
 * vector must give PARSE_EVENTS and exactly its JSON, an outcome its
 * result. Every mismatch is printed; returns their number. */
unsigned parsetest_vectors(const struct frame *tmpl, const struct parsetest_vector *v, size_t n);
unsigned parsetest_outcomes(const struct frame *tmpl, const struct parsetest_outcome *v, size_t n);
/* A line of a program and what the parser makes of it. */
struct parsetest_row {
	const char *prog, *msg;
	enum parse_result want;
	const char *json;	/* the events' JSON lines joined by '\n'; NULL: no events */
};
/* Each row, framed like tmpl (its prog and msg replaced), through fn: the
 * result must be want, and the events exactly json. With via_line,
 * parse_line must also give the same result. Every mismatch is printed;
 * returns their number. */
unsigned parsetest_rows(parse_fn *fn, const struct frame *tmpl, const struct parsetest_row *rows, size_t n,
			bool via_line);
#define PARSETEST_ROWS(fn, tmpl, rows, via_line) \
	parsetest_rows((fn), (tmpl), (rows), sizeof(rows) / sizeof((rows)[0]), (via_line))
#define PARSETEST_VECTORS(tmpl, v) parsetest_vectors((tmpl), (v), sizeof(v) / sizeof((v)[0]))
#define PARSETEST_OUTCOMES(tmpl, v) parsetest_outcomes((tmpl), (v), sizeof(v) / sizeof((v)[0]))

/* head, then unit repeated while it fits in size - 1 bytes; NUL-terminated.
 * Returns the length. */
size_t parsetest_fill(char *line, size_t size, const char *head, const char *unit);

/* A monotonic clock in milliseconds. */
double parsetest_ms(void);

/* ---- fuzz targets -------------------------------------------------------- */

#define FUZZ_PUBLIC 0x1u	/* every event must have a public type (evt_is_public) */

/* Abort unless r and out agree with parse.h and every event is sound:
 * PARSE_EVENTS exactly when out->n > 0, out->n within
 * LIMIT_EVENTS_PER_LINE, each event typed, each text field NUL-terminated,
 * the address empty or one that netaddr_parse reads, and the event
 * printable as JSON. flags: FUZZ_PUBLIC. */
void fuzz_parser_check(const struct parse_out *out, enum parse_result r, unsigned flags);
/* fn(f), checked; then parse_line(f), checked unless PARSE_UNKNOWN_PROG. */
void fuzz_parser_frame(const struct frame *f, parse_fn *fn, unsigned flags);

/* Input: lines separated by '\n', each (cut at LIMIT_LINE_MAX) the message
 * of a frame of the given kind and program. */
int fuzz_parser_lines(const uint8_t *data, size_t size, enum frame_kind kind, const char *prog,
		      parse_fn *fn);
/* Input: the program up to the first '\n', then the message (which may hold
 * more newlines); without a '\n', all of it is the message of prog. Framed
 * as RFC 3164 from host "mx". */
int fuzz_parser_tagged(const uint8_t *data, size_t size, const char *prog, parse_fn *fn, unsigned flags);
/* Input: the first byte picks the program among progs[0..n) (modulo n),
 * the rest is the message; no framing kind (multilog-like when ""). */
int fuzz_parser_picked(const uint8_t *data, size_t size, const char *const *progs, size_t n,
		       parse_fn *fn);
#define FUZZ_PARSER_PICKED(data, size, progs, fn) \
	fuzz_parser_picked((data), (size), (progs), sizeof(progs) / sizeof((progs)[0]), (fn))

#endif
