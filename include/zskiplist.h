/* zskiplist: the ordered index of a large sorted set: a skiplist ordered by
 * (score, member) whose forward links carry spans, so that rank queries and
 * "node at rank r" are O(log n) like lookups, inserts and deletes.
 *
 * A node holds its score, a back link (level 0 only, for reverse walks), its
 * links and, right after them, the member bytes: one allocation per element.
 * Nodes never move while they are in the list (zsl_update_score relinks the
 * same node), so a member -> node hash table kept beside the list (t_zset.c)
 * stays valid across every operation except removal.
 *
 * Order: by score, then by member bytes (memcmp, a shorter prefix first), as
 * Redis orders sorted sets. The caller guarantees that no two nodes have the
 * same member.
 *
 * Ranks are 1-based here (0 means "not found"); t_zset.c converts them to the
 * 0-based ranks clients see.
 */
#ifndef RESPD_ZSKIPLIST_H
#define RESPD_ZSKIPLIST_H

#include <stddef.h>
#include <stdint.h>

/* 32 levels with p = 1/4 suffice for 2^64 elements. */
#define ZSL_MAXLEVEL 32

typedef struct zsl_node zsl_node;

typedef struct zsl_link {
    zsl_node *fwd;
    size_t span;     /* level-0 steps this link jumps over */
} zsl_link;

struct zsl_node {
    double score;
    zsl_node *back;
    uint32_t len;    /* member length */
    uint8_t height;  /* number of links */
    zsl_link lv[];   /* then the member bytes */
};

typedef struct zsl {
    zsl_node *head;  /* sentinel with ZSL_MAXLEVEL links, no member */
    zsl_node *tail;
    size_t length;
    int level;       /* highest level in use */
} zsl;

/* A score interval; minex/maxex make that end open. */
typedef struct zsl_range {
    double min, max;
    int minex, maxex;
} zsl_range;

/* A member interval as ZRANGEBYLEX takes it: each end is a value (inclusive
 * or exclusive) or one of the infinities '-' and '+'. */
enum { ZSL_LEX_VALUE = 0, ZSL_LEX_NEG_INF = 1, ZSL_LEX_POS_INF = 2 };
typedef struct zsl_lex_range {
    const char *min, *max;
    size_t minlen, maxlen;
    int minkind, maxkind;
    int minex, maxex;
} zsl_lex_range;

static inline const char *zsl_member(const zsl_node *n)
{
    return (const char *)(n->lv + n->height);
}

/* Compares two members as Redis's sdscmp: bytes, then length. */
int zsl_member_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* Range predicates, with Redis's exact semantics. */
int zsl_value_gte_min(double v, const zsl_range *r);
int zsl_value_lte_max(double v, const zsl_range *r);
int zsl_range_empty(const zsl_range *r);
int zsl_lex_gte_min(const char *m, size_t len, const zsl_lex_range *r);
int zsl_lex_lte_max(const char *m, size_t len, const zsl_lex_range *r);
int zsl_lex_range_empty(const zsl_lex_range *r);

/* Prepares an empty list; zsl_fini frees every node and the sentinel. */
void zsl_init(zsl *sl);
void zsl_fini(zsl *sl);

/* Inserts a copy of member with score; returns the new node. The member must
 * not be present. */
zsl_node *zsl_insert(zsl *sl, double score, const char *m, size_t len);
/* Unlinks and frees the node n (an element of sl). */
void zsl_delete_node(zsl *sl, zsl_node *n);
/* Moves n to its place for a new score, relinking the same node (its
 * address does not change). */
void zsl_update_score(zsl *sl, zsl_node *n, double score);

/* The 1-based rank of n (an element of sl). */
size_t zsl_rank(const zsl *sl, const zsl_node *n);
/* The node at 1-based rank r, or NULL when out of range. */
zsl_node *zsl_at_rank(const zsl *sl, size_t r);

static inline zsl_node *zsl_first(const zsl *sl)
{
    return sl->head->lv[0].fwd;
}
static inline zsl_node *zsl_last(const zsl *sl)
{
    return sl->tail;
}
static inline zsl_node *zsl_next(const zsl_node *n)
{
    return n->lv[0].fwd;
}
/* The previous node, or NULL for the first (the sentinel is never
 * returned). */
static inline zsl_node *zsl_prev(const zsl_node *n)
{
    return n->back;
}

/* First/last node inside the range, or NULL. O(log n). */
zsl_node *zsl_first_in_range(const zsl *sl, const zsl_range *r);
zsl_node *zsl_last_in_range(const zsl *sl, const zsl_range *r);
zsl_node *zsl_first_in_lex(const zsl *sl, const zsl_lex_range *r);
zsl_node *zsl_last_in_lex(const zsl *sl, const zsl_lex_range *r);

/* Called for each node a range deletion removes, just before it is freed. */
typedef void (*zsl_node_fn)(zsl_node *n, void *ctx);
/* Remove every node in the range (rank: 1-based, inclusive) and return how
 * many were removed. */
size_t zsl_delete_range_by_score(zsl *sl, const zsl_range *r, zsl_node_fn fn, void *ctx);
size_t zsl_delete_range_by_lex(zsl *sl, const zsl_lex_range *r, zsl_node_fn fn, void *ctx);
size_t zsl_delete_range_by_rank(zsl *sl, size_t start, size_t end, zsl_node_fn fn, void *ctx);

/* Bytes a node with this member occupies (for memory estimates). */
size_t zsl_node_size(const zsl_node *n);

#endif
