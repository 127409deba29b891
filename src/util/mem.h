/* mem.h - allocation that succeeds or does not return
 * SUMMARY  mem_alloc/mem_calloc/mem_realloc/mem_strdup/mem_strndup; on
 *          failure or size overflow they call msg_fatal. mem_free(NULL) is fine. */
#ifndef MS_MEM_H
#define MS_MEM_H

#include <stddef.h>

void *mem_alloc(size_t size);
void *mem_calloc(size_t n, size_t size);
void *mem_realloc(void *p, size_t size);
void *mem_reallocarray(void *p, size_t n, size_t size);
char *mem_strdup(const char *s);
char *mem_strndup(const char *s, size_t len);
void mem_free(void *p);

#endif
