/* geoip.h - country of an address from Tor's GeoIP files (Debian tor-geoipdb)
 * SUMMARY  Reads /usr/share/tor/geoip ("INTLOW,INTHIGH,CC", IPv4 as decimal
 *          integers) and /usr/share/tor/geoip6 ("IPV6LOW,IPV6HIGH,CC") into
 *          compact sorted arrays of range starts; a lookup is one binary
 *          search. Overlapping ranges are resolved at load time: inside an
 *          overlap the range that starts later wins (so a range nested in a
 *          wider one wins over it); of two identical ranges the later line
 *          wins. "??" (Tor's "unknown") lines leave the range unknown.
 * LIMITS   GEOIP_LINE_MAX bytes per line; longer lines are malformed.
 * ERRORS   geoip_open returns NULL only when neither file can be opened
 *          (the country signal is then absent; nothing is printed).
 *          Malformed lines are counted (geoip_malformed) and skipped. */
#ifndef MS_GEOIP_H
#define MS_GEOIP_H

#include <stddef.h>
#include <stdint.h>

#include "util/netaddr.h"

#define GEOIP_PATH4 "/usr/share/tor/geoip"
#define GEOIP_PATH6 "/usr/share/tor/geoip6"

/* Real lines are under 90 bytes ("ffff:...:ffff" twice plus a code). */
#define GEOIP_LINE_MAX 256

struct geoip;

/* NULL paths mean GEOIP_PATH4 / GEOIP_PATH6. A path that cannot be opened
 * (absent, unreadable, "") leaves that family without data. */
struct geoip *geoip_open(const char *path4, const char *path6);
void geoip_free(struct geoip **g);
/* 0 when unknown (no data, g NULL, family 0), else the two upper-case
 * ASCII letters packed as (c0 << 8 | c1). */
uint16_t geoip_country(const struct geoip *g, const struct netaddr *a);
/* Two letters and a NUL; "??" for 0 or anything that is not two letters. */
void geoip_code(uint16_t cc, char out[3]);
/* Range lines accepted from both files ("??" lines and malformed ones not
 * counted). */
size_t geoip_ranges(const struct geoip *g);
/* Lines skipped as malformed, both files together. */
size_t geoip_malformed(const struct geoip *g);

#endif
