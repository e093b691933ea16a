/* t_list: the list commands, their command table and the list type's
 * keyspace operations (free, dup, AOF rewrite).
 *
 * Values are quicklist.h lists: "listpack" while small, "quicklist" past
 * list-max-listpack-size, converted as Redis 7.2 does (ql_grow before
 * adding, ql_shrink after removing). Every change stores the returned value
 * back into the entry (obj_set_value), since a packed list moves as it
 * grows. A list that becomes empty is deleted: no empty list is ever stored.
 *
 * Semantics, argument checks and their order, error texts and reply bytes
 * follow Redis 7.0's t_list.c. Where Redis rewrites a command for
 * replication, the same form is fed to the AOF: a served BLPOP becomes LPOP
 * key, LMPOP and BLMPOP become LPOP/RPOP key count, BLMOVE becomes LMOVE and
 * BRPOPLPUSH becomes RPOPLPUSH.
 *
 * Blocking (blocking.h): a blocking command first tries to serve like its
 * non-blocking form; when every key is empty it blocks, and the blocking
 * module runs the whole command again when a key is signalled. Every
 * command that adds elements signals its key. Redis 7.0 answers a timed-out
 * list command with a null array, BLMOVE and BRPOPLPUSH included.
 */
#include <limits.h>
#include <string.h>

#include "blocking.h"
#include "cmdtable.h"
#include "commands.h"
#include "config.h"
#include "db.h"
#include "mem.h"
#include "multi.h"
#include "quicklist.h"
#include "server.h"
#include "util.h"

enum { HEAD = 0, TAIL = 1 };

/* Elements of a gigabyte or more are refused: a packed node's size field
 * must not overflow (Redis stores such elements in "plain" nodes). */
#define MAX_ELEMENT (QLP_MAX_SIZE - 64)
/* Elements per RPUSH in an AOF rewrite (Redis's AOF_REWRITE_ITEMS_PER_CMD). */
#define REWRITE_BATCH 64

static int fill(void)
{
    return cfg.list_max_listpack_size;
}

static ql *list_of(obj *o)
{
    return obj_value(o);
}

/* Stores l (the value a quicklist call returned) back into o. */
static void store(obj *o, ql *l)
{
    obj_set_value(o, l, ql_is_packed(l) ? OBJ_ENC_LISTPACK : OBJ_ENC_QUICKLIST);
}

/* Replies WRONGTYPE and returns 1 when o exists and is not a list. */
static int wrongtype(client *c, obj *o)
{
    if (o && obj_type(o) != OBJ_LIST) {
        client_add_error(c, ERR_WRONGTYPE);
        return 1;
    }
    return 0;
}

static obj *create_list(client *c, const char *key, size_t klen)
{
    obj *o = obj_new_value(key, klen, OBJ_LIST, OBJ_ENC_LISTPACK, ql_new(), OBJ_NO_EXPIRE);
    db_add(c->db, o);
    return o;
}

/* Replies an error and returns -1 when one of argv[first..last] is too
 * large to store. */
static int elements_fit_or_reply(client *c, int first, int last)
{
    for (int j = first; j <= last; j++) {
        if (c->argvlen[j] > MAX_ELEMENT) {
            client_add_error(c, "ERR list element too large (1 GB at most)");
            return -1;
        }
    }
    return 0;
}

/* After n elements were removed from o: deletes the key when the list is
 * empty, else lets the encoding shrink; counts the changes. */
static void removed(client *c, obj *o, const char *key, size_t klen, ql *l, long long n)
{
    if (ql_count(l) == 0) {
        store(o, l); /* the entry frees the value it points to */
        db_delete(c->db, key, klen);
    } else {
        store(o, ql_shrink(l, fill()));
    }
    cmd_dirty(c, n);
}

/* "LEFT" or "RIGHT" at argv[argi], else a syntax error. */
static int where_or_reply(client *c, int argi, int *where)
{
    if (cmd_arg_is(c, argi, "left")) {
        *where = HEAD;
    } else if (cmd_arg_is(c, argi, "right")) {
        *where = TAIL;
    } else {
        client_add_error(c, ERR_SYNTAX);
        return -1;
    }
    return 0;
}

/* An integer argument of at least min; msg is the error for anything else
 * (Redis's getRangeLongFromObjectOrReply with a message). */
static int range_arg_or_reply(client *c, int argi, long long min, const char *msg,
                              long long *out)
{
    if (!util_str2ll(c->argv[argi], c->argvlen[argi], out) || *out < min) {
        client_add_error(c, msg);
        return -1;
    }
    return 0;
}

/* ---- replies -------------------------------------------------------------------- */

static void reply_entry(reply_buf *rb, const ql_entry *e)
{
    if (e->s)
        reply_bulk(rb, e->s, e->len);
    else
        reply_bulk_ll(rb, e->ll);
}

/* Bulk strings written in runs: one reply_reserve per WRITER_CHUNK bytes
 * instead of one per element, and short lengths and payloads copied inline.
 * LRANGE, and popping with a count, reply with hundreds of small elements
 * (redis-benchmark's LRANGE_600: a third fewer instructions per request
 * than with reply_bulk per element).
 * Nothing else may write to the buffer between writer_put and
 * writer_done. */
#define WRITER_CHUNK 4096
typedef struct writer {
    reply_buf *rb;
    char *p;     /* reserved space */
    size_t room; /* its size */
    size_t used;
} writer;

static void writer_done(writer *w)
{
    if (w->room)
        reply_commit(w->rb, w->used);
    w->room = w->used = 0;
}

static void writer_put(writer *w, const char *s, size_t len)
{
    /* '$', up to 20 digits, CRLF, the bytes, CRLF, and a NUL from ll2str */
    size_t need = len + 26;
    if (need > w->room - w->used) {
        writer_done(w);
        if (need > WRITER_CHUNK) {
            reply_bulk(w->rb, s, len);
            return;
        }
        w->p = reply_reserve(w->rb, WRITER_CHUNK);
        w->room = WRITER_CHUNK;
    }
    char *q = w->p + w->used;
    *q++ = '$';
    if (len < 10) {
        *q++ = (char)('0' + len);
    } else if (len < 100) {
        *q++ = (char)('0' + len / 10);
        *q++ = (char)('0' + len % 10);
    } else {
        q += util_ll2str(q, (long long)len);
    }
    *q++ = '\r';
    *q++ = '\n';
    if (len <= 16) {
        for (size_t i = 0; i < len; i++)
            q[i] = s[i];
    } else {
        memcpy(q, s, len);
    }
    q += len;
    *q++ = '\r';
    *q++ = '\n';
    w->used = (size_t)(q - w->p);
}

/* An array of n elements from index start towards the tail (fwd) or the
 * head, written straight from the nodes. */
static void reply_range(reply_buf *rb, ql *l, long start, size_t n, int fwd)
{
    ql_iter it;
    ql_entry e;
    writer w = {rb, NULL, 0, 0};
    reply_array(rb, (long long)n);
    ql_iter_init(&it, l, start, fwd);
    while (n-- > 0 && ql_iter_next(&it, &e)) {
        if (e.s) {
            writer_put(&w, e.s, e.len);
        } else {
            char num[QLP_INTBUF];
            writer_put(&w, num, (size_t)util_ll2str(num, e.ll));
        }
    }
    writer_done(&w);
}

/* ---- AOF forms ------------------------------------------------------------------ */

/* "LPOP key" or, with count >= 0, "LPOP key count" (RPOP for the tail). */
static void propagate_pop(client *c, int where, const char *key, size_t klen, long long count)
{
    char lpop[] = "LPOP", rpop[] = "RPOP", num[24];
    char *argv[3] = {where == HEAD ? lpop : rpop, (char *)key, num};
    size_t lens[3] = {4, klen, 0};
    if (count >= 0)
        lens[2] = (size_t)util_ll2str(num, count);
    cmd_propagate(c, count >= 0 ? 3 : 2, argv, lens);
    multi_touch_key(c->db, key, klen); /* the one key popped (WATCH) */
}

/* ---- blocking ------------------------------------------------------------------- */

/* Blocks c on argv[first .. first+nkeys). A client that cannot block (the
 * AOF loader, a transaction's EXEC) gets the timeout reply at once, as Redis
 * does for clients denied blocking. */
static void block_on_keys(client *c, int first, int nkeys, long long deadline)
{
    if (c->flags & (CLIENT_FAKE | CLIENT_IN_EXEC)) {
        reply_null_array(client_reply_buf(c));
        return;
    }
    int small[16] = {0};
    int *idx = nkeys <= 16 ? small : mem_alloc(sizeof(int) * (size_t)nkeys);
    for (int i = 0; i < nkeys; i++)
        idx[i] = first + i;
    blocking_block(c, idx, nkeys, deadline, BLOCK_TIMEOUT_NULL_ARRAY, OBJ_LIST);
    if (idx != small)
        mem_free(idx);
}

/* ---- push ----------------------------------------------------------------------- */

static void push_generic(client *c, int where, int only_existing)
{
    const char *key = c->argv[1];
    size_t klen = c->argvlen[1];
    obj *o = cmd_lookup_write(c, key, klen);
    if (wrongtype(c, o))
        return;
    if (!o && only_existing) {
        reply_int(client_reply_buf(c), 0);
        return;
    }
    if (elements_fit_or_reply(c, 2, c->argc - 1) < 0)
        return;
    if (!o)
        o = create_list(c, key, klen);
    size_t bytes = 0;
    for (int j = 2; j < c->argc; j++)
        bytes += c->argvlen[j];
    ql *l = ql_grow(list_of(o), fill(), bytes, (size_t)(c->argc - 2));
    for (int j = 2; j < c->argc; j++)
        l = ql_push(l, where, c->argv[j], c->argvlen[j]);
    store(o, l);
    cmd_dirty(c, c->argc - 2);
    blocking_signal_key(c->db, key, klen);
    reply_int(client_reply_buf(c), (long long)ql_count(l));
}

static void cmd_lpush(client *c)
{
    push_generic(c, HEAD, 0);
}

static void cmd_rpush(client *c)
{
    push_generic(c, TAIL, 0);
}

static void cmd_lpushx(client *c)
{
    push_generic(c, HEAD, 1);
}

static void cmd_rpushx(client *c)
{
    push_generic(c, TAIL, 1);
}

static void cmd_linsert(client *c)
{
    int after;
    if (cmd_arg_is(c, 2, "after")) {
        after = 1;
    } else if (cmd_arg_is(c, 2, "before")) {
        after = 0;
    } else {
        client_add_error(c, ERR_SYNTAX);
        return;
    }
    obj *o = cmd_lookup_write(c, c->argv[1], c->argvlen[1]);
    if (!o) {
        reply_int(client_reply_buf(c), 0);
        return;
    }
    if (wrongtype(c, o) || elements_fit_or_reply(c, 4, 4) < 0)
        return;
    /* As Redis 7.2: convert first as if the element will go in, rather than
     * walking the list twice. */
    ql *l = ql_grow(list_of(o), fill(), c->argvlen[4], 1);
    qlp_needle pivot;
    qlp_needle_init(&pivot, c->argv[3], c->argvlen[3]);
    ql_iter it;
    ql_entry e;
    int inserted = 0;
    ql_iter_init(&it, l, 0, 1);
    while (ql_iter_next(&it, &e)) {
        if (qlp_eq(&e, &pivot)) {
            ql_iter_insert(&it, after, c->argv[4], c->argvlen[4]);
            inserted = 1;
            break;
        }
    }
    l = ql_iter_list(&it);
    store(o, l);
    if (!inserted) {
        reply_int(client_reply_buf(c), -1);
        return;
    }
    cmd_dirty(c, 1);
    blocking_signal_key(c->db, c->argv[1], c->argvlen[1]);
    reply_int(client_reply_buf(c), (long long)ql_count(l));
}

/* ---- pop ------------------------------------------------------------------------ */

/* Replies with the element at the head or tail of o's list and removes it
 * (deleting the key when it was the last). */
static void pop_one(client *c, obj *o, const char *key, size_t klen, int where)
{
    ql *l = list_of(o);
    size_t n = ql_count(l);
    ql_iter it;
    ql_entry e;
    ql_iter_init(&it, l, where == HEAD ? 0 : -1, 1);
    ql_iter_next(&it, &e);
    reply_entry(client_reply_buf(c), &e);
    removed(c, o, key, klen, ql_delete_range(l, where == HEAD ? 0 : n - 1, 1), 1);
}

/* Replies with an array of up to count elements popped from one end, the
 * tail's in tail-first order; returns how many. */
static long long pop_range(client *c, obj *o, const char *key, size_t klen, int where,
                           long long count)
{
    ql *l = list_of(o);
    size_t n = ql_count(l);
    size_t k = (unsigned long long)count > n ? n : (size_t)count;
    reply_range(client_reply_buf(c), l, where == HEAD ? 0 : -1, k, where == HEAD);
    removed(c, o, key, klen, ql_delete_range(l, where == HEAD ? 0 : n - k, k), (long long)k);
    return (long long)k;
}

static void pop_generic(client *c, int where)
{
    long long count = 0;
    int has_count = c->argc == 3;
    if (c->argc > 3) {
        client_add_errorf(c, "ERR wrong number of arguments for '%s' command", c->cmd->name);
        return;
    }
    if (has_count &&
        range_arg_or_reply(c, 2, 0, "ERR value is out of range, must be positive", &count) < 0)
        return;
    const char *key = c->argv[1];
    size_t klen = c->argvlen[1];
    obj *o = cmd_lookup_write(c, key, klen);
    if (!o) {
        if (has_count)
            reply_null_array(client_reply_buf(c));
        else
            reply_null(client_reply_buf(c));
        return;
    }
    if (wrongtype(c, o))
        return;
    if (!has_count)
        pop_one(c, o, key, klen, where);
    else if (count == 0)
        reply_array(client_reply_buf(c), 0);
    else
        pop_range(c, o, key, klen, where, count);
}

static void cmd_lpop(client *c)
{
    pop_generic(c, HEAD);
}

static void cmd_rpop(client *c)
{
    pop_generic(c, TAIL);
}

/* The pop of BLPOP/BRPOP (count < 0: one element) and of LMPOP/BLMPOP (an
 * array of up to count elements), from the first non-empty list among
 * argv[first .. first+nkeys): replies [key, element(s)] and feeds the AOF
 * LPOP/RPOP key [count]. Returns 1 when it replied (served, or WRONGTYPE),
 * 0 when no list had anything. */
static int pop_first_nonempty(client *c, int first, int nkeys, int where, long long count)
{
    for (int j = first; j < first + nkeys; j++) {
        obj *o = cmd_lookup_write(c, c->argv[j], c->argvlen[j]);
        if (!o)
            continue;
        if (wrongtype(c, o))
            return 1;
        reply_buf *rb = client_reply_buf(c);
        reply_array(rb, 2);
        reply_bulk(rb, c->argv[j], c->argvlen[j]);
        if (count < 0)
            pop_one(c, o, c->argv[j], c->argvlen[j], where);
        else
            count = pop_range(c, o, c->argv[j], c->argvlen[j], where, count);
        propagate_pop(c, where, c->argv[j], c->argvlen[j], count);
        return 1;
    }
    return 0;
}

static void bpop_generic(client *c, int where)
{
    long long deadline;
    if (blocking_timeout_or_reply(c, c->argc - 1, &deadline) < 0)
        return;
    if (!pop_first_nonempty(c, 1, c->argc - 2, where, -1))
        block_on_keys(c, 1, c->argc - 2, deadline);
}

static void cmd_blpop(client *c)
{
    bpop_generic(c, HEAD);
}

static void cmd_brpop(client *c)
{
    bpop_generic(c, TAIL);
}

/* LMPOP numkeys key... LEFT|RIGHT [COUNT n], and BLMPOP timeout numkeys ...:
 * numkeys is at argv[numkeys_idx]. */
static void mpop_generic(client *c, int numkeys_idx, int blocking)
{
    long long numkeys, count = -1;
    int where;
    if (range_arg_or_reply(c, numkeys_idx, 1, "ERR numkeys should be greater than 0", &numkeys) <
        0)
        return;
    if (numkeys > c->argc - numkeys_idx - 2) {
        client_add_error(c, ERR_SYNTAX);
        return;
    }
    int where_idx = numkeys_idx + (int)numkeys + 1;
    if (where_or_reply(c, where_idx, &where) < 0)
        return;
    for (int j = where_idx + 1; j < c->argc; j++) {
        if (count == -1 && j + 1 < c->argc && cmd_arg_is(c, j, "count")) {
            if (range_arg_or_reply(c, ++j, 1, "ERR count should be greater than 0", &count) < 0)
                return;
        } else {
            client_add_error(c, ERR_SYNTAX);
            return;
        }
    }
    if (count == -1)
        count = 1;
    long long deadline = 0;
    if (blocking && blocking_timeout_or_reply(c, 1, &deadline) < 0)
        return;
    if (pop_first_nonempty(c, numkeys_idx + 1, (int)numkeys, where, count))
        return;
    if (blocking)
        block_on_keys(c, numkeys_idx + 1, (int)numkeys, deadline);
    else
        reply_null_array(client_reply_buf(c));
}

static void cmd_lmpop(client *c)
{
    mpop_generic(c, 1, 0);
}

static void cmd_blmpop(client *c)
{
    mpop_generic(c, 2, 1);
}

/* ---- move ----------------------------------------------------------------------- */

/* LMOVE and friends once the positions are parsed: pops from argv[1],
 * pushes to argv[2] (possibly the same list), replies the element. When
 * the source is missing: blocks (deadline >= 0) or replies null. */
static void move_generic(client *c, int from, int to, long long deadline)
{
    const char *skey = c->argv[1], *dkey = c->argv[2];
    size_t sklen = c->argvlen[1], dklen = c->argvlen[2];
    obj *src = cmd_lookup_write(c, skey, sklen);
    if (wrongtype(c, src))
        return;
    if (!src) {
        /* Denied blocking (in EXEC), BLMOVE answers as LMOVE: a null bulk. */
        if (deadline >= 0 && !(c->flags & CLIENT_IN_EXEC))
            block_on_keys(c, 1, 1, deadline);
        else
            reply_null(client_reply_buf(c));
        return;
    }
    obj *dst = cmd_lookup_write(c, dkey, dklen);
    if (wrongtype(c, dst))
        return;
    /* Copy the element out: with src == dst, removing it moves the bytes
     * the push would read. */
    ql *l = list_of(src);
    size_t n = ql_count(l);
    ql_iter it;
    ql_entry e;
    ql_iter_init(&it, l, from == HEAD ? 0 : -1, 1);
    ql_iter_next(&it, &e);
    char num[QLP_INTBUF], small[128];
    size_t vlen;
    const char *v = qlp_str(&e, num, &vlen);
    char *val = vlen <= sizeof(small) ? small : mem_alloc(vlen);
    memcpy(val, v, vlen);
    store(src, ql_delete_range(l, from == HEAD ? 0 : n - 1, 1));

    if (!dst)
        dst = create_list(c, dkey, dklen);
    l = ql_grow(list_of(dst), fill(), vlen, 1);
    store(dst, ql_push(l, to, val, vlen));
    blocking_signal_key(c->db, dkey, dklen);
    reply_bulk(client_reply_buf(c), val, vlen);
    if (val != small)
        mem_free(val);
    /* After the push: with src == dst the list is not empty any more. */
    removed(c, src, skey, sklen, list_of(src), 1);
}

static void cmd_lmove(client *c)
{
    int from, to;
    if (where_or_reply(c, 3, &from) < 0 || where_or_reply(c, 4, &to) < 0)
        return;
    move_generic(c, from, to, -1);
}

static void cmd_rpoplpush(client *c)
{
    move_generic(c, TAIL, HEAD, -1);
}

static void cmd_blmove(client *c)
{
    int from, to;
    long long deadline;
    if (where_or_reply(c, 3, &from) < 0 || where_or_reply(c, 4, &to) < 0 ||
        blocking_timeout_or_reply(c, 5, &deadline) < 0)
        return;
    long long dirty = server.dirty;
    move_generic(c, from, to, deadline);
    if (server.dirty != dirty) {
        char lmove[] = "LMOVE";
        char *argv[5] = {lmove, c->argv[1], c->argv[2], c->argv[3], c->argv[4]};
        size_t lens[5] = {5, c->argvlen[1], c->argvlen[2], c->argvlen[3], c->argvlen[4]};
        cmd_propagate(c, 5, argv, lens);
    }
}

static void cmd_brpoplpush(client *c)
{
    long long deadline;
    if (blocking_timeout_or_reply(c, 3, &deadline) < 0)
        return;
    long long dirty = server.dirty;
    move_generic(c, TAIL, HEAD, deadline);
    if (server.dirty != dirty) {
        char rpoplpush[] = "RPOPLPUSH";
        char *argv[3] = {rpoplpush, c->argv[1], c->argv[2]};
        size_t lens[3] = {9, c->argvlen[1], c->argvlen[2]};
        cmd_propagate(c, 3, argv, lens);
    }
}

/* ---- read ----------------------------------------------------------------------- */

static void cmd_llen(client *c)
{
    obj *o = cmd_lookup_read(c, c->argv[1], c->argvlen[1]);
    if (wrongtype(c, o))
        return;
    reply_int(client_reply_buf(c), o ? (long long)ql_count(list_of(o)) : 0);
}

static void cmd_lindex(client *c)
{
    obj *o = cmd_lookup_read(c, c->argv[1], c->argvlen[1]);
    if (!o) {
        reply_null(client_reply_buf(c));
        return;
    }
    long long index;
    if (wrongtype(c, o) || cmd_get_ll_or_reply(c, 2, &index, NULL) < 0)
        return;
    ql_iter it;
    ql_entry e;
    ql_iter_init(&it, list_of(o), (long)index, 1);
    if (ql_iter_next(&it, &e))
        reply_entry(client_reply_buf(c), &e);
    else
        reply_null(client_reply_buf(c));
}

static void cmd_lrange(client *c)
{
    long long start, end;
    if (cmd_get_ll_or_reply(c, 2, &start, NULL) < 0 || cmd_get_ll_or_reply(c, 3, &end, NULL) < 0)
        return;
    obj *o = cmd_lookup_read(c, c->argv[1], c->argvlen[1]);
    if (!o) {
        reply_array(client_reply_buf(c), 0);
        return;
    }
    if (wrongtype(c, o))
        return;
    ql *l = list_of(o);
    long long llen = (long long)ql_count(l);
    if (start < 0)
        start += llen;
    if (end < 0)
        end += llen;
    if (start < 0)
        start = 0;
    if (start > end || start >= llen) {
        reply_array(client_reply_buf(c), 0);
        return;
    }
    if (end >= llen)
        end = llen - 1;
    reply_range(client_reply_buf(c), l, (long)start, (size_t)(end - start + 1), 1);
}

/* LPOS key element [RANK rank] [COUNT num] [MAXLEN len] */
static void cmd_lpos(client *c)
{
    long long rank = 1, count = -1, maxlen = 0;
    for (int j = 3; j < c->argc; j++) {
        int more = j + 1 < c->argc;
        if (more && cmd_arg_is(c, j, "rank")) {
            if (cmd_get_ll_or_reply(c, ++j, &rank, NULL) < 0)
                return;
            if (rank == 0) {
                client_add_error(c, "ERR RANK can't be zero: use 1 to start from the first "
                                    "match, 2 from the second ... or use negative to start "
                                    "from the end of the list");
                return;
            }
        } else if (more && cmd_arg_is(c, j, "count")) {
            if (range_arg_or_reply(c, ++j, 0, "ERR COUNT can't be negative", &count) < 0)
                return;
        } else if (more && cmd_arg_is(c, j, "maxlen")) {
            if (range_arg_or_reply(c, ++j, 0, "ERR MAXLEN can't be negative", &maxlen) < 0)
                return;
        } else {
            client_add_error(c, ERR_SYNTAX);
            return;
        }
    }
    /* Redis 7.0 negates the rank without a range check: RANK LLONG_MIN
     * stays negative, so every match from the tail counts as reached and
     * COUNT never stops the search. Reproduced, not fixed. */
    int fwd = rank > 0, rank_min = rank == LLONG_MIN;
    if (rank_min)
        rank = 1;
    else if (rank < 0)
        rank = -rank;
    obj *o = cmd_lookup_read(c, c->argv[1], c->argvlen[1]);
    reply_buf *rb = client_reply_buf(c);
    if (!o) {
        if (count != -1)
            reply_array(rb, 0);
        else
            reply_null(rb);
        return;
    }
    if (wrongtype(c, o))
        return;
    ql *l = list_of(o);
    long long llen = (long long)ql_count(l), index = 0, matches = 0, found = -1, emitted = 0;
    size_t off = count != -1 ? reply_defer(rb) : 0;
    qlp_needle needle;
    qlp_needle_init(&needle, c->argv[2], c->argvlen[2]);
    ql_iter it;
    ql_entry e;
    ql_iter_init(&it, l, fwd ? 0 : -1, fwd);
    for (; (maxlen == 0 || index < maxlen) && ql_iter_next(&it, &e); index++) {
        if (!qlp_eq(&e, &needle) || ++matches < rank)
            continue;
        found = fwd ? index : llen - index - 1;
        if (count == -1)
            break;
        reply_int(rb, found);
        emitted++;
        if (count && !rank_min && matches - rank + 1 >= count)
            break;
    }
    if (count != -1)
        reply_defer_set(rb, off, '*', emitted);
    else if (found != -1)
        reply_int(rb, found);
    else
        reply_null(rb);
}

/* ---- change in place ------------------------------------------------------------ */

static void cmd_lset(client *c)
{
    obj *o = cmd_lookup_write(c, c->argv[1], c->argvlen[1]);
    if (!o) {
        client_add_error(c, "ERR no such key");
        return;
    }
    long long index;
    if (wrongtype(c, o) || cmd_get_ll_or_reply(c, 2, &index, NULL) < 0 ||
        elements_fit_or_reply(c, 3, 3) < 0)
        return;
    /* As Redis 7.2: the growing conversion happens before the index check. */
    ql *l = ql_grow(list_of(o), fill(), c->argvlen[3], 1);
    store(o, l);
    long long llen = (long long)ql_count(l);
    if (index < 0)
        index += llen;
    if (index < 0 || index >= llen) {
        client_add_error(c, "ERR index out of range");
        return;
    }
    l = ql_replace(l, (size_t)index, c->argv[3], c->argvlen[3]);
    store(o, ql_shrink(l, fill()));
    cmd_dirty(c, 1);
    reply_ok(client_reply_buf(c));
}

static void cmd_lrem(client *c)
{
    long long count;
    if (cmd_get_ll_or_reply(c, 2, &count, NULL) < 0)
        return;
    obj *o = cmd_lookup_write(c, c->argv[1], c->argvlen[1]);
    if (!o) {
        reply_int(client_reply_buf(c), 0);
        return;
    }
    if (wrongtype(c, o))
        return;
    /* The magnitude in unsigned arithmetic: LLONG_MIN has no positive
     * counterpart (and then, as in Redis, removes every match). */
    unsigned long long want = count < 0 ? 0ULL - (unsigned long long)count : (unsigned long long)count;
    qlp_needle needle;
    qlp_needle_init(&needle, c->argv[3], c->argvlen[3]);
    ql_iter it;
    ql_entry e;
    unsigned long long n = 0;
    ql_iter_init(&it, list_of(o), count < 0 ? -1 : 0, count >= 0);
    while (ql_iter_next(&it, &e)) {
        if (!qlp_eq(&e, &needle))
            continue;
        ql_iter_delete(&it);
        if (++n == want)
            break;
    }
    if (n)
        removed(c, o, c->argv[1], c->argvlen[1], ql_iter_list(&it), (long long)n);
    reply_int(client_reply_buf(c), (long long)n);
}

static void cmd_ltrim(client *c)
{
    long long start, end;
    if (cmd_get_ll_or_reply(c, 2, &start, NULL) < 0 || cmd_get_ll_or_reply(c, 3, &end, NULL) < 0)
        return;
    obj *o = cmd_lookup_write(c, c->argv[1], c->argvlen[1]);
    if (!o) {
        reply_ok(client_reply_buf(c));
        return;
    }
    if (wrongtype(c, o))
        return;
    ql *l = list_of(o);
    long long llen = (long long)ql_count(l), ltrim, rtrim;
    if (start < 0)
        start += llen;
    if (end < 0)
        end += llen;
    if (start < 0)
        start = 0;
    if (start > end || start >= llen) {
        ltrim = llen; /* out of range: the list goes */
        rtrim = 0;
    } else {
        if (end >= llen)
            end = llen - 1;
        ltrim = start;
        rtrim = llen - end - 1;
    }
    l = ql_delete_range(l, 0, (size_t)ltrim);
    l = ql_delete_range(l, (size_t)(llen - ltrim - rtrim), (size_t)rtrim);
    removed(c, o, c->argv[1], c->argvlen[1], l, ltrim + rtrim);
    reply_ok(client_reply_buf(c));
}

/* ---- the type's keyspace operations ------------------------------------------- */

static void list_free(void *val)
{
    ql_free(val);
}

static void *list_dup(const void *val)
{
    return ql_dup(val);
}

/* RPUSH key e1 .. e64, as many as the list needs. */
static void list_rewrite(const char *key, size_t klen, const void *val, obj_emit_fn emit,
                         void *ctx)
{
    const char *argv[2 + REWRITE_BATCH];
    size_t lens[2 + REWRITE_BATCH];
    char nums[REWRITE_BATCH][QLP_INTBUF];
    argv[0] = "RPUSH";
    lens[0] = 5;
    argv[1] = key;
    lens[1] = klen;
    ql_iter it;
    ql_entry e;
    int n = 0;
    ql_iter_init(&it, (ql *)val, 0, 1);
    while (ql_iter_next(&it, &e)) {
        argv[2 + n] = qlp_str(&e, nums[n], &lens[2 + n]);
        if (++n == REWRITE_BATCH) {
            emit(ctx, 2 + n, argv, lens);
            n = 0;
        }
    }
    if (n)
        emit(ctx, 2 + n, argv, lens);
}

static const obj_type_ops list_ops = {list_free, list_dup, list_rewrite, NULL};

/* ---- command table -------------------------------------------------------------- */

/* Keys of LMPOP (numkeys at argv[1]) and BLMPOP (at argv[2]). */
static int mpop_keys(char **argv, size_t *argvlen, int argc, int *pos, int max, int numkeys_idx)
{
    long long n;
    if (numkeys_idx >= argc || !util_str2ll(argv[numkeys_idx], argvlen[numkeys_idx], &n) ||
        n < 1 || n > argc - numkeys_idx - 1)
        return -1;
    int k = 0;
    for (long long i = 0; i < n && k < max; i++)
        pos[k++] = numkeys_idx + 1 + (int)i;
    return k;
}

static int lmpop_keys(char **argv, size_t *argvlen, int argc, int *pos, int max)
{
    return mpop_keys(argv, argvlen, argc, pos, max, 1);
}

static int blmpop_keys(char **argv, size_t *argvlen, int argc, int *pos, int max)
{
    return mpop_keys(argv, argvlen, argc, pos, max, 2);
}

#define BL CMD_BLOCKING
#define PUSH_CX "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."

static cmd_def list_table[] = {
    C("lpush", cmd_lpush, -3, W | M | F, 1, 1, 1, "write list fast", "list", "1.0.0", "Prepend one or multiple elements to a list", PUSH_CX),
    C("rpush", cmd_rpush, -3, W | M | F, 1, 1, 1, "write list fast", "list", "1.0.0", "Append one or multiple elements to a list", PUSH_CX),
    C("lpushx", cmd_lpushx, -3, W | M | F, 1, 1, 1, "write list fast", "list", "2.2.0", "Prepend an element to a list, only if the list exists", PUSH_CX),
    C("rpushx", cmd_rpushx, -3, W | M | F, 1, 1, 1, "write list fast", "list", "2.2.0", "Append an element to a list, only if the list exists", PUSH_CX),
    C("lpop", cmd_lpop, -2, W | F, 1, 1, 1, "write list fast", "list", "1.0.0", "Remove and get the first elements in a list", "O(N) where N is the number of elements returned"),
    C("rpop", cmd_rpop, -2, W | F, 1, 1, 1, "write list fast", "list", "1.0.0", "Remove and get the last elements in a list", "O(N) where N is the number of elements returned"),
    C("llen", cmd_llen, 2, R | F, 1, 1, 1, "read list fast", "list", "1.0.0", "Get the length of a list", "O(1)"),
    C("lrange", cmd_lrange, 4, R, 1, 1, 1, "read list slow", "list", "1.0.0", "Get a range of elements from a list", "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range."),
    C("lindex", cmd_lindex, 3, R, 1, 1, 1, "read list slow", "list", "1.0.0", "Get an element from a list by its index", "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1)."),
    C("lset", cmd_lset, 4, W | M, 1, 1, 1, "write list slow", "list", "1.0.0", "Set the value of an element in a list by its index", "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1)."),
    C("linsert", cmd_linsert, 5, W | M, 1, 1, 1, "write list slow", "list", "2.2.0", "Insert an element before or after another element in a list", "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N)."),
    C("lrem", cmd_lrem, 4, W, 1, 1, 1, "write list slow", "list", "1.0.0", "Remove elements from a list", "O(N+M) where N is the length of the list and M is the number of elements removed."),
    C("ltrim", cmd_ltrim, 4, W, 1, 1, 1, "write list slow", "list", "1.0.0", "Trim a list to the specified range", "O(N) where N is the number of elements to be removed by the operation."),
    C("lpos", cmd_lpos, -3, R, 1, 1, 1, "read list slow", "list", "6.0.6", "Return the index of matching elements on a list", "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time."),
    C("lmove", cmd_lmove, 5, W | M, 1, 2, 1, "write list slow", "list", "6.2.0", "Pop an element from a list, push it to another list and return it", "O(1)"),
    C("rpoplpush", cmd_rpoplpush, 3, W | M, 1, 2, 1, "write list slow", "list", "1.2.0", "Remove the last element in a list, prepend it to another list and return it", "O(1)"),
    CK("lmpop", cmd_lmpop, -4, W | CMD_TOUCHES_OWN_KEYS, lmpop_keys, "write list slow", "list", "7.0.0", "Pop elements from a list", "O(N+M) where N is the number of provided keys and M is the number of elements returned."),
    C("blpop", cmd_blpop, -3, W | NS | BL | CMD_TOUCHES_OWN_KEYS, 1, -2, 1, "write list slow blocking", "list", "2.0.0", "Remove and get the first element in a list, or block until one is available", "O(N) where N is the number of provided keys."),
    C("brpop", cmd_brpop, -3, W | NS | BL | CMD_TOUCHES_OWN_KEYS, 1, -2, 1, "write list slow blocking", "list", "2.0.0", "Remove and get the last element in a list, or block until one is available", "O(N) where N is the number of provided keys."),
    C("blmove", cmd_blmove, 6, W | M | NS | BL, 1, 2, 1, "write list slow blocking", "list", "6.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available", "O(1)"),
    C("brpoplpush", cmd_brpoplpush, 4, W | M | NS | BL, 1, 2, 1, "write list slow blocking", "list", "2.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available", "O(1)"),
    CK("blmpop", cmd_blmpop, -5, W | BL | CMD_TOUCHES_OWN_KEYS, blmpop_keys, "write list slow blocking", "list", "7.0.0", "Pop elements from a list, or block until one is available", "O(N+M) where N is the number of provided keys and M is the number of elements returned."),
    END,
};

/* Registers the table and the type before main runs (cmd_init needs the
 * table; the keyspace needs the type before the AOF loads). */
__attribute__((constructor)) static void list_register(void)
{
    cmd_register_table(list_table);
    obj_register_type(OBJ_LIST, &list_ops);
}
