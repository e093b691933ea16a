/* t_sort: SORT and SORT_RO over lists, sets and sorted sets, with Redis
 * 7.0's semantics (sort.c): BY (with '*' substitution and "->field" hash
 * lookups, or a pattern without '*' for no sorting), LIMIT, GET (several,
 * '#' for the element), ASC/DESC, ALPHA and STORE.
 *
 * How a SORT runs:
 *   1. Parse every option (a syntax error wins over WRONGTYPE, as Redis).
 *   2. Collect the elements into one vector; their bytes are copied into a
 *      single growing arena (no allocation per element). Lists are read
 *      here through quicklist.h; sets and sorted sets through the walker
 *      their module registered (t_sort.h).
 *   3. Unless sorting is off (BY without '*'), load each element's weight:
 *      its own value or the BY lookup, as a double (strtod, as Redis) or,
 *      with ALPHA and BY, as bytes; then qsort with Redis's comparator.
 *   4. Reply with the LIMIT window, each element or its GET lookups, or
 *      STORE the same as a list (deleting the destination when empty).
 * Pattern lookups are reads through cmd_lookup_read, so they count as
 * keyspace hits and misses as Redis's lookupKeyRead does. Nothing changes
 * in the keyspace before the final STORE, so borrowed bytes stay valid.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmdtable.h"
#include "commands.h"
#include "config.h"
#include "db.h"
#include "mem.h"
#include "multi.h"
#include "quicklist.h"
#include "server.h"
#include "t_hash.h"
#include "t_sort.h"
#include "util.h"

static sort_walk_fn walkers[OBJ_NTYPES];

void sort_register_walker(int type, sort_walk_fn walk)
{
    walkers[type] = walk;
}

/* ---- the element vector ---------------------------------------------------------- */

typedef struct sort_item {
    size_t off, len;       /* element bytes in the arena */
    size_t cmpoff, cmplen; /* ALPHA with BY: the weight's bytes */
    int has_cmp;           /* ALPHA with BY: 0 when the lookup found nothing */
    double score;          /* numeric weight */
} sort_item;

typedef struct sort_vec {
    sort_item *items;
    size_t n, cap;
    char *arena;
    size_t alen, acap;
} sort_vec;

/* Copies bytes into the arena; returns their offset. */
static size_t arena_put(sort_vec *v, const char *s, size_t len)
{
    if (v->alen + len > v->acap) {
        size_t cap = v->acap ? v->acap * 2 : 256;
        while (cap < v->alen + len)
            cap *= 2;
        v->arena = mem_realloc(v->arena, cap);
        v->acap = cap;
    }
    size_t off = v->alen;
    if (len)
        memcpy(v->arena + off, s, len);
    v->alen += len;
    return off;
}

static void vec_add(void *ctx, const char *s, size_t len)
{
    sort_vec *v = ctx;
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->items = mem_realloc(v->items, v->cap * sizeof(*v->items));
    }
    sort_item *it = &v->items[v->n++];
    memset(it, 0, sizeof(*it));
    it->off = arena_put(v, s, len);
    it->len = len;
}

static void vec_free(sort_vec *v)
{
    mem_free(v->items);
    mem_free(v->arena);
}

static void list_walk(const obj *o, sort_elem_fn fn, void *ctx)
{
    ql_iter it;
    ql_entry e;
    char buf[QLP_INTBUF];
    ql_iter_init(&it, obj_value(o), 0, 1);
    while (ql_iter_next(&it, &e)) {
        size_t len;
        const char *s = qlp_str(&e, buf, &len);
        fn(ctx, s, len);
    }
}

/* ---- pattern lookups ------------------------------------------------------------------ */

typedef struct sort_ctx {
    client *c;
    char *key;      /* scratch for substituted key names */
    size_t keycap;
    char intbuf[LP_INTBUF];
} sort_ctx;

/* Looks up the value a BY or GET pattern names for element s[0..len), as
 * Redis's lookupKeyByPattern: "#" is the element itself; otherwise the
 * first '*' is replaced by the element, and a "->field" after it (with a
 * non-empty field) reads that field of a hash; without it the key must hold
 * a string. Returns 1 with *val and *vlen set (borrowed until the keyspace
 * changes), 0 when there is no such value. */
static int lookup_by_pattern(sort_ctx *x, const char *pat, size_t plen, const char *s, size_t len,
                             const char **val, size_t *vlen)
{
    if (plen >= 1 && pat[0] == '#' && (plen == 1 || pat[1] == '\0')) {
        *val = s;
        *vlen = len;
        return 1;
    }
    /* Redis treats the pattern as a C string: a NUL byte ends it for the
     * searches (the lengths still count the whole pattern). */
    size_t clen = strnlen(pat, plen);
    const char *star = memchr(pat, '*', clen);
    if (!star)
        return 0;
    const char *field = NULL;
    size_t flen = 0;
    for (const char *p = star + 1; p + 1 < pat + clen; p++) {
        if (p[0] == '-' && p[1] == '>') {
            if (p + 2 < pat + clen) {
                field = p + 2;
                flen = plen - (size_t)(field - pat);
            }
            break;
        }
    }
    size_t prefix = (size_t)(star - pat);
    size_t postfix = plen - prefix - 1 - (field ? flen + 2 : 0);
    size_t klen = prefix + len + postfix;
    if (klen > x->keycap) {
        x->keycap = klen * 2;
        x->key = mem_realloc(x->key, x->keycap);
    }
    memcpy(x->key, pat, prefix);
    memcpy(x->key + prefix, s, len);
    memcpy(x->key + prefix + len, star + 1, postfix);
    obj *o = cmd_lookup_read(x->c, x->key, klen);
    if (!o)
        return 0;
    if (field) {
        if (obj_type(o) != OBJ_HASH)
            return 0;
        return hash_get_field(o, field, flen, val, vlen, x->intbuf);
    }
    if (obj_type(o) != OBJ_STRING)
        return 0;
    obj_str(o, val, vlen);
    return 1;
}

/* ---- comparing ---------------------------------------------------------------------------- */

/* qsort has no context argument; the comparator's settings live here for
 * the duration of one qsort call (the server is single-threaded). */
static struct {
    const char *arena;
    int alpha, bypattern, desc;
} cmpcfg;

static int bytes_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int r = memcmp(a, b, al < bl ? al : bl);
    if (r)
        return r;
    return al < bl ? -1 : al > bl ? 1 : 0;
}

/* Redis's sortCompare: numeric weights, ties broken by the elements' bytes;
 * ALPHA compares the BY values (missing ones first) or the elements. */
static int sort_cmp(const void *pa, const void *pb)
{
    const sort_item *a = pa, *b = pb;
    const char *ar = cmpcfg.arena;
    int cmp;
    if (!cmpcfg.alpha) {
        if (a->score > b->score)
            cmp = 1;
        else if (a->score < b->score)
            cmp = -1;
        else
            cmp = bytes_cmp(ar + a->off, a->len, ar + b->off, b->len);
    } else if (cmpcfg.bypattern) {
        if (!a->has_cmp || !b->has_cmp)
            cmp = a->has_cmp == b->has_cmp ? 0 : !a->has_cmp ? -1 : 1;
        else
            cmp = bytes_cmp(ar + a->cmpoff, a->cmplen, ar + b->cmpoff, b->cmplen);
    } else {
        cmp = bytes_cmp(ar + a->off, a->len, ar + b->off, b->len);
    }
    return cmpcfg.desc ? -cmp : cmp;
}

/* strtod over the whole value, as Redis: leading space, hex and "inf" are
 * accepted, "" is 0, trailing bytes, overflow and NaN are errors. */
static int parse_score(const char *s, size_t len, double *out)
{
    char buf[128];
    char *tmp = len < sizeof(buf) ? buf : mem_alloc(len + 1);
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *end;
    errno = 0;
    *out = strtod(tmp, &end);
    /* A NUL inside the value ends the C string Redis parses, so only the
     * bytes before it count, as there. */
    int ok = *end == '\0' && errno != ERANGE && !isnan(*out);
    if (tmp != buf)
        mem_free(tmp);
    return ok;
}

/* ---- STORE's AOF form ------------------------------------------------------------------
 * A set iterates in an order that depends on the process's hash seed, so
 * when its elements tie (ALPHA with BY values that are equal or missing)
 * the same SORT can store another order on replay. For a set source the
 * AOF therefore gets the result itself: DEL dst, then RPUSH batches. */
#define STORE_BATCH 64

static void propagate_store(client *c, const char *dk, size_t dkl, ql *l)
{
    char del[] = "DEL", rpush[] = "RPUSH";
    char *argv[2 + STORE_BATCH];
    size_t lens[2 + STORE_BATCH];
    char bufs[STORE_BATCH][QLP_INTBUF];
    argv[0] = del;
    lens[0] = 3;
    argv[1] = (char *)dk;
    lens[1] = dkl;
    cmd_propagate(c, 2, argv, lens);
    if (!l)
        return;
    argv[0] = rpush;
    lens[0] = 5;
    int n = 2;
    ql_iter it;
    ql_entry e;
    ql_iter_init(&it, l, 0, 1);
    while (ql_iter_next(&it, &e)) {
        argv[n] = (char *)qlp_str(&e, bufs[n - 2], &lens[n]);
        if (++n == 2 + STORE_BATCH) {
            cmd_propagate(c, n, argv, lens);
            n = 2;
        }
    }
    if (n > 2)
        cmd_propagate(c, n, argv, lens);
}

/* ---- the command ----------------------------------------------------------------------------- */

typedef struct sort_opts {
    int desc, alpha, dontsort, ro;
    long long limit_start, limit_count;
    int by_argi;    /* argv index of the BY pattern, or 0 */
    int store_argi; /* argv index of the STORE key, or 0 */
    int *gets;      /* argv indexes of GET patterns */
    int ngets;
} sort_opts;

static int parse_opts_or_reply(client *c, sort_opts *o)
{
    for (int j = 2; j < c->argc; j++) {
        int left = c->argc - j - 1;
        if (cmd_arg_is(c, j, "asc")) {
            o->desc = 0;
        } else if (cmd_arg_is(c, j, "desc")) {
            o->desc = 1;
        } else if (cmd_arg_is(c, j, "alpha")) {
            o->alpha = 1;
        } else if (cmd_arg_is(c, j, "limit") && left >= 2) {
            if (cmd_get_ll_or_reply(c, j + 1, &o->limit_start, NULL) < 0 ||
                cmd_get_ll_or_reply(c, j + 2, &o->limit_count, NULL) < 0)
                return -1;
            j += 2;
        } else if (!o->ro && cmd_arg_is(c, j, "store") && left >= 1) {
            o->store_argi = ++j;
        } else if (cmd_arg_is(c, j, "by") && left >= 1) {
            o->by_argi = ++j;
            /* A BY pattern with nothing to substitute means "do not sort". */
            if (!memchr(c->argv[j], '*', strnlen(c->argv[j], c->argvlen[j])))
                o->dontsort = 1;
        } else if (cmd_arg_is(c, j, "get") && left >= 1) {
            o->gets[o->ngets++] = ++j;
        } else {
            client_add_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    return 0;
}

/* Loads the weights (step 3); returns -1 if one cannot be a double. */
static int load_weights(sort_ctx *x, sort_vec *v, const sort_opts *o)
{
    client *c = x->c;
    int err = 0;
    for (size_t j = 0; j < v->n; j++) {
        sort_item *it = &v->items[j];
        const char *s = v->arena + it->off, *w = s;
        size_t wl = it->len;
        if (o->by_argi) {
            if (!lookup_by_pattern(x, c->argv[o->by_argi], c->argvlen[o->by_argi], s, it->len,
                                   &w, &wl))
                continue;
        }
        if (o->alpha) {
            if (o->by_argi) {
                /* The arena may move: copy first, then re-read pointers. */
                size_t off = arena_put(v, w, wl);
                it = &v->items[j];
                it->cmpoff = off;
                it->cmplen = wl;
                it->has_cmp = 1;
            }
        } else if (!parse_score(w, wl, &it->score)) {
            err = 1;
        }
    }
    return err ? -1 : 0;
}

static void sort_generic(client *c, int ro)
{
    int gets[c->argc];
    sort_opts o = {.ro = ro, .limit_count = -1, .gets = gets};
    if (parse_opts_or_reply(c, &o) < 0)
        return;
    obj *src = cmd_lookup_read(c, c->argv[1], c->argvlen[1]);
    int type = src ? obj_type(src) : OBJ_LIST;
    if (src && type != OBJ_LIST && !(type == OBJ_SET || type == OBJ_ZSET)) {
        client_add_error(c, ERR_WRONGTYPE);
        return;
    }
    if (src && type != OBJ_LIST && !walkers[type]) {
        /* The type's module has not registered its walker (t_sort.h). */
        client_add_error(c, ERR_WRONGTYPE);
        return;
    }
    /* A set has no order of its own that replays the same: with STORE,
     * sort it (ALPHA, no BY) so that the stored list is deterministic. */
    if (o.dontsort && type == OBJ_SET && o.store_argi) {
        o.dontsort = 0;
        o.alpha = 1;
        o.by_argi = 0;
    }

    sort_vec v = {0};
    if (src) {
        if (type == OBJ_LIST)
            list_walk(src, vec_add, &v);
        else
            walkers[type](src, vec_add, &v);
    }
    /* Without sorting, a list or sorted set keeps its order, reversed by
     * DESC, as Redis reads them from the other end. */
    if (o.dontsort && o.desc && (type == OBJ_LIST || type == OBJ_ZSET)) {
        for (size_t i = 0, k = v.n; i + 1 < k; i++, k--) {
            sort_item t = v.items[i];
            v.items[i] = v.items[k - 1];
            v.items[k - 1] = t;
        }
    }

    /* The LIMIT window, clamped as Redis clamps it. */
    long long len = (long long)v.n;
    long long start = o.limit_start < 0 ? 0 : o.limit_start;
    long long end = o.limit_count < 0 ? len - 1 : start + o.limit_count - 1;
    if (start >= len) {
        start = len - 1;
        end = len - 2;
    }
    if (end >= len)
        end = len - 1;

    sort_ctx x = {.c = c};
    int conv_err = 0;
    if (!o.dontsort) {
        conv_err = load_weights(&x, &v, &o) < 0;
        cmpcfg.arena = v.arena;
        cmpcfg.alpha = o.alpha;
        cmpcfg.bypattern = o.by_argi != 0;
        cmpcfg.desc = o.desc;
        if (v.n > 1)
            qsort(v.items, v.n, sizeof(*v.items), sort_cmp);
    }

    long long outlen = (end - start + 1) * (o.ngets ? o.ngets : 1);
    if (outlen < 0)
        outlen = 0;
    reply_buf *rb = client_reply_buf(c);
    if (conv_err) {
        client_add_error(c, "ERR One or more scores can't be converted into double");
    } else if (!o.store_argi) {
        reply_array(rb, outlen);
        for (long long j = start; j <= end; j++) {
            const char *s = v.arena + v.items[j].off;
            size_t sl = v.items[j].len;
            if (!o.ngets)
                reply_bulk(rb, s, sl);
            for (int g = 0; g < o.ngets; g++) {
                const char *val;
                size_t vl;
                if (lookup_by_pattern(&x, c->argv[gets[g]], c->argvlen[gets[g]], s, sl, &val, &vl))
                    reply_bulk(rb, val, vl);
                else
                    reply_null(rb);
            }
        }
    } else {
        ql *l = ql_new();
        int fill = cfg.list_max_listpack_size;
        for (long long j = start; j <= end; j++) {
            const char *s = v.arena + v.items[j].off;
            size_t sl = v.items[j].len;
            for (int g = 0; g < (o.ngets ? o.ngets : 1); g++) {
                const char *val = s;
                size_t vl = sl;
                if (o.ngets && !lookup_by_pattern(&x, c->argv[gets[g]], c->argvlen[gets[g]], s,
                                                  sl, &val, &vl)) {
                    val = "";
                    vl = 0;
                }
                l = ql_grow(l, fill, vl, 1);
                l = ql_push(l, 1, val, vl);
            }
        }
        const char *dk = c->argv[o.store_argi];
        size_t dkl = c->argvlen[o.store_argi];
        if (outlen > 0) {
            obj *dst = obj_new_value(dk, dkl, OBJ_LIST,
                                     ql_is_packed(l) ? OBJ_ENC_LISTPACK : OBJ_ENC_QUICKLIST, l,
                                     OBJ_NO_EXPIRE);
            db_set(c->db, dst);
            cmd_key_stored(c->db, dk, dkl);
            cmd_dirty(c, outlen);
            if (type == OBJ_SET)
                propagate_store(c, dk, dkl, l);
        } else {
            ql_free(l);
            if (db_delete(c->db, dk, dkl)) {
                multi_touch_key(c->db, dk, dkl);
                cmd_dirty(c, 1);
                if (type == OBJ_SET)
                    propagate_store(c, dk, dkl, NULL);
            }
        }
        reply_int(rb, outlen);
    }
    mem_free(x.key);
    vec_free(&v);
}

static void cmd_sort(client *c)
{
    sort_generic(c, 0);
}

static void cmd_sort_ro(client *c)
{
    sort_generic(c, 1);
}

/* SORT's keys: the source, and the destination of the last STORE, found
 * the way Redis's sortGetKeys finds it (skipping LIMIT, GET and BY
 * arguments). */
static int sort_getkeys(char **argv, size_t *argvlen, int argc, int *pos, int max)
{
    if (max < 1 || argc < 2)
        return argc < 2 ? -1 : 0;
    pos[0] = 1;
    int store = 0;
    for (int i = 2; i < argc; i++) {
        if (util_eq_nocase(argv[i], argvlen[i], "limit"))
            i += 2;
        else if (util_eq_nocase(argv[i], argvlen[i], "get") ||
                 util_eq_nocase(argv[i], argvlen[i], "by"))
            i += 1;
        else if (util_eq_nocase(argv[i], argvlen[i], "store") && i + 1 < argc)
            store = i + 1;
    }
    if (store && max >= 2) {
        pos[1] = store;
        return 2;
    }
    return 1;
}

static cmd_def sort_commands[] = {
    CKF("sort", cmd_sort, -2, W | M | CMD_TOUCHES_OWN_KEYS, 1, 1, 1, sort_getkeys, "write set sortedset list slow dangerous", "generic", "1.0.0", "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.", "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N)."),
    C("sort_ro", cmd_sort_ro, -2, R, 1, 1, 1, "read set sortedset list slow dangerous", "generic", "7.0.0", "Returns the sorted elements of a list, a set, or a sorted set.", "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N)."),
    END,
};

__attribute__((constructor)) static void register_sort(void)
{
    cmd_register_table(sort_commands);
}
