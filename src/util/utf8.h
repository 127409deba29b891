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

#endif
