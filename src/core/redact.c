/* redact.c - keep logged passwords out of our output */
#include "core/redact.h"

#include <string.h>

/* Markers after which a password follows, and how each value ends. */
static const struct redact_rule {
	const char *marker;
	char quote;		/* value ends at this byte (0: at a space or ',') */
} redact_rules[] = {
	{ "(pass: '", '\'' },	/* vpopmail vchkpw, log levels 3-4 */
	{ "pass: '", '\'' },
	{ "password=", 0 },	/* Dovecot auth_debug_passwords */
	{ "passwd=", 0 },
	{ "pass=", 0 },
};

size_t
redact_line(struct strv line, char *dst, size_t dstsize)
{
	static const char mark[] = "[redacted]";
	size_t i = 0, o = 0, r;

	if (dstsize == 0)
		return 0;
	while (i < line.len && o + 1 < dstsize) {
		for (r = 0; r < sizeof(redact_rules) / sizeof(redact_rules[0]); r++) {
			size_t ml = strlen(redact_rules[r].marker);

			if (line.len - i >= ml && memcmp(line.p + i, redact_rules[r].marker, ml) == 0)
				break;
		}
		if (r == sizeof(redact_rules) / sizeof(redact_rules[0])) {
			dst[o++] = line.p[i++];
			continue;
		}
		{
			size_t ml = strlen(redact_rules[r].marker), end = i + ml;
			char q = redact_rules[r].quote;

			/* vpopmail does not escape quotes in the password: the
			 * value ends at the last quote that is followed by ')',
			 * a space or the end of the line. A line cut inside the
			 * password has no such quote: hide all of the rest. */
			if (q != 0) {
				size_t j;

				end = line.len;
				for (j = line.len; j-- > i + ml;) {
					if (line.p[j] == q &&
					    (j + 1 == line.len || line.p[j + 1] == ')' ||
					     line.p[j + 1] == ' ')) {
						end = j;
						break;
					}
				}
			} else {
				while (end < line.len && line.p[end] != ' ' && line.p[end] != ',' &&
				       line.p[end] != '\t')
					end++;
			}
			if (o + ml + sizeof(mark) >= dstsize)
				break;
			memcpy(dst + o, redact_rules[r].marker, ml);
			o += ml;
			memcpy(dst + o, mark, sizeof(mark) - 1);
			o += sizeof(mark) - 1;
			i = end;
		}
	}
	dst[o] = '\0';
	return o;
}
