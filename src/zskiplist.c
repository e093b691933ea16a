/* zskiplist: a skiplist with spans, ordered by (score, member). See
 * zskiplist.h for the contract.
 *
 * Each link records how many level-0 steps it jumps (its span); summing the
 * spans along a search path gives a node's rank, which makes ZRANK, ZRANGE
 * by index and ZREMRANGEBYRANK logarithmic. Levels are drawn with p = 1/4,
 * as Redis does, which averages 1.33 links per node.
 *
 * Nodes come from the small-object allocator (no per-allocation header) and
 * their size is recomputed from height and member length when freed.
 */
#include "zskiplist.h"

#include <string.h>

#include "mem.h"
#include "util.h"

int zsl_member_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

/* -1, 0 or 1 as node n orders before, at or after (score, m). */
static int node_cmp(const zsl_node *n, double score, const char *m, size_t len)
{
    if (n->score < score)
        return -1;
    if (n->score > score)
        return 1;
    return zsl_member_cmp(zsl_member(n), n->len, m, len);
}

size_t zsl_node_size(const zsl_node *n)
{
    return sizeof(zsl_node) + (size_t)n->height * sizeof(zsl_link) + n->len;
}

static zsl_node *node_new(int height, double score, const char *m, size_t len)
{
    size_t size = sizeof(zsl_node) + (size_t)height * sizeof(zsl_link) + len;
    zsl_node *n = mem_small_alloc(size);
    n->score = score;
    n->back = NULL;
    n->len = (uint32_t)len;
    n->height = (uint8_t)height;
    if (len)
        memcpy((char *)(n->lv + height), m, len);
    return n;
}

static void node_free(zsl_node *n)
{
    mem_small_free(n, zsl_node_size(n));
}

/* A level in 1..ZSL_MAXLEVEL, each further level with probability 1/4.
 * One 64-bit draw gives enough pairs of bits for all 32 levels. */
static int random_level(void)
{
    uint64_t r = util_random();
    int level = 1;
    while (level < ZSL_MAXLEVEL && (r & 3) == 0) {
        level++;
        r >>= 2;
    }
    return level;
}

void zsl_init(zsl *sl)
{
    sl->head = node_new(ZSL_MAXLEVEL, 0, NULL, 0);
    for (int i = 0; i < ZSL_MAXLEVEL; i++) {
        sl->head->lv[i].fwd = NULL;
        sl->head->lv[i].span = 0;
    }
    sl->tail = NULL;
    sl->length = 0;
    sl->level = 1;
}

void zsl_fini(zsl *sl)
{
    zsl_node *n = sl->head->lv[0].fwd;
    while (n) {
        zsl_node *next = n->lv[0].fwd;
        node_free(n);
        n = next;
    }
    node_free(sl->head);
    sl->head = NULL;
    sl->tail = NULL;
    sl->length = 0;
}

/* Links x (not in the list, score and member set) at its place. */
static void link_node(zsl *sl, zsl_node *x)
{
    zsl_node *update[ZSL_MAXLEVEL];
    size_t rank[ZSL_MAXLEVEL];
    const char *m = zsl_member(x);
    zsl_node *p = sl->head;
    for (int i = sl->level - 1; i >= 0; i--) {
        rank[i] = i == sl->level - 1 ? 0 : rank[i + 1];
        while (p->lv[i].fwd && node_cmp(p->lv[i].fwd, x->score, m, x->len) < 0) {
            rank[i] += p->lv[i].span;
            p = p->lv[i].fwd;
        }
        update[i] = p;
    }
    int h = x->height;
    if (h > sl->level) {
        for (int i = sl->level; i < h; i++) {
            rank[i] = 0;
            update[i] = sl->head;
            update[i]->lv[i].span = sl->length;
        }
        sl->level = h;
    }
    for (int i = 0; i < h; i++) {
        x->lv[i].fwd = update[i]->lv[i].fwd;
        update[i]->lv[i].fwd = x;
        x->lv[i].span = update[i]->lv[i].span - (rank[0] - rank[i]);
        update[i]->lv[i].span = (rank[0] - rank[i]) + 1;
    }
    for (int i = h; i < sl->level; i++)
        update[i]->lv[i].span++;
    x->back = update[0] == sl->head ? NULL : update[0];
    if (x->lv[0].fwd)
        x->lv[0].fwd->back = x;
    else
        sl->tail = x;
    sl->length++;
}

zsl_node *zsl_insert(zsl *sl, double score, const char *m, size_t len)
{
    zsl_node *x = node_new(random_level(), score, m, len);
    link_node(sl, x);
    return x;
}

static void delete_with_update(zsl *sl, zsl_node **update, zsl_node *x);

/* Unlinks x (an element) without freeing it. */
static void unlink_node(zsl *sl, zsl_node *x)
{
    zsl_node *update[ZSL_MAXLEVEL];
    const char *m = zsl_member(x);
    zsl_node *p = sl->head;
    for (int i = sl->level - 1; i >= 0; i--) {
        while (p->lv[i].fwd && node_cmp(p->lv[i].fwd, x->score, m, x->len) < 0)
            p = p->lv[i].fwd;
        update[i] = p;
    }
    delete_with_update(sl, update, x);
}

void zsl_delete_node(zsl *sl, zsl_node *n)
{
    unlink_node(sl, n);
    node_free(n);
}

void zsl_update_score(zsl *sl, zsl_node *n, double score)
{
    /* When the node stays between its neighbours only the score changes;
     * otherwise it is unlinked and linked again at its new place, keeping
     * its height and address. */
    if ((n->back == NULL || n->back->score < score) &&
        (n->lv[0].fwd == NULL || n->lv[0].fwd->score > score)) {
        n->score = score;
        return;
    }
    unlink_node(sl, n);
    n->score = score;
    link_node(sl, n);
}

size_t zsl_rank(const zsl *sl, const zsl_node *n)
{
    const char *m = zsl_member(n);
    size_t rank = 0;
    const zsl_node *p = sl->head;
    for (int i = sl->level - 1; i >= 0; i--) {
        while (p->lv[i].fwd && node_cmp(p->lv[i].fwd, n->score, m, n->len) <= 0) {
            rank += p->lv[i].span;
            p = p->lv[i].fwd;
        }
        if (p == n)
            return rank;
    }
    return 0;
}

zsl_node *zsl_at_rank(const zsl *sl, size_t r)
{
    size_t traversed = 0;
    zsl_node *p = sl->head;
    if (r == 0 || r > sl->length)
        return NULL;
    for (int i = sl->level - 1; i >= 0; i--) {
        while (p->lv[i].fwd && traversed + p->lv[i].span <= r) {
            traversed += p->lv[i].span;
            p = p->lv[i].fwd;
        }
        if (traversed == r)
            return p;
    }
    return NULL;
}

/* ---- ranges ---------------------------------------------------------------- */

int zsl_value_gte_min(double v, const zsl_range *r)
{
    return r->minex ? v > r->min : v >= r->min;
}

int zsl_value_lte_max(double v, const zsl_range *r)
{
    return r->maxex ? v < r->max : v <= r->max;
}

int zsl_range_empty(const zsl_range *r)
{
    return r->min > r->max || (r->min == r->max && (r->minex || r->maxex));
}

/* Redis's sdscmplex between a member and a bound: the infinities compare
 * below or above every member. */
static int lex_cmp(const char *m, size_t len, int kind, const char *b, size_t blen)
{
    if (kind == ZSL_LEX_POS_INF)
        return -1;
    if (kind == ZSL_LEX_NEG_INF)
        return 1;
    return zsl_member_cmp(m, len, b, blen);
}

int zsl_lex_gte_min(const char *m, size_t len, const zsl_lex_range *r)
{
    int c = lex_cmp(m, len, r->minkind, r->min, r->minlen);
    return r->minex ? c > 0 : c >= 0;
}

int zsl_lex_lte_max(const char *m, size_t len, const zsl_lex_range *r)
{
    int c = lex_cmp(m, len, r->maxkind, r->max, r->maxlen);
    return r->maxex ? c < 0 : c <= 0;
}

int zsl_lex_range_empty(const zsl_lex_range *r)
{
    int c;
    if (r->minkind != ZSL_LEX_VALUE && r->minkind == r->maxkind)
        c = 0;
    else if (r->minkind == ZSL_LEX_NEG_INF || r->maxkind == ZSL_LEX_POS_INF)
        c = -1;
    else if (r->minkind == ZSL_LEX_POS_INF || r->maxkind == ZSL_LEX_NEG_INF)
        c = 1;
    else
        c = zsl_member_cmp(r->min, r->minlen, r->max, r->maxlen);
    return c > 0 || (c == 0 && (r->minex || r->maxex));
}

static int in_range(const zsl *sl, const zsl_range *r)
{
    if (zsl_range_empty(r))
        return 0;
    if (!sl->tail || !zsl_value_gte_min(sl->tail->score, r))
        return 0;
    zsl_node *f = sl->head->lv[0].fwd;
    return f && zsl_value_lte_max(f->score, r);
}

static int in_lex(const zsl *sl, const zsl_lex_range *r)
{
    if (zsl_lex_range_empty(r))
        return 0;
    if (!sl->tail || !zsl_lex_gte_min(zsl_member(sl->tail), sl->tail->len, r))
        return 0;
    zsl_node *f = sl->head->lv[0].fwd;
    return f && zsl_lex_lte_max(zsl_member(f), f->len, r);
}

zsl_node *zsl_first_in_range(const zsl *sl, const zsl_range *r)
{
    if (!in_range(sl, r))
        return NULL;
    zsl_node *p = sl->head;
    for (int i = sl->level - 1; i >= 0; i--)
        while (p->lv[i].fwd && !zsl_value_gte_min(p->lv[i].fwd->score, r))
            p = p->lv[i].fwd;
    p = p->lv[0].fwd;
    return p && zsl_value_lte_max(p->score, r) ? p : NULL;
}

zsl_node *zsl_last_in_range(const zsl *sl, const zsl_range *r)
{
    if (!in_range(sl, r))
        return NULL;
    zsl_node *p = sl->head;
    for (int i = sl->level - 1; i >= 0; i--)
        while (p->lv[i].fwd && zsl_value_lte_max(p->lv[i].fwd->score, r))
            p = p->lv[i].fwd;
    return p != sl->head && zsl_value_gte_min(p->score, r) ? p : NULL;
}

zsl_node *zsl_first_in_lex(const zsl *sl, const zsl_lex_range *r)
{
    if (!in_lex(sl, r))
        return NULL;
    zsl_node *p = sl->head;
    for (int i = sl->level - 1; i >= 0; i--)
        while (p->lv[i].fwd &&
               !zsl_lex_gte_min(zsl_member(p->lv[i].fwd), p->lv[i].fwd->len, r))
            p = p->lv[i].fwd;
    p = p->lv[0].fwd;
    return p && zsl_lex_lte_max(zsl_member(p), p->len, r) ? p : NULL;
}

zsl_node *zsl_last_in_lex(const zsl *sl, const zsl_lex_range *r)
{
    if (!in_lex(sl, r))
        return NULL;
    zsl_node *p = sl->head;
    for (int i = sl->level - 1; i >= 0; i--)
        while (p->lv[i].fwd && zsl_lex_lte_max(zsl_member(p->lv[i].fwd), p->lv[i].fwd->len, r))
            p = p->lv[i].fwd;
    return p != sl->head && zsl_lex_gte_min(zsl_member(p), p->len, r) ? p : NULL;
}

/* Unlinks x given update[], the last node before x on every level: the
 * common step of single and range deletions. */
static void delete_with_update(zsl *sl, zsl_node **update, zsl_node *x)
{
    for (int i = 0; i < sl->level; i++) {
        if (update[i]->lv[i].fwd == x) {
            update[i]->lv[i].span += x->lv[i].span - 1;
            update[i]->lv[i].fwd = x->lv[i].fwd;
        } else {
            update[i]->lv[i].span -= 1;
        }
    }
    if (x->lv[0].fwd)
        x->lv[0].fwd->back = x->back;
    else
        sl->tail = x->back;
    while (sl->level > 1 && sl->head->lv[sl->level - 1].fwd == NULL)
        sl->level--;
    sl->length--;
}

size_t zsl_delete_range_by_score(zsl *sl, const zsl_range *r, zsl_node_fn fn, void *ctx)
{
    zsl_node *update[ZSL_MAXLEVEL];
    zsl_node *p = sl->head;
    for (int i = sl->level - 1; i >= 0; i--) {
        while (p->lv[i].fwd && !zsl_value_gte_min(p->lv[i].fwd->score, r))
            p = p->lv[i].fwd;
        update[i] = p;
    }
    size_t removed = 0;
    p = p->lv[0].fwd;
    while (p && zsl_value_lte_max(p->score, r)) {
        zsl_node *next = p->lv[0].fwd;
        delete_with_update(sl, update, p);
        if (fn)
            fn(p, ctx);
        node_free(p);
        removed++;
        p = next;
    }
    return removed;
}

size_t zsl_delete_range_by_lex(zsl *sl, const zsl_lex_range *r, zsl_node_fn fn, void *ctx)
{
    zsl_node *update[ZSL_MAXLEVEL];
    zsl_node *p = sl->head;
    for (int i = sl->level - 1; i >= 0; i--) {
        while (p->lv[i].fwd && !zsl_lex_gte_min(zsl_member(p->lv[i].fwd), p->lv[i].fwd->len, r))
            p = p->lv[i].fwd;
        update[i] = p;
    }
    size_t removed = 0;
    p = p->lv[0].fwd;
    while (p && zsl_lex_lte_max(zsl_member(p), p->len, r)) {
        zsl_node *next = p->lv[0].fwd;
        delete_with_update(sl, update, p);
        if (fn)
            fn(p, ctx);
        node_free(p);
        removed++;
        p = next;
    }
    return removed;
}

size_t zsl_delete_range_by_rank(zsl *sl, size_t start, size_t end, zsl_node_fn fn, void *ctx)
{
    zsl_node *update[ZSL_MAXLEVEL];
    size_t traversed = 0;
    zsl_node *p = sl->head;
    for (int i = sl->level - 1; i >= 0; i--) {
        while (p->lv[i].fwd && traversed + p->lv[i].span < start) {
            traversed += p->lv[i].span;
            p = p->lv[i].fwd;
        }
        update[i] = p;
    }
    size_t removed = 0;
    traversed++;
    p = p->lv[0].fwd;
    while (p && traversed <= end) {
        zsl_node *next = p->lv[0].fwd;
        delete_with_update(sl, update, p);
        if (fn)
            fn(p, ctx);
        node_free(p);
        removed++;
        traversed++;
        p = next;
    }
    return removed;
}
