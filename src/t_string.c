/* t_string: the string commands. Values are stored inline in the keyspace
 * entry (see object.h), so every change that alters a value's length builds
 * a new entry and puts it in place of the old one (db_set / db_replace).
 * Semantics and error texts follow Redis 7.0's t_string.c.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "db.h"
#include "mem.h"
#include "server.h"
#include "util.h"

enum {
    SET_NX = 1 << 0,
    SET_XX = 1 << 1,
    SET_GET = 1 << 2,
    SET_KEEPTTL = 1 << 3,
    SET_EX = 1 << 4,
    SET_PX = 1 << 5,
    SET_EXAT = 1 << 6,
    SET_PXAT = 1 << 7,
    SET_PERSIST = 1 << 8,
};
#define SET_ANY_EXPIRE (SET_EX | SET_PX | SET_EXAT | SET_PXAT)

/* Converts an expire argument to absolute unix ms, with Redis's checks and
 * errors. unit_sec: the value is in seconds; relative: add the current time. */
static int expire_arg_or_reply(client *c, int argi, int unit_sec, int relative, long long *out)
{
    long long v;
    if (cmd_get_ll_or_reply(c, argi, &v, NULL) < 0)
        return -1;
    if (v <= 0 || (unit_sec && v > LLONG_MAX / 1000)) {
        client_add_errorf(c, "ERR invalid expire time in '%s' command", c->cmd->name);
        return -1;
    }
    if (unit_sec)
        v *= 1000;
    if (relative) {
        if (v > LLONG_MAX - db_now()) {
            client_add_errorf(c, "ERR invalid expire time in '%s' command", c->cmd->name);
            return -1;
        }
        v += db_now();
    }
    *out = v;
    return 0;
}

/* Parses SET/GETEX options from argv[first..]. getex: the GETEX subset
 * (EX PX EXAT PXAT PERSIST). Returns 0 or -1 after replying.
 *
 * The rules are those of Redis 7.0's parseExtendedStringArgumentsOrReply:
 * an option conflicts only with the options it excludes, never with itself,
 * so "NX NX", "GET GET", "KEEPTTL KEEPTTL" and "EX 1 EX 2" are accepted (the
 * last expire given wins). */
static int parse_set_options(client *c, int first, int getex, int *flags, int *exp_argi)
{
    *flags = 0;
    *exp_argi = -1;
    for (int j = first; j < c->argc; j++) {
        int f = *flags;
        int has_next = j + 1 < c->argc;
        int no_ttl_opt = !(f & (SET_KEEPTTL | SET_PERSIST));
        if (!getex && cmd_arg_is(c, j, "nx") && !(f & SET_XX)) {
            *flags |= SET_NX;
        } else if (!getex && cmd_arg_is(c, j, "xx") && !(f & SET_NX)) {
            *flags |= SET_XX;
        } else if (!getex && cmd_arg_is(c, j, "get")) {
            *flags |= SET_GET;
        } else if (!getex && cmd_arg_is(c, j, "keepttl") && !(f & SET_ANY_EXPIRE)) {
            *flags |= SET_KEEPTTL;
        } else if (getex && cmd_arg_is(c, j, "persist") && !(f & SET_ANY_EXPIRE)) {
            *flags |= SET_PERSIST;
        } else if (has_next && no_ttl_opt && cmd_arg_is(c, j, "ex") &&
                   !(f & (SET_ANY_EXPIRE & ~SET_EX))) {
            *flags |= SET_EX;
            *exp_argi = ++j;
        } else if (has_next && no_ttl_opt && cmd_arg_is(c, j, "px") &&
                   !(f & (SET_ANY_EXPIRE & ~SET_PX))) {
            *flags |= SET_PX;
            *exp_argi = ++j;
        } else if (has_next && no_ttl_opt && cmd_arg_is(c, j, "exat") &&
                   !(f & (SET_ANY_EXPIRE & ~SET_EXAT))) {
            *flags |= SET_EXAT;
            *exp_argi = ++j;
        } else if (has_next && no_ttl_opt && cmd_arg_is(c, j, "pxat") &&
                   !(f & (SET_ANY_EXPIRE & ~SET_PXAT))) {
            *flags |= SET_PXAT;
            *exp_argi = ++j;
        } else {
            client_add_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    return 0;
}

static int expire_from_flags_or_reply(client *c, int flags, int argi, long long *when)
{
    *when = OBJ_NO_EXPIRE;
    if (!(flags & SET_ANY_EXPIRE))
        return 0;
    return expire_arg_or_reply(c, argi, (flags & (SET_EX | SET_EXAT)) != 0,
                               (flags & (SET_EX | SET_PX)) != 0, when);
}

/* ---- AOF forms --------------------------------------------------------------
 * Commands whose effect depends on the time they run are fed to the AOF in a
 * form that replays to the same state whenever it is loaded, as Redis
 * propagates them: a relative or absolute expire becomes SET ... PXAT or
 * PEXPIREAT with the absolute unix ms, an expire already in the past becomes
 * DEL, and INCRBYFLOAT becomes the SET of its result (so that replay does not
 * depend on float formatting). The key and value slices are copied by the
 * AOF before the handler returns. */

static void propagate_set_pxat(client *c, const char *key, size_t klen, const char *val,
                               size_t vlen, long long when)
{
    char set[] = "SET", pxat[] = "PXAT", ms[24];
    int mslen = util_ll2str(ms, when);
    char *argv[5] = {set, (char *)key, (char *)val, pxat, ms};
    size_t lens[5] = {3, klen, vlen, 4, (size_t)mslen};
    cmd_propagate(c, 5, argv, lens);
}

/* "<name> key", for DEL and PERSIST. */
static void propagate_key_cmd(client *c, const char *name, const char *key, size_t klen)
{
    char cmd[16];
    snprintf(cmd, sizeof(cmd), "%s", name);
    char *argv[2] = {cmd, (char *)key};
    size_t lens[2] = {strlen(cmd), klen};
    cmd_propagate(c, 2, argv, lens);
}

static void propagate_pexpireat(client *c, const char *key, size_t klen, long long when)
{
    char cmd[] = "PEXPIREAT", ms[24];
    int mslen = util_ll2str(ms, when);
    char *argv[3] = {cmd, (char *)key, ms};
    size_t lens[3] = {9, klen, (size_t)mslen};
    cmd_propagate(c, 3, argv, lens);
}

/* Replies with a string entry's value, or WRONGTYPE. Returns -1 on WRONGTYPE. */
static int reply_string_value(client *c, obj *o)
{
    if (!o) {
        reply_null(client_reply_buf(c));
        return 0;
    }
    if (obj_type(o) != OBJ_STRING) {
        client_add_error(c, ERR_WRONGTYPE);
        return -1;
    }
    const char *v;
    size_t n;
    obj_str(o, &v, &n);
    reply_bulk(client_reply_buf(c), v, n);
    return 0;
}

/* The common part of SET, SETNX, SETEX, PSETEX. */
static void generic_set(client *c, int flags, const char *key, size_t klen, const char *val,
                        size_t vlen, long long when, int reply_kind)
{
    /* With GET, Redis reads the old value as GET would, counting a
     * keyspace hit or miss. Its lookup for writing is an access of the old
     * key: db_set counts it when the value is replaced, the early return
     * below when it is not. */
    obj *old = (flags & SET_GET) ? cmd_lookup_read(c, key, klen) : cmd_lookup_notouch(c, key, klen);
    if (flags & SET_GET) {
        if (reply_string_value(c, old) < 0)
            return;
    }
    if ((flags & SET_NX && old) || (flags & SET_XX && !old)) {
        if (old)
            obj_access(old);
        if (!(flags & SET_GET)) {
            if (reply_kind == 1)
                reply_int(client_reply_buf(c), 0);
            else
                reply_null(client_reply_buf(c));
        }
        return;
    }
    if ((flags & SET_KEEPTTL) && old)
        when = obj_expire(old);
    obj *o = obj_new_string(key, klen, val, vlen, when, OBJ_ENC_CHOOSE);
    db_set(c->db, o);
    cmd_dirty(c, 1);
    /* With KEEPTTL the expire is the old key's, and the command as given
     * already replays to it. */
    if (when != OBJ_NO_EXPIRE && !(flags & SET_KEEPTTL))
        propagate_set_pxat(c, key, klen, val, vlen, when);
    if (flags & SET_GET)
        return;
    if (reply_kind == 1)
        reply_int(client_reply_buf(c), 1);
    else
        reply_ok(client_reply_buf(c));
}

void cmd_set(client *c)
{
    int flags, argi;
    long long when;
    if (parse_set_options(c, 3, 0, &flags, &argi) < 0)
        return;
    if (expire_from_flags_or_reply(c, flags, argi, &when) < 0)
        return;
    generic_set(c, flags, c->argv[1], c->argvlen[1], c->argv[2], c->argvlen[2], when, 0);
}

void cmd_setnx(client *c)
{
    generic_set(c, SET_NX, c->argv[1], c->argvlen[1], c->argv[2], c->argvlen[2], OBJ_NO_EXPIRE,
                1);
}

void cmd_setex(client *c)
{
    long long when;
    if (expire_arg_or_reply(c, 2, 1, 1, &when) < 0)
        return;
    generic_set(c, 0, c->argv[1], c->argvlen[1], c->argv[3], c->argvlen[3], when, 0);
}

void cmd_psetex(client *c)
{
    long long when;
    if (expire_arg_or_reply(c, 2, 0, 1, &when) < 0)
        return;
    generic_set(c, 0, c->argv[1], c->argvlen[1], c->argv[3], c->argvlen[3], when, 0);
}

void cmd_get(client *c)
{
    reply_string_value(c, cmd_lookup_read(c, c->argv[1], c->argvlen[1]));
}

void cmd_getdel(client *c)
{
    obj *o = cmd_lookup_read(c, c->argv[1], c->argvlen[1]);
    if (reply_string_value(c, o) < 0 || !o)
        return;
    db_delete(c->db, c->argv[1], c->argvlen[1]);
    cmd_dirty(c, 1);
    propagate_key_cmd(c, "DEL", c->argv[1], c->argvlen[1]);
}

void cmd_getset(client *c)
{
    generic_set(c, SET_GET, c->argv[1], c->argvlen[1], c->argv[2], c->argvlen[2], OBJ_NO_EXPIRE,
                0);
}

void cmd_getex(client *c)
{
    int flags, argi;
    long long when;
    if (parse_set_options(c, 2, 1, &flags, &argi) < 0)
        return;
    /* As Redis: a missing key or another type is answered before the
     * expire time is checked (GETEX nokey EX abc is nil, not an error). */
    obj *o = cmd_lookup_read(c, c->argv[1], c->argvlen[1]);
    if (o && obj_type(o) != OBJ_STRING) {
        client_add_error(c, ERR_WRONGTYPE);
        return;
    }
    if (o && expire_from_flags_or_reply(c, flags, argi, &when) < 0)
        return;
    if (reply_string_value(c, o) < 0 || !o)
        return;
    if (flags & SET_ANY_EXPIRE) {
        if (when <= db_now()) {
            /* An expire in the past deletes the key, as Redis does. */
            db_delete(c->db, c->argv[1], c->argvlen[1]);
            propagate_key_cmd(c, "DEL", c->argv[1], c->argvlen[1]);
        } else {
            db_set_expire(c->db, o, when);
            propagate_pexpireat(c, c->argv[1], c->argvlen[1], when);
        }
        cmd_dirty(c, 1);
    } else if ((flags & SET_PERSIST) && obj_expire(o) != OBJ_NO_EXPIRE) {
        db_set_expire(c->db, o, OBJ_NO_EXPIRE);
        cmd_dirty(c, 1);
        propagate_key_cmd(c, "PERSIST", c->argv[1], c->argvlen[1]);
    }
}

void cmd_mget(client *c)
{
    reply_buf *rb = client_reply_buf(c);
    reply_array(rb, c->argc - 1);
    for (int i = 1; i < c->argc; i++) {
        obj *o = cmd_lookup_read(c, c->argv[i], c->argvlen[i]);
        if (!o || obj_type(o) != OBJ_STRING) {
            reply_null(rb);
            continue;
        }
        const char *v;
        size_t n;
        obj_str(o, &v, &n);
        reply_bulk(rb, v, n);
    }
}

static void generic_mset(client *c, int nx)
{
    if ((c->argc % 2) == 0) {
        client_add_errorf(c, "ERR wrong number of arguments for '%s' command", c->cmd->name);
        return;
    }
    if (nx) {
        for (int i = 1; i < c->argc; i += 2) {
            if (cmd_lookup_write(c, c->argv[i], c->argvlen[i])) {
                reply_int(client_reply_buf(c), 0);
                return;
            }
        }
    }
    for (int i = 1; i < c->argc; i += 2) {
        obj *o = obj_new_string(c->argv[i], c->argvlen[i], c->argv[i + 1], c->argvlen[i + 1],
                                OBJ_NO_EXPIRE, OBJ_ENC_CHOOSE);
        db_set(c->db, o);
    }
    cmd_dirty(c, (c->argc - 1) / 2);
    if (nx)
        reply_int(client_reply_buf(c), 1);
    else
        reply_ok(client_reply_buf(c));
}

void cmd_mset(client *c)
{
    generic_mset(c, 0);
}

void cmd_msetnx(client *c)
{
    generic_mset(c, 1);
}

static int check_length_or_reply(client *c, long long total)
{
    if (total > cfg.proto_max_bulk_len) {
        client_add_error(c, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        return -1;
    }
    return 0;
}

/* Puts a new value under an existing entry's key, keeping its expire. */
static obj *replace_value(client *c, obj *old, const char *val, size_t vlen, int how)
{
    const char *key;
    size_t klen;
    obj_key(old, &key, &klen);
    obj *o = obj_new_string(key, klen, val, vlen, obj_expire(old), how);
    db_replace(c->db, old, o);
    return o;
}

/* Stores val under argv[1]: in place of o (keeping its expire) when the key
 * exists, as a new key otherwise. */
static void store_value(client *c, obj *o, const char *val, size_t vlen, int how)
{
    if (o) {
        replace_value(c, o, val, vlen, how);
        return;
    }
    obj *n = obj_new_string(c->argv[1], c->argvlen[1], val, vlen, OBJ_NO_EXPIRE, how);
    db_add(c->db, n);
}

/* Looks argv[1] up for writing. Sets *o (NULL when absent) and its value;
 * replies WRONGTYPE and returns -1 when the key holds another type. */
static int lookup_string_or_reply(client *c, obj **o, const char **v, size_t *n)
{
    *o = cmd_lookup_write(c, c->argv[1], c->argvlen[1]);
    *v = "";
    *n = 0;
    if (!*o)
        return 0;
    if (obj_type(*o) != OBJ_STRING) {
        client_add_error(c, ERR_WRONGTYPE);
        return -1;
    }
    obj_str(*o, v, n);
    return 0;
}

void cmd_append(client *c)
{
    obj *o;
    const char *v;
    size_t n;
    if (lookup_string_or_reply(c, &o, &v, &n) < 0)
        return;
    size_t total = n + c->argvlen[2];
    if (!o) {
        store_value(c, NULL, c->argv[2], c->argvlen[2], OBJ_ENC_CHOOSE);
    } else {
        if (check_length_or_reply(c, (long long)total) < 0)
            return;
        /* In place once the value is large: appending costs the bytes
         * appended, not a copy of the value (obj_str_grow). */
        char *bytes;
        obj *g = obj_str_grow(o, total, &bytes);
        memcpy(bytes + n, c->argv[2], c->argvlen[2]);
        if (g != o)
            db_replace(c->db, o, g);
    }
    cmd_dirty(c, 1);
    reply_int(client_reply_buf(c), (long long)total);
}

void cmd_strlen(client *c)
{
    obj *o = cmd_lookup_read(c, c->argv[1], c->argvlen[1]);
    if (o && obj_type(o) != OBJ_STRING) {
        client_add_error(c, ERR_WRONGTYPE);
        return;
    }
    size_t n = 0;
    if (o) {
        const char *v;
        obj_str(o, &v, &n);
    }
    reply_int(client_reply_buf(c), (long long)n);
}

void cmd_getrange(client *c)
{
    long long start, end;
    if (cmd_get_ll_or_reply(c, 2, &start, NULL) < 0 || cmd_get_ll_or_reply(c, 3, &end, NULL) < 0)
        return;
    obj *o = cmd_lookup_read(c, c->argv[1], c->argvlen[1]);
    if (!o) {
        reply_bulk(client_reply_buf(c), "", 0);
        return;
    }
    if (obj_type(o) != OBJ_STRING) {
        client_add_error(c, ERR_WRONGTYPE);
        return;
    }
    const char *v;
    size_t n;
    obj_str(o, &v, &n);
    long long len = (long long)n;
    /* Redis 7.0's rules, including its quirks for negative ranges. */
    if (start < 0 && end < 0 && start > end) {
        reply_bulk(client_reply_buf(c), "", 0);
        return;
    }
    if (start < 0)
        start = len + start;
    if (end < 0)
        end = len + end;
    if (start < 0)
        start = 0;
    if (end < 0)
        end = 0;
    if (end >= len)
        end = len - 1;
    if (start > end || len == 0) {
        reply_bulk(client_reply_buf(c), "", 0);
        return;
    }
    reply_bulk(client_reply_buf(c), v + start, (size_t)(end - start + 1));
}

void cmd_setrange(client *c)
{
    long long offset;
    if (cmd_get_ll_or_reply(c, 2, &offset, NULL) < 0)
        return;
    if (offset < 0) {
        client_add_error(c, "ERR offset is out of range");
        return;
    }
    const char *arg = c->argv[3];
    size_t alen = c->argvlen[3];
    obj *o;
    const char *v;
    size_t cur;
    if (lookup_string_or_reply(c, &o, &v, &cur) < 0)
        return;
    if (alen == 0) {
        /* Nothing to write: report the length, create nothing. */
        reply_int(client_reply_buf(c), (long long)cur);
        return;
    }
    /* offset may be near LLONG_MAX: compare without forming the sum. */
    if (offset > cfg.proto_max_bulk_len - (long long)alen) {
        check_length_or_reply(c, LLONG_MAX);
        return;
    }
    size_t total = (size_t)offset + alen > cur ? (size_t)offset + alen : cur;
    if (o) {
        char *bytes;
        obj *g = obj_str_grow(o, total, &bytes);
        memcpy(bytes + offset, arg, alen);
        if (g != o)
            db_replace(c->db, o, g);
    } else {
        char *buf = mem_calloc(1, total);
        memcpy(buf + offset, arg, alen);
        store_value(c, NULL, buf, total, OBJ_ENC_FORCE_RAW);
        mem_free(buf);
    }
    cmd_dirty(c, 1);
    reply_int(client_reply_buf(c), (long long)total);
}

static void generic_incr(client *c, long long incr)
{
    obj *o;
    const char *v;
    size_t n;
    long long value = 0;
    if (lookup_string_or_reply(c, &o, &v, &n) < 0)
        return;
    if (o) {
        if (!util_str2ll(v, n, &value)) {
            client_add_error(c, ERR_NOT_INT);
            return;
        }
    }
    if ((incr < 0 && value < 0 && incr < (LLONG_MIN - value)) ||
        (incr > 0 && value > 0 && incr > (LLONG_MAX - value))) {
        client_add_error(c, ERR_OVERFLOW);
        return;
    }
    value += incr;
    char buf[24];
    int len = util_ll2str(buf, value);
    store_value(c, o, buf, (size_t)len, OBJ_ENC_CHOOSE);
    cmd_dirty(c, 1);
    reply_int(client_reply_buf(c), value);
}

void cmd_incr(client *c)
{
    generic_incr(c, 1);
}

void cmd_decr(client *c)
{
    generic_incr(c, -1);
}

void cmd_incrby(client *c)
{
    long long incr;
    if (cmd_get_ll_or_reply(c, 2, &incr, NULL) < 0)
        return;
    generic_incr(c, incr);
}

void cmd_decrby(client *c)
{
    long long incr;
    if (cmd_get_ll_or_reply(c, 2, &incr, NULL) < 0)
        return;
    if (incr == LLONG_MIN) {
        client_add_error(c, "ERR decrement would overflow");
        return;
    }
    generic_incr(c, -incr);
}

void cmd_incrbyfloat(client *c)
{
    long double incr, value = 0;
    obj *o;
    const char *v;
    size_t n;
    if (lookup_string_or_reply(c, &o, &v, &n) < 0)
        return;
    if (o) {
        if (!util_str2ld(v, n, &value)) {
            client_add_error(c, ERR_NOT_FLOAT);
            return;
        }
    }
    if (!util_str2ld(c->argv[2], c->argvlen[2], &incr)) {
        client_add_error(c, ERR_NOT_FLOAT);
        return;
    }
    value += incr;
    if (isnan(value) || isinf(value)) {
        client_add_error(c, "ERR increment would produce NaN or Infinity");
        return;
    }
    char buf[5120];
    int len = util_ld2str(buf, sizeof(buf), value);
    if (len <= 0) {
        client_add_error(c, "ERR increment would produce NaN or Infinity");
        return;
    }
    store_value(c, o, buf, (size_t)len, OBJ_ENC_NO_INT);
    cmd_dirty(c, 1);
    char set[] = "SET", keepttl[] = "KEEPTTL";
    char *argv[4] = {set, c->argv[1], buf, keepttl};
    size_t lens[4] = {3, c->argvlen[1], (size_t)len, 7};
    cmd_propagate(c, 4, argv, lens);
    reply_bulk(client_reply_buf(c), buf, (size_t)len);
}
