/* in_order.h - put log files given in any order into time order
 * SUMMARY  `mailsentry events mail.log mail.log.1 mail.log.2.gz` must read
 *          mail.log.2.gz first. Each file's first framed timestamp decides
 *          (peeked through in_file, so compressed files work); files whose
 *          first line has no timestamp fall back to the logrotate suffix
 *          (".N" / ".N.gz": higher is older; "-YYYYMMDD": earlier is older),
 *          then to the modification time; a suffix compares only files of
 *          one base name ("mail.log.1" with "mail.log.2.gz"). Files no key
 *          separates keep their given order. "-" (stdin) stays where it is.
 * LIMITS   At most the first 64 lines of each file are peeked.
 *          Pipes and FIFOs (`<(zcat x)`) are never peeked and keep their
 *          place, as "-" does.
 * ERRORS   A file that cannot be opened keeps its place; the reader reports
 *          the error when it gets there. */
#ifndef MS_IN_ORDER_H
#define MS_IN_ORDER_H

#include <stddef.h>

/* Reorders paths[0..n) in place, oldest first. year_option as for frame_ctx. */
void in_order_sort(const char **paths, size_t n, int year_option);

#endif
