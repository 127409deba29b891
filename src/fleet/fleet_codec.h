/* fleet_codec.h - one event as text between mailsentry instances
 * SUMMARY  fleet_evt_encode writes the `mailsentry events` JSON object of an
 *          event (evt_json, unchanged) plus, when needed, one extra member
 *          "fleet" holding what that object leaves out or rounds:
 *            usec   microseconds of the time (evt_json writes whole seconds)
 *            dlv    the qmail delivery number
 *            score  the exact spam score ("%.17g"; "nan", "inf", "-inf" as
 *                   strings, and then the top-level "score" is left out)
 *            size   the size as a decimal string when it exceeds what a
 *                   JSON integer can carry here (2^63-1; the top-level
 *                   "size" is then left out)
 *            raw    {field: lowercase hex of the bytes} for each string
 *                   field that is not valid UTF-8 (evt_json writes such
 *                   bytes as U+FFFD, which would change an account's key)
 *          fleet_evt_decode reads such an object (or a plain `mailsentry
 *          events` line) back into a struct evt checked as the parsers
 *          check theirs: identity fields through evt_set, reason and relay
 *          through evt_set_text, the ip through evt_set_ip. Unknown members
 *          are ignored. encode -> decode gives an event equal to the input
 *          in every field the codec carries (fleet_evt_same), and
 *          decode -> encode -> decode is stable.
 * LIMITS   FLEET_EVT_MAX bytes of JSON, both ways. Times from year 0000 to
 *          9999 (what evt_json can write), usec 0..999999.
 * ERRORS   fleet_evt_encode returns -1 (b unchanged) for an event it cannot
 *          carry (time out of range, usec >= 10^6, type or status unknown)
 *          or when b's max is reached. fleet_evt_decode returns -1 with err
 *          "member: why" ("json: ..." for the document itself); e is
 *          cleared then. */
#ifndef MS_FLEET_CODEC_H
#define MS_FLEET_CODEC_H

#include <stdbool.h>
#include <stddef.h>

#include "core/evt.h"
#include "util/buf.h"

#define FLEET_EVT_MAX 16384

int fleet_evt_encode(const struct evt *e, struct buf *b);
int fleet_evt_decode(const char *json, size_t len, struct evt *e, char *err, size_t errlen);
/* Do a and b agree in every field the codec carries? (Scalars behind an
 * EVT_HAS_* flag only when the flag is set; sources by name; NaN scores
 * equal.) */
bool fleet_evt_same(const struct evt *a, const struct evt *b);

#endif
