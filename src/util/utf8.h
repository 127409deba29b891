/* utf8.h - UTF-8 validation
 * SUMMARY  utf8_valid_len: length (1..4) of the valid UTF-8 sequence at p,
 *          or 0 if the bytes there are not one (overlongs, surrogates and
 *          code points past U+10FFFF included). utf8_valid: whole buffer. */
#ifndef MS_UTF8_H
#define MS_UTF8_H

#include <stdbool.h>
#include <stddef.h>

size_t utf8_valid_len(const char *p, size_t len);
bool utf8_valid(const char *p, size_t len);
/* What the reading loop asks of every log line, in one pass instead of a
 * memchr and a validation: UTF8_LINE_NUL when it holds a NUL byte, else
 * UTF8_LINE_BAD when it is not valid UTF-8, else UTF8_LINE_OK. */
enum utf8_line { UTF8_LINE_OK, UTF8_LINE_BAD, UTF8_LINE_NUL };
enum utf8_line utf8_check_line(const char *p, size_t len);

#endif
