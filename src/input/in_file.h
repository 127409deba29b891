/* in_file.h - read a log file line by line, whatever its compression
 * SUMMARY  Opens a path ("-" is standard input), detects gzip, bzip2, xz and
 *          zstd by their magic bytes (never by the file name; standard input
 *          too, without seeking) and returns one line at a time without its
 *          newline (a final line without newline included; a trailing "\r"
 *          is kept for the caller to judge). Concatenated gzip members (as
 *          `cat a.gz b.gz`), bzip2 and xz streams and zstd frames are read
 *          through; zero padding after gzip or bzip2 data is ignored.
 * LIMITS   A line longer than LIMIT_LINE_MAX is returned once with
 *          IN_LINE_TOOLONG and only its first LIMIT_LINE_MAX bytes; the rest
 *          up to the next newline is consumed and dropped. Memory is bounded
 *          by the line limit and fixed buffers (256 KiB of lines, 64 KiB of
 *          raw input, decoder state within LIMIT_DECOMP_MEMORY), whatever
 *          the file size.
 * ERRORS   in_file_open returns NULL and writes the reason into err, naming
 *          the file: "mail.log.2.gz: No such file or directory".
 *          in_file_getline returns -1 on a read error, corrupt or truncated
 *          compressed data, or garbage after it, once every complete line
 *          before the damage has been returned (a cut line is dropped); it
 *          keeps returning -1. in_file_error then tells why, also naming the
 *          file: "x.gz: truncated gzip data", "x.xz: corrupt xz data". */
#ifndef MS_IN_FILE_H
#define MS_IN_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "util/strv.h"

#define IN_LINE_TOOLONG 0x01

struct in_file;

struct in_file *in_file_open(const char *path, char *err, size_t errsize);
/* 1: a line in *line (valid until the next call), 0: end of input, -1: error. */
int in_file_getline(struct in_file *f, struct strv *line, unsigned *flags);
const char *in_file_name(const struct in_file *f);
/* "plain", "gzip", "bzip2", "xz", "zstd". */
const char *in_file_compression(const struct in_file *f);
/* Modification time of the file (now for standard input). */
int64_t in_file_mtime(const struct in_file *f);
/* Bytes of (decompressed) input consumed so far, dropped tails included. */
uint64_t in_file_bytes(const struct in_file *f);
const char *in_file_error(const struct in_file *f);
void in_file_close(struct in_file **f);

#endif
