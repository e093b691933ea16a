/* t_keys: commands that work on keys of any type: deletion, existence,
 * renaming, moving between databases, expiry, iteration and introspection.
 * Semantics and error texts follow Redis 7.0's db.c, expire.c and object.c.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocking.h"
#include "commands.h"
#include "config.h"
#include "db.h"
#include "mem.h"
#include "multi.h"
#include "server.h"
#include "util.h"

/* A lookup that counts a keyspace hit or miss but leaves the key's access
 * time alone, as Redis's lookupKeyReadWithFlags(LOOKUP_NOTOUCH) does for
 * EXISTS, TYPE, the TTL family and OBJECT. */
static obj *lookup_read_notouch(client *c, const char *key, size_t klen)
{
    obj *o = cmd_lookup_notouch(c, key, klen);
    if (o)
        server.stats.keyspace_hits++;
    else
        server.stats.keyspace_misses++;
    return o;
}

static void generic_del(client *c, int lazy)
{
    long long n = 0;
    for (int i = 1; i < c->argc; i++) {
        if (!cmd_lookup_write(c, c->argv[i], c->argvlen[i]))
            continue;
        if (lazy)
            obj_free_lazy(db_unlink(c->db, c->argv[i], c->argvlen[i]));
        else
            db_delete(c->db, c->argv[i], c->argvlen[i]);
        n++;
    }
    cmd_dirty(c, n);
    reply_int(client_reply_buf(c), n);
}

void cmd_del(client *c)
{
    generic_del(c, 0);
}

void cmd_unlink(client *c)
{
    /* A large set or hash is freed by the loop in slices (lazyfree.c), so
     * that no client waits for it; the key is gone at once. */
    generic_del(c, 1);
}

void cmd_exists(client *c)
{
    long long n = 0;
    for (int i = 1; i < c->argc; i++)
        if (lookup_read_notouch(c, c->argv[i], c->argvlen[i]))
            n++;
    reply_int(client_reply_buf(c), n);
}

void cmd_touch(client *c)
{
    long long n = 0;
    for (int i = 1; i < c->argc; i++)
        if (cmd_lookup_read(c, c->argv[i], c->argvlen[i]))
            n++;
    reply_int(client_reply_buf(c), n);
}

void cmd_type(client *c)
{
    obj *o = lookup_read_notouch(c, c->argv[1], c->argvlen[1]);
    reply_simple(client_reply_buf(c), o ? obj_type_name(o) : "none");
}

typedef struct key_batch {
    obj **items;
    size_t n, cap;
} key_batch;

static void batch_push(key_batch *b, obj *o)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->items = mem_realloc(b->items, b->cap * sizeof(obj *));
    }
    b->items[b->n++] = o;
}

static void collect(void *entry, void *ctx)
{
    batch_push(ctx, entry);
}

static int is_stale(const obj *o)
{
    long long e = obj_expire(o);
    return e != OBJ_NO_EXPIRE && e <= db_now() && !server.loading;
}

void cmd_keys(client *c)
{
    const char *pat = c->argv[1];
    size_t plen = c->argvlen[1];
    int all = plen == 1 && pat[0] == '*';
    reply_buf *rb = client_reply_buf(c);
    size_t off = reply_defer(rb);
    long long n = 0;
    ht_iter it;
    obj *o;
    ht_iter_init(&it, c->db->keys);
    while ((o = ht_iter_next(&it))) {
        const char *k;
        size_t kl;
        obj_key(o, &k, &kl);
        if (is_stale(o))
            continue;
        if (all || util_glob_match(pat, plen, k, kl, 0)) {
            reply_bulk(rb, k, kl);
            n++;
        }
    }
    reply_defer_set(rb, off, '*', n);
}

/* Parses a SCAN cursor exactly as Redis 7.0's parseScanCursorOrReply, which
 * is strtoul() over the whole argument: a leading space is refused and so is
 * overflow, but a sign is accepted ("-1" is the largest cursor), the empty
 * string is cursor 0, and parsing stops at a NUL byte. */
int scan_cursor_or_reply(client *c, int argi, unsigned long long *out)
{
    char *s = mem_alloc(c->argvlen[argi] + 1);
    memcpy(s, c->argv[argi], c->argvlen[argi]);
    s[c->argvlen[argi]] = '\0';
    char *end;
    errno = 0;
    *out = strtoull(s, &end, 10);
    int ok = !isspace((unsigned char)s[0]) && *end == '\0' && errno != ERANGE;
    mem_free(s);
    if (!ok) {
        client_add_error(c, "ERR invalid cursor");
        return -1;
    }
    return 0;
}

int scan_opts_or_reply(client *c, int first, int allow_type, scan_opts *o)
{
    *o = (scan_opts){.count = 10};
    for (int i = first; i < c->argc; i += 2) {
        if (i + 1 >= c->argc) {
            client_add_error(c, ERR_SYNTAX);
            return -1;
        }
        if (cmd_arg_is(c, i, "count")) {
            if (cmd_get_ll_or_reply(c, i + 1, &o->count, NULL) < 0)
                return -1;
            if (o->count < 1) {
                client_add_error(c, ERR_SYNTAX);
                return -1;
            }
        } else if (cmd_arg_is(c, i, "match")) {
            o->pat = c->argv[i + 1];
            o->plen = c->argvlen[i + 1];
            if (o->plen == 1 && o->pat[0] == '*')
                o->pat = NULL;
        } else if (allow_type && cmd_arg_is(c, i, "type")) {
            o->type = c->argv[i + 1];
            o->tlen = c->argvlen[i + 1];
        } else {
            client_add_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    return 0;
}

/* SRANDMEMBER, HRANDFIELD and ZRANDMEMBER with a negative count reply count
 * picks whatever the size of the key, and the reply is built whole before it
 * is sent: a count such as -9223372036854775807 would grow it until the
 * server runs out of memory (Redis dies of it). Their loops call this after
 * each pick with mark, the reply's length before the array header: at every
 * power of two of picks done, the reply so far is scaled to count, and when
 * that passes proto-max-bulk-len the partial reply is dropped for an error
 * and -1 returned. */
int rand_reply_fits_or_reply(client *c, size_t mark, unsigned long long done,
                             unsigned long long count)
{
    if (done & (done - 1))
        return 0;
    reply_buf *rb = client_reply_buf(c);
    double per_pick = (double)(rb->len - mark) / (double)done;
    if (per_pick * (double)count <= (double)cfg.proto_max_bulk_len)
        return 0;
    rb->len = mark;
    client_add_error(c, "ERR value is out of range, the reply would be larger than "
                        "proto-max-bulk-len");
    return -1;
}

void cmd_scan(client *c)
{
    unsigned long long cursor;
    if (scan_cursor_or_reply(c, 1, &cursor) < 0)
        return;
    scan_opts so;
    if (scan_opts_or_reply(c, 2, 1, &so) < 0)
        return;
    long long count = so.count;
    const char *pat = so.pat, *type = so.type;
    size_t plen = so.plen, tlen = so.tlen;
    key_batch b = {0};
    long long iterations = count * 10;
    do {
        cursor = ht_scan(c->db->keys, cursor, collect, &b);
    } while (cursor && iterations-- > 0 && (long long)b.n < count);
    /* Filter after the scan: lazy expiry may delete, which the scan forbids. */
    reply_buf *rb = client_reply_buf(c);
    reply_array(rb, 2);
    char cur[24];
    int cl = util_ll2str(cur, (long long)cursor);
    if ((long long)cursor < 0)
        cl = snprintf(cur, sizeof(cur), "%llu", cursor);
    reply_bulk(rb, cur, (size_t)cl);
    size_t off = reply_defer(rb);
    long long n = 0;
    key_batch stale = {0};
    for (size_t i = 0; i < b.n; i++) {
        obj *o = b.items[i];
        const char *k;
        size_t kl;
        obj_key(o, &k, &kl);
        if (is_stale(o)) {
            batch_push(&stale, o);
            continue;
        }
        if (pat && !util_glob_match(pat, plen, k, kl, 0))
            continue;
        if (type && !util_eq_nocase(type, tlen, obj_type_name(o)))
            continue;
        reply_bulk(rb, k, kl);
        n++;
    }
    reply_defer_set(rb, off, '*', n);
    for (size_t i = 0; i < stale.n; i++) {
        const char *k;
        size_t kl;
        obj_key(stale.items[i], &k, &kl);
        db_lookup(c->db, k, kl); /* removes it and propagates the expiry */
    }
    mem_free(stale.items);
    mem_free(b.items);
}

static void generic_rename(client *c, int nx)
{
    const char *src = c->argv[1], *dst = c->argv[2];
    size_t slen = c->argvlen[1], dlen = c->argvlen[2];
    obj *o = cmd_lookup_write(c, src, slen);
    if (!o) {
        client_add_error(c, "ERR no such key");
        return;
    }
    if (slen == dlen && memcmp(src, dst, slen) == 0) {
        if (nx)
            reply_int(client_reply_buf(c), 0);
        else
            reply_ok(client_reply_buf(c));
        return;
    }
    if (cmd_lookup_write(c, dst, dlen)) {
        if (nx) {
            reply_int(client_reply_buf(c), 0);
            return;
        }
        db_delete(c->db, dst, dlen);
    }
    /* The value moves to the new key; only the old entry's shell goes. */
    obj *n = obj_rename(o, dst, dlen);
    obj_free_shell(db_unlink(c->db, src, slen));
    db_add(c->db, n);
    blocking_signal_key(c->db, dst, dlen);
    cmd_dirty(c, 1);
    if (nx)
        reply_int(client_reply_buf(c), 1);
    else
        reply_ok(client_reply_buf(c));
}

void cmd_rename(client *c)
{
    generic_rename(c, 0);
}

void cmd_renamenx(client *c)
{
    generic_rename(c, 1);
}

void cmd_randomkey(client *c)
{
    obj *o = db_random(c->db);
    if (!o) {
        reply_null(client_reply_buf(c));
        return;
    }
    const char *k;
    size_t kl;
    obj_key(o, &k, &kl);
    reply_bulk(client_reply_buf(c), k, kl);
}

void cmd_dbsize(client *c)
{
    reply_int(client_reply_buf(c), (long long)db_size(c->db));
}

/* Returns 0 for SYNC or no argument, 1 for ASYNC (the keys are freed by
 * the loop in slices, as lazyfree.c does for UNLINK), or -1 after replying
 * a syntax error. */
static int flush_mode_or_reply(client *c)
{
    if (c->argc == 1 || (c->argc == 2 && cmd_arg_is(c, 1, "sync")))
        return 0;
    if (c->argc == 2 && cmd_arg_is(c, 1, "async"))
        return 1;
    client_add_error(c, ERR_SYNTAX);
    return -1;
}

static void flush_one(client *c, db *d, int async)
{
    cmd_dirty(c, (long long)db_size(d));
    multi_touch_dbs(d->id, d->id);
    if (async)
        db_flush_lazy(d);
    else
        db_flush(d);
}

void cmd_flushdb(client *c)
{
    int async = flush_mode_or_reply(c);
    if (async < 0)
        return;
    flush_one(c, c->db, async);
    reply_ok(client_reply_buf(c));
}

void cmd_flushall(client *c)
{
    int async = flush_mode_or_reply(c);
    if (async < 0)
        return;
    for (int i = 0; i < server.ndbs; i++)
        flush_one(c, &server.dbs[i], async);
    reply_ok(client_reply_buf(c));
}

/* Parses a database index argument as Redis's getIntFromObjectOrReply does
 * (an integer outside the range of int has its own error), then checks that
 * it names a database. Replies and returns -1 when invalid. */
static int db_index_or_reply(client *c, int argi, int *out)
{
    long long id;
    if (cmd_get_ll_or_reply(c, argi, &id, NULL) < 0)
        return -1;
    if (id < INT_MIN || id > INT_MAX) {
        client_add_error(c, "ERR value is out of range, value must between -2147483648 and "
                            "2147483647");
        return -1;
    }
    if (id < 0 || id >= server.ndbs) {
        client_add_error(c, ERR_DB_RANGE);
        return -1;
    }
    *out = (int)id;
    return 0;
}

void cmd_move(client *c)
{
    int id;
    if (db_index_or_reply(c, 2, &id) < 0)
        return;
    db *dst = &server.dbs[id];
    if (dst == c->db) {
        client_add_error(c, "ERR source and destination objects are the same");
        return;
    }
    obj *o = cmd_lookup_write(c, c->argv[1], c->argvlen[1]);
    if (!o) {
        reply_int(client_reply_buf(c), 0);
        return;
    }
    if (db_lookup(dst, c->argv[1], c->argvlen[1])) {
        reply_int(client_reply_buf(c), 0);
        return;
    }
    o = db_unlink(c->db, c->argv[1], c->argvlen[1]);
    db_add(dst, o);
    cmd_key_stored(dst, c->argv[1], c->argvlen[1]);
    cmd_dirty(c, 1);
    reply_int(client_reply_buf(c), 1);
}

void cmd_copy(client *c)
{
    db *dst = c->db;
    int replace = 0;
    /* As in Redis 7.0, the index is checked where it appears, so an index
     * out of range wins over a syntax error later in the line. */
    for (int i = 3; i < c->argc; i++) {
        if (cmd_arg_is(c, i, "replace")) {
            replace = 1;
        } else if (cmd_arg_is(c, i, "db") && i + 1 < c->argc) {
            int id;
            if (db_index_or_reply(c, ++i, &id) < 0)
                return;
            dst = &server.dbs[id];
        } else {
            client_add_error(c, ERR_SYNTAX);
            return;
        }
    }
    const char *src = c->argv[1], *dk = c->argv[2];
    size_t slen = c->argvlen[1], dlen = c->argvlen[2];
    if (dst == c->db && slen == dlen && memcmp(src, dk, slen) == 0) {
        client_add_error(c, "ERR source and destination objects are the same");
        return;
    }
    /* Redis reads the source as a read (counting a hit or miss). */
    obj *o = cmd_lookup_read(c, src, slen);
    if (!o) {
        reply_int(client_reply_buf(c), 0);
        return;
    }
    if (db_lookup(dst, dk, dlen)) {
        if (!replace) {
            reply_int(client_reply_buf(c), 0);
            return;
        }
        db_delete(dst, dk, dlen);
    }
    db_add(dst, obj_copy_as(o, dk, dlen));
    cmd_key_stored(dst, dk, dlen);
    cmd_dirty(c, 1);
    reply_int(client_reply_buf(c), 1);
}

enum { EXP_NX = 1, EXP_XX = 2, EXP_GT = 4, EXP_LT = 8 };

/* Feeds the AOF "PEXPIREAT key <when> [options]" in place of any EXPIRE
 * family command, as Redis propagates them: the absolute time replays to the
 * same expiry whenever the file is loaded. */
static void propagate_pexpireat(client *c, long long when)
{
    char cmd[] = "PEXPIREAT", ms[24];
    int mslen = util_ll2str(ms, when);
    char **argv = mem_alloc(sizeof(char *) * (size_t)c->argc);
    size_t *lens = mem_alloc(sizeof(size_t) * (size_t)c->argc);
    argv[0] = cmd;
    lens[0] = 9;
    argv[1] = c->argv[1];
    lens[1] = c->argvlen[1];
    argv[2] = ms;
    lens[2] = (size_t)mslen;
    for (int i = 3; i < c->argc; i++) {
        argv[i] = c->argv[i];
        lens[i] = c->argvlen[i];
    }
    cmd_propagate(c, c->argc, argv, lens);
    mem_free(lens);
    mem_free(argv);
}

static void generic_expire(client *c, long long base, int unit_sec)
{
    int flags = 0;
    for (int j = 3; j < c->argc; j++) {
        if (cmd_arg_is(c, j, "nx"))
            flags |= EXP_NX;
        else if (cmd_arg_is(c, j, "xx"))
            flags |= EXP_XX;
        else if (cmd_arg_is(c, j, "gt"))
            flags |= EXP_GT;
        else if (cmd_arg_is(c, j, "lt"))
            flags |= EXP_LT;
        else {
            client_add_errorf(c, "ERR Unsupported option %.*s", (int)c->argvlen[j], c->argv[j]);
            return;
        }
    }
    if ((flags & EXP_NX) && (flags & (EXP_XX | EXP_GT | EXP_LT))) {
        client_add_error(c, "ERR NX and XX, GT or LT options at the same time are not compatible");
        return;
    }
    if ((flags & EXP_GT) && (flags & EXP_LT)) {
        client_add_error(c, "ERR GT and LT options at the same time are not compatible");
        return;
    }
    long long when;
    if (cmd_get_ll_or_reply(c, 2, &when, NULL) < 0)
        return;
    if (unit_sec) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) {
            client_add_errorf(c, "ERR invalid expire time in '%s' command", c->cmd->name);
            return;
        }
        when *= 1000;
    }
    if (when > LLONG_MAX - base) {
        client_add_errorf(c, "ERR invalid expire time in '%s' command", c->cmd->name);
        return;
    }
    when += base;
    obj *o = cmd_lookup_write(c, c->argv[1], c->argvlen[1]);
    if (!o) {
        reply_int(client_reply_buf(c), 0);
        return;
    }
    long long cur = obj_expire(o);
    if (((flags & EXP_NX) && cur != OBJ_NO_EXPIRE) || ((flags & EXP_XX) && cur == OBJ_NO_EXPIRE) ||
        ((flags & EXP_GT) && (cur == OBJ_NO_EXPIRE || when <= cur)) ||
        ((flags & EXP_LT) && cur != OBJ_NO_EXPIRE && when >= cur)) {
        reply_int(client_reply_buf(c), 0);
        return;
    }
    if (when <= db_now() && !server.loading) {
        /* Already in the past: the key goes now, as Redis does, and the
         * AOF gets the DEL that replays to it. */
        db_delete(c->db, c->argv[1], c->argvlen[1]);
        char del[] = "DEL";
        char *argv[2] = {del, c->argv[1]};
        size_t lens[2] = {3, c->argvlen[1]};
        cmd_propagate(c, 2, argv, lens);
    } else {
        db_set_expire(c->db, o, when);
        propagate_pexpireat(c, when);
    }
    cmd_dirty(c, 1);
    reply_int(client_reply_buf(c), 1);
}

void cmd_expire(client *c)
{
    generic_expire(c, db_now(), 1);
}

void cmd_pexpire(client *c)
{
    generic_expire(c, db_now(), 0);
}

void cmd_expireat(client *c)
{
    generic_expire(c, 0, 1);
}

void cmd_pexpireat(client *c)
{
    generic_expire(c, 0, 0);
}

static void generic_ttl(client *c, int output_ms, int output_abs)
{
    obj *o = lookup_read_notouch(c, c->argv[1], c->argvlen[1]);
    if (!o) {
        reply_int(client_reply_buf(c), -2);
        return;
    }
    long long e = obj_expire(o);
    if (e == OBJ_NO_EXPIRE) {
        reply_int(client_reply_buf(c), -1);
        return;
    }
    long long ttl = output_abs ? e : e - db_now();
    if (ttl < 0)
        ttl = 0;
    reply_int(client_reply_buf(c), output_ms ? ttl : (ttl + 500) / 1000);
}

void cmd_ttl(client *c)
{
    generic_ttl(c, 0, 0);
}

void cmd_pttl(client *c)
{
    generic_ttl(c, 1, 0);
}

void cmd_expiretime(client *c)
{
    generic_ttl(c, 0, 1);
}

void cmd_pexpiretime(client *c)
{
    generic_ttl(c, 1, 1);
}

void cmd_persist(client *c)
{
    obj *o = cmd_lookup_write(c, c->argv[1], c->argvlen[1]);
    if (!o || obj_expire(o) == OBJ_NO_EXPIRE) {
        reply_int(client_reply_buf(c), 0);
        return;
    }
    db_set_expire(c->db, o, OBJ_NO_EXPIRE);
    cmd_dirty(c, 1);
    reply_int(client_reply_buf(c), 1);
}

static obj *object_lookup_or_reply(client *c)
{
    obj *o = lookup_read_notouch(c, c->argv[2], c->argvlen[2]);
    if (!o)
        reply_null(client_reply_buf(c));
    return o;
}

void cmd_object_encoding(client *c)
{
    obj *o = object_lookup_or_reply(c);
    if (o)
        reply_bulk_cstr(client_reply_buf(c), obj_encoding_name(o));
}

void cmd_object_freq(client *c)
{
    obj *o = object_lookup_or_reply(c);
    if (!o)
        return;
    if (!obj_access_is_lfu()) {
        client_add_error(c, "ERR An LFU maxmemory policy is not selected, access frequency not "
                            "tracked. Please note that when switching between policies at "
                            "runtime LRU and LFU data will take some time to adjust.");
        return;
    }
    reply_int(client_reply_buf(c), obj_lfu_counter(o));
}

void cmd_object_idletime(client *c)
{
    obj *o = object_lookup_or_reply(c);
    if (!o)
        return;
    if (obj_access_is_lfu()) {
        client_add_error(c, "ERR An LFU maxmemory policy is selected, idle time not tracked. "
                            "Please note that when switching between policies at runtime LRU "
                            "and LFU data will take some time to adjust.");
        return;
    }
    reply_int(client_reply_buf(c), obj_idle_seconds(o));
}

void cmd_object_refcount(client *c)
{
    obj *o = object_lookup_or_reply(c);
    if (!o)
        return;
    /* Every entry has exactly one owner, the keyspace. Redis reports
     * INT_MAX for its shared small integers; respd shares nothing. */
    reply_int(client_reply_buf(c), 1);
}

void cmd_object_help(client *c)
{
    static const char *const lines[] = {
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        NULL,
    };
    cmd_reply_help(c, lines);
}
