/* scan.c - strict number scanning */
#include "util/scan.h"

size_t
scan_u64_prefix(const char *p, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(p[i] - '0'), &v))
			return 0;
	}
	if (i > 0)
		*out = v;
	return i;
}

int
scan_u64(const char *p, size_t len, uint64_t *out)
{
	uint64_t v;

	if (len == 0 || scan_u64_prefix(p, len, &v) != len)
		return -1;
	*out = v;
	return 0;
}

int
scan_u32(const char *p, size_t len, uint32_t *out)
{
	uint64_t v;

	if (scan_u64(p, len, &v) < 0 || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}
