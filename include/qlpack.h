/* qlpack: the packed node of a list: a listpack in Redis's exact byte
 * format, walkable in both directions.
 *
 * A small list is one of these on its own; a large list (quicklist.h) is a
 * doubly linked list of them. Lists pop, index and range from either end
 * (RPOP, LINDEX -1, LRANGE -100 -1), so every entry ends with its own
 * length ("back-length") and stepping back is O(1). That is the difference
 * from listpack.h, which drops the back-length to save a byte per entry for
 * hashes, sets and sorted sets, whose walks only go forwards.
 *
 * Layout (Redis's listpack, so sizes, and hence the encoding conversions of
 * list-max-listpack-size, come out as Redis computes them):
 *   header   4 bytes total size (LE), 2 bytes entry count (LE, 65535 =
 *            unknown, count by walking)
 *   entries  encoding+payload, then back-length (1-5 bytes) = the size of
 *            encoding+payload, 7 bits per byte, readable from its last byte
 *   end      one 0xFF byte
 * Encodings: 0xxxxxxx uint 0..127; 10xxxxxx string < 64 bytes; 110xxxxx +1
 * byte int13; 1110xxxx +1 byte string < 4096; 0xF0 +4 bytes string; 0xF1..
 * 0xF4 int16/24/32/64.
 *
 * Values: a string that is the canonical decimal form of a 64-bit integer
 * (what util_str2ll accepts) is stored as that integer and reads back as
 * one; formatting it gives the same bytes. So two entries hold the same
 * bytes exactly when their decoded values are equal and of the same kind.
 *
 * Positions: `p` points at an entry. Any call that changes the pack may move
 * it (the new pointer is returned); positions into the old one are invalid
 * except the one a function hands back. Allocation: up to MEM_SMALL_MAX
 * bytes from the slab allocator (8-byte classes), above from mem_alloc.
 */
#ifndef RESPD_QLPACK_H
#define RESPD_QLPACK_H

#include <stddef.h>

#define QLP_HDR_SIZE 6
/* Bytes for formatting an integer entry (qlp_str). */
#define QLP_INTBUF 24
/* A pack never grows past this (Redis's LISTPACK_MAX_SAFETY_SIZE): the
 * 32-bit size field must not overflow. quicklist keeps nodes far smaller;
 * only one huge element could reach it, and t_list refuses those. */
#define QLP_MAX_SIZE (1u << 30)

/* A decoded entry: a string (s != NULL, len bytes, valid until the pack
 * changes) or an integer (s == NULL, ll). */
typedef struct qlp_val {
    const char *s;
    size_t len;
    long long ll;
} qlp_val;

/* A value searched for (LREM, LPOS, LINSERT): decoded once, so that each
 * entry compares with one integer or memcmp. */
typedef struct qlp_needle {
    const char *s;
    size_t len;
    int is_int;
    long long ll;
} qlp_needle;

/* An empty pack. Released with qlp_free. */
unsigned char *qlp_new(void);
void qlp_free(unsigned char *lp);
unsigned char *qlp_dup(const unsigned char *lp);
/* A new pack holding a copy of nbytes of consecutive raw entries (from a
 * position up to another or to the end byte) that number count. */
unsigned char *qlp_from_entries(const unsigned char *first, size_t nbytes, size_t count);

size_t qlp_bytes(const unsigned char *lp);
/* O(1) below 65535 entries. */
size_t qlp_count(const unsigned char *lp);
/* Bytes an entry holding s[0..len) takes (back-length included). */
size_t qlp_entry_size(const char *s, size_t len);

/* ---- walking: each returns a position or NULL ----------------------------- */
unsigned char *qlp_first(unsigned char *lp);
unsigned char *qlp_last(unsigned char *lp);
unsigned char *qlp_next(unsigned char *lp, unsigned char *p);
unsigned char *qlp_prev(unsigned char *lp, unsigned char *p);
/* The entry at index (negative: from the end); walks from the nearer end. */
unsigned char *qlp_seek(unsigned char *lp, long index);
/* The byte after the entry at p: the next entry or the end byte (a valid
 * place to insert at, see qlp_insert). */
unsigned char *qlp_skip(unsigned char *p);
/* The end byte: inserting there appends. */
unsigned char *qlp_end(unsigned char *lp);

/* ---- reading -------------------------------------------------------------- */
/* Decodes the entry at p into *v; returns the entry's size in bytes. */
size_t qlp_get(const unsigned char *p, qlp_val *v);
/* The entry's bytes in every case: an integer is formatted into buf
 * (QLP_INTBUF bytes) and the result points there. */
const char *qlp_str(const qlp_val *v, char *buf, size_t *len);
void qlp_needle_init(qlp_needle *n, const char *s, size_t len);
/* 1 when the decoded entry v holds the needle's bytes. */
int qlp_eq(const qlp_val *v, const qlp_needle *n);

/* ---- changing: each returns the pack to use from now on ------------------- */
/* Inserts s[0..len) at `at` (an entry, which moves right, or the end byte);
 * *newp (if not NULL) receives the new entry's position. */
unsigned char *qlp_insert(unsigned char *lp, unsigned char *at, const char *s, size_t len,
                          unsigned char **newp);
/* Pushes at the head (tail == 0) or the tail. */
unsigned char *qlp_push(unsigned char *lp, int tail, const char *s, size_t len);
/* Replaces the entry at *p; *p receives the new entry's position. */
unsigned char *qlp_replace(unsigned char *lp, unsigned char **p, const char *s, size_t len);
/* Deletes n entries (they must exist) from *p on; *p receives the entry
 * that followed them, or NULL when they were the last. */
unsigned char *qlp_delete(unsigned char *lp, unsigned char **p, size_t n);

/* Walks the whole pack checking sizes, back-lengths and the count. Returns
 * 0 when consistent, -1 otherwise (tests and debugging). */
int qlp_validate(const unsigned char *lp);

#endif
