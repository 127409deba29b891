/* in_codec.h - decompressors behind in_file: gzip, bzip2, xz, zstd
 * SUMMARY  in_file reads raw bytes from a descriptor into a struct in_src;
 *          a codec turns them into decompressed bytes. The format is chosen
 *          by in_codec_detect from the first bytes, never from a name.
 *          Concatenated streams (`cat a.gz b.gz`, multi-stream bzip2, xz
 *          and zstd frames) are read through; zero bytes after the last
 *          gzip or bzip2 member (tape or block padding) are ignored.
 * LIMITS   xz and zstd decoders are capped at LIMIT_DECOMP_MEMORY, so a
 *          small hostile header cannot make us allocate gigabytes.
 * ERRORS   in_codec_read returns -1 and writes the reason ("truncated gzip
 *          data", "corrupt xz data", a read error) into why; it does not
 *          name the file, in_file does. */
#ifndef MS_IN_CODEC_H
#define MS_IN_CODEC_H

#include <stdbool.h>
#include <stddef.h>

enum in_comp {
	IN_COMP_PLAIN = 0,
	IN_COMP_GZIP,
	IN_COMP_BZIP2,
	IN_COMP_XZ,
	IN_COMP_ZSTD,
};

/* Longest magic number: xz's six bytes. */
#define IN_MAGIC_MAX 6
/* Raw (compressed) read buffer. */
#define IN_SRC_SIZE (64 * 1024)

/* Raw bytes of one input: buf[pos..len) is read but not yet consumed. */
struct in_src {
	int fd;
	unsigned char *buf;	/* IN_SRC_SIZE bytes */
	size_t pos, len;
	bool eof;
	int err;		/* errno of a failed read, 0 if none */
};

/* Moves the unconsumed bytes to the front and reads more.
 * 1: at least one more byte, 0: end of file, -1: read error (src->err). */
int in_src_more(struct in_src *src);

/* The format whose magic starts p[0..n); IN_COMP_PLAIN if none does. */
enum in_comp in_codec_detect(const unsigned char *p, size_t n);
/* "plain", "gzip", "bzip2", "xz", "zstd". */
const char *in_codec_name(enum in_comp comp);

struct in_codec;

/* NULL with the reason in why if the decoder cannot be set up.
 * comp must not be IN_COMP_PLAIN. */
struct in_codec *in_codec_new(enum in_comp comp, char *why, size_t whysize);
/* Decompresses into dst[0..cap). >0: bytes written, 0: end of data,
 * -1: error (reason in why). cap must be > 0. */
long in_codec_read(struct in_codec *c, struct in_src *src, char *dst, size_t cap, char *why,
		   size_t whysize);
void in_codec_free(struct in_codec **c);

#endif
