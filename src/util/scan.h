/* scan.h - strict number scanning
 * SUMMARY  Decimal digits only: no sign, no spaces, no trailing bytes.
 * ERRORS   -1 on empty input, a non-digit or overflow; *out untouched then. */
#ifndef MS_SCAN_H
#define MS_SCAN_H

#include <stddef.h>
#include <stdint.h>

int scan_u64(const char *p, size_t len, uint64_t *out);
int scan_u32(const char *p, size_t len, uint32_t *out);
/* Leading decimal digits of p (at most len); returns how many were used,
 * 0 if none or on overflow. */
size_t scan_u64_prefix(const char *p, size_t len, uint64_t *out);

#endif
