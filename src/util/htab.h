/* htab.h - hash table from byte-string keys to pointers
 * SUMMARY  Open addressing with linear probing and backward-shift deletion
 *          (no tombstones, so long-running delete-heavy use stays fast).
 *          Keys are copied; values are the caller's. Iteration order is the
 *          slot order and is invalidated by insertion or deletion.
 * LIMITS   HTAB_KEY_MAX bytes per key (longer keys are refused).
 * ERRORS   htab_put returns NULL for a key over HTAB_KEY_MAX. */
#ifndef MS_HTAB_H
#define MS_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTAB_KEY_MAX 1024

struct htab;

struct htab *htab_new(void);
/* The same with a faster hash, for tables whose iteration order does not
 * matter to anyone: their slot order differs from htab_new's. */
struct htab *htab_new_words(void);
/* Free the table; free_val (may be NULL) is called on each value. */
void htab_free(struct htab **h, void (*free_val)(void *));
size_t htab_count(const struct htab *h);
void *htab_get(const struct htab *h, const void *key, size_t klen);
/* Slot holding the value for key, created (value NULL) if absent. The slot
 * pointer is valid until the next put or delete. */
void **htab_put(struct htab *h, const void *key, size_t klen, bool *created);
/* Remove key; returns its value or NULL. */
void *htab_del(struct htab *h, const void *key, size_t klen);
/* Iterate: start with *pos = 0; returns false at the end. */
bool htab_next(const struct htab *h, size_t *pos, const char **key, size_t *klen,
	       void **val);
uint64_t htab_hash(const void *key, size_t klen);

#endif
