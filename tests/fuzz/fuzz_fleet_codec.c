/* fuzz_fleet_codec.c - fleet_evt_decode on arbitrary bytes
 * SUMMARY  Whatever decodes must encode, decode again to the same event
 *          (fleet_evt_same) and encode again to the same bytes; a refused
 *          input must leave the event cleared and name what it refused. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/fleet_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct evt e1, e2;
	struct buf b1, b2;
	char err[160];

	if (fleet_evt_decode((const char *)data, size, &e1, err, sizeof(err)) < 0) {
		if (err[0] == '\0' || e1.type != EVT_NONE || e1.account[0] != '\0')
			abort();
		return 0;
	}
	buf_init(&b1, 0);
	buf_init(&b2, 0);
	if (fleet_evt_encode(&e1, &b1) < 0 || b1.len > FLEET_EVT_MAX)
		abort();
	if (fleet_evt_decode(b1.data, b1.len, &e2, err, sizeof(err)) < 0)
		abort();
	if (!fleet_evt_same(&e1, &e2))
		abort();
	if (fleet_evt_encode(&e2, &b2) < 0 || b1.len != b2.len ||
	    memcmp(b1.data, b2.data, b1.len) != 0)
		abort();
	buf_release(&b1);
	buf_release(&b2);
	return 0;
}
