/* mem.c - allocation that succeeds or does not return */
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

#include "util/msg.h"

void *
mem_alloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		msg_fatal("out of memory allocating %zu bytes", size);
	return p;
}

void *
mem_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		msg_fatal("out of memory allocating %zu x %zu bytes", n, size);
	return p;
}

void *
mem_realloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	if (q == NULL)
		msg_fatal("out of memory reallocating %zu bytes", size);
	return q;
}

void *
mem_reallocarray(void *p, size_t n, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(n, size, &total))
		msg_fatal("allocation size overflow: %zu x %zu", n, size);
	return mem_realloc(p, total);
}

char *
mem_strndup(const char *s, size_t len)
{
	char *p = mem_alloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
mem_strdup(const char *s)
{
	return mem_strndup(s, strlen(s));
}

void
mem_free(void *p)
{
	free(p);
}
