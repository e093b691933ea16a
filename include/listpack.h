/* listpack: a compact, contiguous sequence of strings and integers, for small
 * collections (hashes, sets, sorted sets) where a pointer per element would
 * cost more than the element itself.
 *
 * A listpack is one allocation: a 6-byte header (total bytes, entry count)
 * followed by the entries back to back. Each entry is a one- or two-byte
 * header then its payload; there is no back-length, so walking backwards
 * (lp_prev, lp_last, negative lp_seek) rescans from the start and costs
 * O(n). That trade saves a byte per element, which is most of the overhead
 * for the short fields and values small collections hold; collections that
 * convert to a large structure past a few hundred elements never make the
 * O(n) hurt.
 *
 * Values: every entry is a byte string. A string that is the canonical
 * decimal form of a 64-bit integer (what util_str2ll accepts, e.g. "12",
 * "-7", never "012" or "+1") is stored as that integer, in 1 to 9 bytes;
 * reading it back gives the integer, which formats to the same bytes. So
 * the listpack is transparent: callers store bytes and get the same bytes
 * back, and two entries are equal exactly when their bytes are.
 *
 * Positions: an entry is addressed by a pointer `p` into the listpack. Any
 * call that changes the listpack may move it (the new pointer is returned)
 * and invalidates every position except the one a function hands back
 * through its `p` argument. Functions that take `const unsigned char *lp`
 * never modify it.
 *
 * Memory: allocations up to MEM_SMALL_MAX bytes come from the slab allocator
 * (mem_small_alloc) rounded to 8 bytes, larger ones from mem_alloc; the
 * listpack owns its allocation and is released with lp_free only.
 *
 * Typical use (a hash stored as field, value, field, value ...):
 *     unsigned char *lp = lp_new();
 *     lp = lp_append(lp, "f", 1);
 *     lp = lp_append(lp, "42", 2);              // stored as the integer 42
 *     unsigned char *p = lp_find(lp, lp_first(lp), "f", 1, 1);
 *     char buf[LP_INTBUF]; size_t n;
 *     const char *v = lp_get_str(lp_next(lp, p), &n, buf);   // "42"
 *     lp_free(lp);
 */
#ifndef RESPD_LISTPACK_H
#define RESPD_LISTPACK_H

#include <stddef.h>

/* Bytes a caller must provide to lp_get_str for formatting integers. */
#define LP_INTBUF 24
/* Bytes of an empty listpack (the header). */
#define LP_HDR_SIZE 6
/* Largest listpack the callers should let grow, as Redis's 1 GB safety
 * limit: past it a collection must convert to its large structure. */
#define LP_SAFETY_SIZE (1u << 30)

/* A new empty listpack. Released with lp_free. */
unsigned char *lp_new(void);
/* Releases lp; NULL is accepted. */
void lp_free(unsigned char *lp);
/* An independent copy of lp. */
unsigned char *lp_dup(const unsigned char *lp);

/* Total bytes of the listpack (header included). */
size_t lp_bytes(const unsigned char *lp);
/* Number of entries. O(1) below 65535 entries, a scan above. */
size_t lp_len(const unsigned char *lp);
/* 1 when adding `add` more payload bytes keeps lp under LP_SAFETY_SIZE. */
int lp_safe_to_add(const unsigned char *lp, size_t add);

/* ---- walking --------------------------------------------------------------
 * Each returns a position, or NULL when there is no such entry. */
unsigned char *lp_first(const unsigned char *lp);
unsigned char *lp_next(const unsigned char *lp, const unsigned char *p);
/* O(n): rescans from the first entry. */
unsigned char *lp_prev(const unsigned char *lp, const unsigned char *p);
/* O(n). */
unsigned char *lp_last(const unsigned char *lp);
/* The entry at index (0-based; negative counts from the end, -1 the last).
 * O(index). */
unsigned char *lp_seek(const unsigned char *lp, long index);

/* ---- reading -------------------------------------------------------------- */
/* The entry at p: for a string entry returns its bytes (not NUL-terminated,
 * valid until lp changes) and sets *len; for an integer entry returns NULL
 * and sets *ll. */
const char *lp_get(const unsigned char *p, size_t *len, long long *ll);
/* The entry at p as bytes in every case: integers are formatted into buf
 * (LP_INTBUF bytes), which the result then points into. */
const char *lp_get_str(const unsigned char *p, size_t *len, char *buf);
/* 1 when the entry at p holds exactly the bytes s[0..len). */
int lp_eq(const unsigned char *p, const char *s, size_t len);
/* Searches from p (inclusive) for an entry equal to s[0..len); after each
 * compared entry, `skip` entries are stepped over without comparing (skip 1
 * visits only the fields of a field/value listpack). Returns the position
 * or NULL. p may be NULL (then NULL is returned). */
unsigned char *lp_find(const unsigned char *lp, const unsigned char *p, const char *s, size_t len,
                       unsigned skip);

/* ---- changing ---------------------------------------------------------------
 * Every function returns the listpack to use from now on (it may have moved);
 * the old pointer and all positions into it are invalid afterwards. */
/* Appends an entry holding s[0..len). */
unsigned char *lp_append(unsigned char *lp, const char *s, size_t len);
/* Appends the integer v (same as appending its decimal form). */
unsigned char *lp_append_ll(unsigned char *lp, long long v);
/* Inserts s[0..len) before the entry at *p (or appends when *p is NULL);
 * *p is set to the new entry's position. */
unsigned char *lp_insert(unsigned char *lp, unsigned char **p, const char *s, size_t len);
/* Replaces the entry at *p by s[0..len); *p is set to its new position. */
unsigned char *lp_replace(unsigned char *lp, unsigned char **p, const char *s, size_t len);
/* Deletes up to n entries starting at *p; *p is set to the entry that
 * followed them, or NULL at the end. */
unsigned char *lp_delete(unsigned char *lp, unsigned char **p, size_t n);

#endif
