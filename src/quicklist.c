/* quicklist: list values, packed or as a list of packed nodes. See
 * quicklist.h for the two encodings and the conversions between them.
 *
 * Invariants of a quicklist: no node is empty; `count` is the sum of the
 * nodes' counts and `len` the number of nodes; each node's `count` equals
 * its pack's. Nodes are filled up to the limit of `fill`, the setting when
 * the list became a quicklist (as Redis keeps it per list). Deleting never
 * merges nodes (as Redis); inserting into the middle of a full node splits
 * it in two at the insertion point.
 */
#include "quicklist.h"

#include <stdint.h>
#include <string.h>

#include "mem.h"

struct ql {
    uint32_t magic; /* always 0: tells a quicklist from a pack (ql_is_packed) */
    int fill;
    ql_node *head, *tail;
    size_t count; /* elements */
    size_t len;   /* nodes */
};

struct ql_node {
    ql_node *prev, *next;
    unsigned char *lp;
    size_t count;
};

/* Node size limits of the negative fills, as Redis's optimization_level. */
static const size_t level_bytes[] = {4096, 8192, 16384, 32768, 65536};
/* A count-limited node still stops at this many bytes (SIZE_SAFETY_LIMIT). */
#define SIZE_SAFETY_LIMIT 8192
/* Redis's allowance for an element's encoding overhead when it checks
 * whether an element fits a node (SIZE_ESTIMATE_OVERHEAD). */
#define SIZE_ESTIMATE_OVERHEAD 8

static unsigned char *pack_of(ql *l)
{
    return (unsigned char *)l;
}

int ql_is_packed(const ql *l)
{
    uint32_t w;
    memcpy(&w, l, sizeof(w));
    return w != 0;
}

/* ---- limits ------------------------------------------------------------------- */

static void limits(int fill, size_t *bytes, size_t *count)
{
    *bytes = SIZE_MAX;
    *count = SIZE_MAX;
    if (fill >= 0) {
        *count = fill == 0 ? 1 : (size_t)fill;
    } else {
        size_t lvl = (size_t)(-(long long)fill) - 1;
        size_t nlevels = sizeof(level_bytes) / sizeof(level_bytes[0]);
        *bytes = level_bytes[lvl < nlevels ? lvl : nlevels - 1];
    }
}

int ql_exceeds(int fill, size_t bytes, size_t count)
{
    size_t max_bytes, max_count;
    limits(fill, &max_bytes, &max_count);
    if (max_bytes != SIZE_MAX)
        return bytes > max_bytes;
    return bytes > SIZE_SAFETY_LIMIT || count > max_count;
}

static int node_allows(const ql *q, const ql_node *n, size_t len)
{
    return !ql_exceeds(q->fill, qlp_bytes(n->lp) + len + SIZE_ESTIMATE_OVERHEAD, n->count + 1);
}

/* ---- nodes -------------------------------------------------------------------- */

static ql_node *node_new(unsigned char *lp, size_t count)
{
    ql_node *n = mem_small_alloc(sizeof(*n));
    n->prev = n->next = NULL;
    n->lp = lp;
    n->count = count;
    return n;
}

/* Links n after `at` (at the head when at is NULL). */
static void link_after(ql *q, ql_node *at, ql_node *n)
{
    n->prev = at;
    n->next = at ? at->next : q->head;
    if (n->next)
        n->next->prev = n;
    else
        q->tail = n;
    if (at)
        at->next = n;
    else
        q->head = n;
    q->len++;
}

static void unlink_free(ql *q, ql_node *n)
{
    if (n->prev)
        n->prev->next = n->next;
    else
        q->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        q->tail = n->prev;
    q->len--;
    q->count -= n->count;
    qlp_free(n->lp);
    mem_small_free(n, sizeof(*n));
}

/* A new node holding only s, linked after `at` (NULL: at the head). */
static void add_single(ql *q, ql_node *at, const char *s, size_t len)
{
    ql_node *n = node_new(qlp_push(qlp_new(), 1, s, len), 1);
    link_after(q, at, n);
    q->count++;
}

static void node_push(ql *q, ql_node *n, int tail, const char *s, size_t len)
{
    n->lp = qlp_push(n->lp, tail, s, len);
    n->count++;
    q->count++;
}

/* The node holding element index (< q->count) and the offset in it,
 * walking from the nearer end. */
static ql_node *locate(const ql *q, size_t index, size_t *off)
{
    ql_node *n;
    if (index < q->count / 2) {
        for (n = q->head; index >= n->count; n = n->next)
            index -= n->count;
        *off = index;
    } else {
        size_t back = q->count - 1 - index; /* from the tail */
        for (n = q->tail; back >= n->count; n = n->prev)
            back -= n->count;
        *off = n->count - 1 - back;
    }
    return n;
}

/* Moves the entries from sp (an entry of n, not its first) to the end into
 * a new node linked after n. */
static ql_node *split(ql *q, ql_node *n, unsigned char *sp)
{
    unsigned char *end = qlp_end(n->lp);
    size_t moved = 0;
    for (unsigned char *p = sp; p != end; p = qlp_skip(p))
        moved++;
    ql_node *right = node_new(qlp_from_entries(sp, (size_t)(end - sp), moved), moved);
    n->lp = qlp_delete(n->lp, &sp, moved);
    n->count -= moved;
    link_after(q, n, right);
    return right;
}

/* Inserts s before or after the entry p of node n, as Redis's
 * _quicklistInsert: into n when it has room; else at the near end of a
 * neighbour with room, or in a node of its own, when p is at n's edge;
 * else n is split at p and s goes to whichever half has room. */
static void node_insert(ql *q, ql_node *n, unsigned char *p, int after, const char *s, size_t len)
{
    if (node_allows(q, n, len)) {
        n->lp = qlp_insert(n->lp, after ? qlp_skip(p) : p, s, len, NULL);
        n->count++;
        q->count++;
        return;
    }
    int at_tail = after && qlp_next(n->lp, p) == NULL;
    int at_head = !after && qlp_prev(n->lp, p) == NULL;
    if (at_tail) {
        if (n->next && node_allows(q, n->next, len))
            node_push(q, n->next, 0, s, len);
        else
            add_single(q, n, s, len);
        return;
    }
    if (at_head) {
        if (n->prev && node_allows(q, n->prev, len))
            node_push(q, n->prev, 1, s, len);
        else
            add_single(q, n->prev, s, len);
        return;
    }
    ql_node *right = split(q, n, after ? qlp_skip(p) : p);
    if (node_allows(q, n, len))
        node_push(q, n, 1, s, len);
    else if (node_allows(q, right, len))
        node_push(q, right, 0, s, len);
    else
        add_single(q, n, s, len);
}

/* ---- whole lists -------------------------------------------------------------- */

ql *ql_new(void)
{
    return (ql *)qlp_new();
}

static ql *quicklist_new(int fill)
{
    ql *q = mem_small_alloc(sizeof(*q));
    memset(q, 0, sizeof(*q));
    q->fill = fill;
    return q;
}

void ql_free(ql *l)
{
    if (!l)
        return;
    if (ql_is_packed(l)) {
        qlp_free(pack_of(l));
        return;
    }
    while (l->head)
        unlink_free(l, l->head);
    mem_small_free(l, sizeof(*l));
}

ql *ql_dup(const ql *l)
{
    if (ql_is_packed(l))
        return (ql *)qlp_dup((const unsigned char *)l);
    ql *q = quicklist_new(l->fill);
    for (const ql_node *n = l->head; n; n = n->next)
        link_after(q, q->tail, node_new(qlp_dup(n->lp), n->count));
    q->count = l->count;
    return q;
}

size_t ql_count(const ql *l)
{
    return ql_is_packed(l) ? qlp_count((const unsigned char *)l) : l->count;
}

size_t ql_node_count(const ql *l)
{
    return ql_is_packed(l) ? 1 : l->len;
}

ql *ql_grow(ql *l, int fill, size_t add_bytes, size_t add_count)
{
    if (!ql_is_packed(l))
        return l;
    unsigned char *lp = pack_of(l);
    if (!ql_exceeds(fill, qlp_bytes(lp) + add_bytes, qlp_count(lp) + add_count))
        return l;
    ql *q = quicklist_new(fill);
    size_t n = qlp_count(lp);
    if (n) {
        link_after(q, NULL, node_new(lp, n));
        q->count = n;
    } else {
        qlp_free(lp);
    }
    return q;
}

ql *ql_shrink(ql *l, int fill)
{
    if (ql_is_packed(l) || l->len != 1)
        return l;
    size_t max_bytes, max_count;
    limits(fill, &max_bytes, &max_count);
    ql_node *n = l->head;
    if (qlp_bytes(n->lp) > max_bytes / 2 || n->count > max_count / 2)
        return l;
    unsigned char *lp = n->lp;
    mem_small_free(n, sizeof(*n));
    mem_small_free(l, sizeof(*l));
    return (ql *)lp;
}

ql *ql_push(ql *l, int tail, const char *s, size_t len)
{
    if (ql_is_packed(l))
        return (ql *)qlp_push(pack_of(l), tail, s, len);
    ql_node *n = tail ? l->tail : l->head;
    if (n && node_allows(l, n, len))
        node_push(l, n, tail, s, len);
    else
        add_single(l, tail ? l->tail : NULL, s, len);
    return l;
}

ql *ql_delete_range(ql *l, size_t start, size_t n)
{
    if (n == 0)
        return l;
    if (ql_is_packed(l)) {
        unsigned char *lp = pack_of(l);
        unsigned char *p = qlp_seek(lp, (long)start);
        return (ql *)qlp_delete(lp, &p, n);
    }
    size_t off;
    ql_node *node = locate(l, start, &off);
    while (n > 0) {
        ql_node *next = node->next;
        size_t k = node->count - off < n ? node->count - off : n;
        if (k == node->count) {
            unlink_free(l, node);
        } else {
            unsigned char *p = qlp_seek(node->lp, (long)off);
            node->lp = qlp_delete(node->lp, &p, k);
            node->count -= k;
            l->count -= k;
        }
        n -= k;
        off = 0;
        node = next;
    }
    return l;
}

ql *ql_replace(ql *l, size_t index, const char *s, size_t len)
{
    if (ql_is_packed(l)) {
        unsigned char *lp = pack_of(l);
        unsigned char *p = qlp_seek(lp, (long)index);
        return (ql *)qlp_replace(lp, &p, s, len);
    }
    size_t off;
    ql_node *n = locate(l, index, &off);
    unsigned char *p = qlp_seek(n->lp, (long)off);
    size_t old_size = (size_t)(qlp_skip(p) - p);
    size_t new_bytes = qlp_bytes(n->lp) - old_size + len + SIZE_ESTIMATE_OVERHEAD;
    if (!ql_exceeds(l->fill, new_bytes, n->count)) {
        n->lp = qlp_replace(n->lp, &p, s, len);
        return l;
    }
    /* Too big for its node: out, then in again through the insert path,
     * which finds it a place. */
    ql_delete_range(l, index, 1);
    if (index == l->count)
        return ql_push(l, 1, s, len);
    n = locate(l, index, &off);
    node_insert(l, n, qlp_seek(n->lp, (long)off), 0, s, len);
    return l;
}

/* ---- iteration ---------------------------------------------------------------- */

void ql_iter_init(ql_iter *it, ql *l, long index, int fwd)
{
    size_t count = ql_count(l);
    it->l = l;
    it->node = NULL;
    it->lp = NULL;
    it->p = NULL;
    it->end = NULL;
    it->sz = 0;
    it->fwd = fwd;
    it->fresh = 1;
    if (index < 0)
        index += (long)count;
    if (index < 0 || (size_t)index >= count)
        return;
    if (ql_is_packed(l)) {
        it->lp = pack_of(l);
        it->p = qlp_seek(it->lp, index);
    } else {
        size_t off;
        it->node = locate(l, (size_t)index, &off);
        it->lp = it->node->lp;
        it->p = qlp_seek(it->lp, (long)off);
    }
    it->end = qlp_end(it->lp);
}

int ql_iter_next(ql_iter *it, ql_entry *e)
{
    if (!it->fresh && it->p) {
        if (it->fwd) {
            it->p += it->sz;
            if (it->p == it->end)
                it->p = NULL;
        } else {
            it->p = qlp_prev(it->lp, it->p);
        }
    }
    it->fresh = 0;
    while (!it->p) {
        if (!it->node)
            return 0;
        it->node = it->fwd ? it->node->next : it->node->prev;
        if (!it->node)
            return 0;
        it->lp = it->node->lp;
        it->end = qlp_end(it->lp);
        it->p = it->fwd ? qlp_first(it->lp) : qlp_last(it->lp);
    }
    it->sz = qlp_get(it->p, e);
    return 1;
}

void ql_iter_delete(ql_iter *it)
{
    unsigned char *p = it->p;
    if (ql_is_packed(it->l)) {
        it->lp = qlp_delete(it->lp, &p, 1);
        it->l = (ql *)it->lp;
    } else {
        ql *q = it->l;
        ql_node *n = it->node;
        if (n->count == 1) {
            /* The node goes; go on from the neighbour's near end. */
            ql_node *next = it->fwd ? n->next : n->prev;
            unlink_free(q, n);
            it->node = next;
            it->lp = next ? next->lp : NULL;
            it->end = next ? qlp_end(next->lp) : NULL;
            it->p = next ? (it->fwd ? qlp_first(next->lp) : qlp_last(next->lp)) : NULL;
            it->fresh = 1;
            return;
        }
        n->lp = qlp_delete(n->lp, &p, 1);
        n->count--;
        q->count--;
        it->lp = n->lp;
    }
    it->end = qlp_end(it->lp);
    /* p is the entry after the deleted one (NULL: it was the last). */
    if (it->fwd)
        it->p = p;
    else
        it->p = p ? qlp_prev(it->lp, p) : qlp_last(it->lp);
    it->fresh = 1;
}

void ql_iter_insert(ql_iter *it, int after, const char *s, size_t len)
{
    if (ql_is_packed(it->l)) {
        it->lp = qlp_insert(it->lp, after ? qlp_skip(it->p) : it->p, s, len, NULL);
        it->l = (ql *)it->lp;
    } else {
        node_insert(it->l, it->node, it->p, after, s, len);
    }
    /* Positions may have moved: the iteration is over. */
    it->node = NULL;
    it->p = NULL;
}

ql *ql_iter_list(const ql_iter *it)
{
    return it->l;
}

/* ---- checking ----------------------------------------------------------------- */

int ql_validate(const ql *l)
{
    if (ql_is_packed(l))
        return qlp_validate((const unsigned char *)l);
    size_t count = 0, len = 0;
    const ql_node *prev = NULL;
    for (const ql_node *n = l->head; n; prev = n, n = n->next) {
        if (n->prev != prev || n->count == 0 || qlp_validate(n->lp) < 0 ||
            qlp_count(n->lp) != n->count)
            return -1;
        count += n->count;
        len++;
    }
    if (prev != l->tail || count != l->count || len != l->len)
        return -1;
    return 0;
}
