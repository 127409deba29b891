/* evt_pack.c - an event in as few bytes as it needs (see evt_pack.h) */
#include "core/evt_pack.h"

#include <stddef.h>
#include <string.h>

#define EVT_SCALARS offsetof(struct evt, service)

/* Every string member, in order; sizes up to LIMIT_ACCOUNT_MAX fit in
 * the 2-byte length. */
#define EVT_STRINGS(X)                                                                         \
	X(service) X(account) X(ip) X(mech) X(qid) X(dlv) X(ndr_qid) X(sender) X(recipient)    \
		X(relay) X(dsn) X(reason) X(host)

#define EVT_STR_CHECK(f) _Static_assert(sizeof(((struct evt *)0)->f) <= 65535, #f);
EVT_STRINGS(EVT_STR_CHECK)
/* The members after the scalars are exactly the strings, host last
 * (then only the struct's padding). */
#define EVT_STR_SIZE(f) +sizeof(((struct evt *)0)->f)
_Static_assert(EVT_SCALARS EVT_STRINGS(EVT_STR_SIZE) ==
		       offsetof(struct evt, host) + sizeof(((struct evt *)0)->host),
	       "struct evt has a member evt_pack does not know");
_Static_assert(sizeof(struct evt) - offsetof(struct evt, host) -
			       sizeof(((struct evt *)0)->host) <
		       _Alignof(struct evt),
	       "struct evt has a member after host");

static inline uint8_t *
put_str(uint8_t *d, const char *s, size_t size)
{
	size_t n = strnlen(s, size - 1);

	d[0] = (uint8_t)(n & 0xff);
	d[1] = (uint8_t)(n >> 8);
	memcpy(d + 2, s, n);
	return d + 2 + n;
}

static inline const uint8_t *
get_str(const uint8_t *s, char *d)
{
	size_t n = (size_t)s[0] | (size_t)s[1] << 8;

	memcpy(d, s + 2, n);
	d[n] = '\0';
	return s + 2 + n;
}

size_t
evt_pack(const struct evt *e, uint8_t *dst)
{
	uint8_t *d = dst;

	memcpy(d, e, EVT_SCALARS);
	d += EVT_SCALARS;
#define EVT_PUT(f) d = put_str(d, e->f, sizeof(e->f));
	EVT_STRINGS(EVT_PUT)
#undef EVT_PUT
	return (size_t)(d - dst);
}

size_t
evt_unpack(const uint8_t *src, struct evt *e)
{
	const uint8_t *s = src;

	memcpy(e, s, EVT_SCALARS);
	s += EVT_SCALARS;
#define EVT_GET(f) s = get_str(s, e->f);
	EVT_STRINGS(EVT_GET)
#undef EVT_GET
	return (size_t)(s - src);
}
