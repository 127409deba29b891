/* conf.h - table-driven settings (Postfix main.cf style)
 * SUMMARY  A caller describes its settings struct with a table of struct
 *          conf_def (name, type, default text, offsetof, range, help);
 *          this module fills the struct from the defaults, a file, a
 *          buffer or "-o name=value", and prints it back.
 *          Syntax: "name = value" (whitespace around '=' optional), blank
 *          lines, lines whose first non-blank character is '#' (comments;
 *          a '#' later on a line is part of the value), and a line that
 *          starts with a space or tab continues the previous value (joined
 *          with one space). A later assignment of a name wins. CRLF line
 *          ends and a leading UTF-8 BOM are accepted. No $name expansion.
 *          Values:
 *            CONF_INT       int64_t; decimal, optional '-'.
 *            CONF_DURATION  int64_t seconds; 90, 90s, 10m, 24h, 7d, 1w, or
 *                           units combined largest first: 1h30m, 1d12h.
 *            CONF_BOOL      bool; yes/no, true/false, on/off, 1/0 (any case).
 *            CONF_STR       char *, malloc'd, owned by the struct.
 *            CONF_DOUBLE    double; decimal, optional '-', fraction, exponent
 *                           (no hex, inf or nan).
 *          min/max bound numbers and durations (inclusive); min == max == 0
 *          leaves them unchecked. Strings are not checked.
 * LIMITS   CONF_LINE_MAX bytes per physical line, CONF_VALUE_MAX bytes per
 *          value (continuations included), CONF_FILE_MAX bytes per file.
 * ERRORS   Loading is all or nothing: on any error the struct is left as it
 *          was and err holds one line naming the place and the reason:
 *            FILE:LINE: unknown setting "foo" (did you mean "for"?)
 *            FILE:LINE: brute_force_failures: "abc" is not a number
 *            FILE:LINE: brute_force_failures: "0" is out of range (2..100000000)
 *            FILE:LINE: missing '=' after "foo"
 *            -o brute_force_failures=abc: "abc" is not a number
 *          Text from the input is quoted escaped (strv_printable) and cut
 *          to CONF_QUOTE_MAX characters ("..." marks a cut). */
#ifndef MS_CONF_H
#define MS_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A configuration file line; real ones are under 100 bytes. */
#define CONF_LINE_MAX 4096
/* One value after joining its continuation lines (a long list of paths). */
#define CONF_VALUE_MAX 4096
/* A whole configuration file (conf_load_file). */
#define CONF_FILE_MAX (1024 * 1024)
/* Input text quoted in an error message, in characters after escaping. */
#define CONF_QUOTE_MAX 60

enum conf_type { CONF_INT, CONF_DURATION, CONF_BOOL, CONF_STR, CONF_DOUBLE };

struct conf_def {
	const char *name;	/* lower case, [a-z0-9_] */
	enum conf_type type;
	const char *def;	/* default as text, parsed like a file value */
	size_t offset;		/* offsetof() into the caller's settings struct */
	double min, max;	/* allowed range for numbers and durations; min == max == 0: unchecked */
	const char *help;	/* meaning, one or two sentences, for `config --defaults` */
};

/* Set every field of base from the defaults (base is taken as
 * uninitialized: strings in it are overwritten, not freed). Returns -1 only
 * if the table is broken (a bad name, a duplicate, a default that does not
 * parse or is out of range, min > max): a programming error, reported with
 * msg_error naming the setting; no strings are left allocated then. */
int conf_defaults(const struct conf_def *defs, size_t n, void *base);
/* Apply the assignments in text[0..len) over the current values of base.
 * name is the FILE of error messages. */
int conf_load_buf(const struct conf_def *defs, size_t n, void *base, const char *text,
		  size_t len, const char *name, char *err, size_t errlen);
/* conf_load_buf of the file's contents; "PATH: cannot open: reason" (errno
 * kept) and "PATH: larger than N bytes" as well. */
int conf_load_file(const struct conf_def *defs, size_t n, void *base, const char *path,
		   char *err, size_t errlen);
/* One "name=value" (whitespace around '=' allowed), as given to -o. */
int conf_set(const struct conf_def *defs, size_t n, void *base, const char *assignment,
	     char *err, size_t errlen);
/* Free the strings and set them to NULL; base may then be reused. */
void conf_free(const struct conf_def *defs, size_t n, void *base);
/* "name = value" lines in table order; durations in the largest unit that
 * divides them; with_help, each is preceded by its help as "# " comment
 * lines wrapped at 78 columns and followed by a blank line. The output
 * loads back to the same values. */
void conf_print(const struct conf_def *defs, size_t n, const void *base, FILE *fp,
		bool with_help);
/* The entry named name, or NULL. */
const struct conf_def *conf_find(const struct conf_def *defs, size_t n, const char *name);

#endif
