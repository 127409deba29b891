/* evt_pack.h - an event in as few bytes as it needs, for handing events
 *              between threads
 * SUMMARY  struct evt is 2 KiB of fixed arrays, most of them empty; copying
 *          it whole per event would cost more than parsing the line. The
 *          packed form is the scalars (everything before the first string,
 *          source pointer included: only for use in the same process) and
 *          each string as a 2-byte length and its bytes. evt_unpack gives
 *          back an event that every reader sees as the original: the same
 *          scalars and the same strings up to their NUL.
 * LIMITS   A packed event takes at most EVT_PACK_MAX bytes. */
#ifndef MS_EVT_PACK_H
#define MS_EVT_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "core/evt.h"

#define EVT_PACK_MAX (sizeof(struct evt) + 32)

/* Pack e into dst (room for EVT_PACK_MAX bytes); returns the bytes used. */
size_t evt_pack(const struct evt *e, uint8_t *dst);
/* Unpack the event at src into e; returns the bytes read. src must be
 * what evt_pack wrote (no checks: the bytes never leave the process). */
size_t evt_unpack(const uint8_t *src, struct evt *e);

#endif
