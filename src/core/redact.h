/* redact.h - keep passwords that daemons log out of everything we print
 * SUMMARY  vpopmail at log levels 3-4 writes the tried password in clear
 *          ("password fail (pass: 'secret') user@dom:1.2.3.4"); Dovecot with
 *          auth_debug_passwords writes "password=secret"; some SASL libraries
 *          log "passwd=". redact_line copies a raw line with each such value
 *          replaced by "[redacted]". Parsers never copy these spans into
 *          events; this is for diagnostics that quote whole lines.
 * LIMITS   dst has dstsize bytes; output is cut and always NUL-terminated. */
#ifndef MS_REDACT_H
#define MS_REDACT_H

#include <stddef.h>

#include "util/strv.h"

size_t redact_line(struct strv line, char *dst, size_t dstsize);

#endif
