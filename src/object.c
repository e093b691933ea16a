/* object: keyspace entries in one allocation. See object.h for the layout. */
#include "object.h"

#include <assert.h>
#include <string.h>

#include "mem.h"
#include "util.h"

struct obj {
    uint8_t tag;       /* type | enc << 4 | has_expire << 7 */
    uint8_t lru[3];
    unsigned char rest[];
};

static uint32_t new_stamp(void);

#define TAG_TYPE(t) ((t)&0x07)
#define TAG_STR_BUF 0x08 /* a string whose bytes live in a str_buf */
#define TAG_ENC(t) (((t) >> 4) & 0x07)
#define TAG_HAS_EXPIRE 0x80

/* The out-of-line form of a string that APPEND or SETRANGE grew past
 * OBJ_GROW_MIN: its bytes with room to grow, so that appending does not
 * copy the whole value each time. */
typedef struct str_buf {
    size_t len;
    size_t cap;
    char bytes[];
} str_buf;

/* At most 1 MB of spare room, as Redis's sds keeps. */
#define GROW_SPARE_MAX (1024 * 1024)

static int is_buffered(const obj *o)
{
    return (o->tag & TAG_STR_BUF) != 0;
}

static size_t varint_len(size_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static unsigned char *varint_put(unsigned char *p, size_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

static const unsigned char *varint_get(const unsigned char *p, size_t *v)
{
    size_t r = 0;
    int shift = 0;
    while (*p & 0x80) {
        r |= (size_t)(*p++ & 0x7f) << shift;
        shift += 7;
    }
    r |= (size_t)*p++ << shift;
    *v = r;
    return p;
}

/* Where the key's varint starts. */
static const unsigned char *key_start(const obj *o)
{
    return o->rest + ((o->tag & TAG_HAS_EXPIRE) ? 8 : 0);
}

static const unsigned char *value_start(const obj *o)
{
    size_t klen;
    const unsigned char *p = varint_get(key_start(o), &klen);
    return p + klen;
}

static int choose_encoding(const char *val, size_t vlen, int how)
{
    long long ll;
    if (how == OBJ_ENC_FORCE_RAW)
        return OBJ_ENC_RAW;
    if (how == OBJ_ENC_CHOOSE && vlen <= 20 && util_str2ll(val, vlen, &ll))
        return OBJ_ENC_INT;
    return vlen <= OBJ_EMBSTR_MAX ? OBJ_ENC_EMBSTR : OBJ_ENC_RAW;
}

static const obj_type_ops *type_ops[OBJ_NTYPES];

void obj_register_type(int type, const obj_type_ops *ops)
{
    type_ops[type] = ops;
}

const obj_type_ops *obj_type_ops_of(int type)
{
    return type_ops[type];
}

/* Lays out an entry. Strings: varint length and bytes after the key;
 * collections and buffered strings (ptr given): the pointer, unaligned,
 * after it. */
static obj *build(int type, int enc, long long expire, uint32_t lru, const char *key, size_t klen,
                  const char *val, size_t vlen, void *ptr)
{
    int inline_str = type == OBJ_STRING && !ptr;
    size_t vsize = inline_str ? varint_len(vlen) + vlen : sizeof(void *);
    size_t size = sizeof(obj) + (expire != OBJ_NO_EXPIRE ? 8 : 0) + varint_len(klen) + klen +
                  vsize;
    obj *o = mem_small_alloc(size);
    o->tag = (uint8_t)(type | enc << 4 | (expire != OBJ_NO_EXPIRE ? TAG_HAS_EXPIRE : 0) |
                       (type == OBJ_STRING && ptr ? TAG_STR_BUF : 0));
    obj_touch(o, lru);
    unsigned char *p = o->rest;
    if (expire != OBJ_NO_EXPIRE) {
        memcpy(p, &expire, 8);
        p += 8;
    }
    p = varint_put(p, klen);
    memcpy(p, key, klen);
    p += klen;
    if (!inline_str) {
        memcpy(p, &ptr, sizeof(ptr));
        return o;
    }
    p = varint_put(p, vlen);
    if (vlen)
        memcpy(p, val, vlen);
    return o;
}

obj *obj_new_string(const char *key, size_t klen, const char *val, size_t vlen, long long expire,
                    int how)
{
    return build(OBJ_STRING, choose_encoding(val, vlen, how), expire, new_stamp(), key, klen, val,
                 vlen, NULL);
}

obj *obj_new_value(const char *key, size_t klen, int type, int enc, void *val, long long expire)
{
    return build(type, enc, expire, new_stamp(), key, klen, NULL, 0, val);
}

void *obj_value(const obj *o)
{
    void *ptr;
    memcpy(&ptr, value_start(o), sizeof(ptr));
    return ptr;
}

void obj_set_value(obj *o, void *val, int enc)
{
    memcpy((unsigned char *)value_start(o), &val, sizeof(val));
    o->tag = (uint8_t)((o->tag & ~0x70) | enc << 4);
}

void obj_free_shell(obj *o)
{
    if (o)
        mem_small_free(o, obj_size(o));
}

void obj_free(obj *o)
{
    if (!o)
        return;
    if (obj_type(o) != OBJ_STRING)
        type_ops[obj_type(o)]->free(obj_value(o));
    else if (is_buffered(o))
        mem_free(obj_value(o));
    obj_free_shell(o);
}

void obj_free_lazy(obj *o)
{
    if (o && obj_type(o) != OBJ_STRING && type_ops[obj_type(o)]->free_lazy) {
        type_ops[obj_type(o)]->free_lazy(obj_value(o));
        obj_free_shell(o);
        return;
    }
    obj_free(o);
}

int obj_type(const obj *o)
{
    return TAG_TYPE(o->tag);
}

int obj_encoding(const obj *o)
{
    return TAG_ENC(o->tag);
}

const char *obj_encoding_name(const obj *o)
{
    switch (obj_encoding(o)) {
    case OBJ_ENC_INT:
        return "int";
    case OBJ_ENC_EMBSTR:
        return "embstr";
    case OBJ_ENC_LISTPACK:
        return "listpack";
    case OBJ_ENC_QUICKLIST:
        return "quicklist";
    case OBJ_ENC_INTSET:
        return "intset";
    case OBJ_ENC_HASHTABLE:
        return "hashtable";
    case OBJ_ENC_SKIPLIST:
        return "skiplist";
    default:
        return "raw";
    }
}

const char *obj_type_name(const obj *o)
{
    static const char *names[] = {"string", "list", "set", "zset", "hash"};
    int t = obj_type(o);
    return t <= OBJ_HASH ? names[t] : "none";
}

void obj_key(const obj *o, const char **key, size_t *len)
{
    const unsigned char *p = varint_get(key_start(o), len);
    *key = (const char *)p;
}

void obj_str(const obj *o, const char **val, size_t *len)
{
    if (is_buffered(o)) {
        const str_buf *b = obj_value(o);
        *val = b->bytes;
        *len = b->len;
        return;
    }
    const unsigned char *p = varint_get(value_start(o), len);
    *val = (const char *)p;
}

/* Room for n bytes and the spare Redis's sds would keep. */
static size_t grown_capacity(size_t n)
{
    return n < GROW_SPARE_MAX ? n * 2 : n + GROW_SPARE_MAX;
}

obj *obj_str_grow(obj *o, size_t newlen, char **bytes)
{
    const char *v;
    size_t len;
    obj_str(o, &v, &len);
    assert(obj_type(o) == OBJ_STRING && newlen >= len);
    if (is_buffered(o)) {
        str_buf *b = obj_value(o);
        if (newlen > b->cap) {
            size_t cap = grown_capacity(newlen);
            b = mem_realloc(b, sizeof(str_buf) + cap);
            b->cap = cap;
            obj_set_value(o, b, OBJ_ENC_RAW);
        }
        if (newlen > b->len)
            memset(b->bytes + b->len, 0, newlen - b->len);
        b->len = newlen;
        *bytes = b->bytes;
        return o;
    }
    if (newlen == len) {
        /* Same size: the inline bytes are o's own to change. */
        o->tag = (uint8_t)((o->tag & ~0x70) | OBJ_ENC_RAW << 4);
        *bytes = (char *)v;
        return o;
    }
    const char *key;
    size_t klen;
    obj_key(o, &key, &klen);
    if (newlen <= OBJ_GROW_MIN) {
        /* Small: a new inline entry (copying at most OBJ_GROW_MIN bytes). */
        char tmp[OBJ_GROW_MIN];
        memcpy(tmp, v, len);
        memset(tmp + len, 0, newlen - len);
        obj *n = build(OBJ_STRING, OBJ_ENC_RAW, obj_expire(o), obj_lru(o), key, klen, tmp, newlen,
                       NULL);
        obj_str(n, &v, &len);
        *bytes = (char *)v;
        return n;
    }
    size_t cap = grown_capacity(newlen);
    str_buf *b = mem_alloc(sizeof(str_buf) + cap);
    b->cap = cap;
    b->len = newlen;
    memcpy(b->bytes, v, len);
    memset(b->bytes + len, 0, newlen - len);
    *bytes = b->bytes;
    return build(OBJ_STRING, OBJ_ENC_RAW, obj_expire(o), obj_lru(o), key, klen, NULL, 0, b);
}

long long obj_expire(const obj *o)
{
    if (!(o->tag & TAG_HAS_EXPIRE))
        return OBJ_NO_EXPIRE;
    long long e;
    memcpy(&e, o->rest, 8);
    return e;
}

/* The same value under key with expire; a collection's pointer is shared,
 * so exactly one of the two entries may free it afterwards. */
static obj *rebuild(const obj *o, const char *key, size_t klen, long long expire)
{
    if (obj_type(o) != OBJ_STRING || is_buffered(o))
        return build(obj_type(o), obj_encoding(o), expire, obj_lru(o), key, klen, NULL, 0,
                     obj_value(o));
    const char *val;
    size_t vlen;
    obj_str(o, &val, &vlen);
    return build(OBJ_STRING, obj_encoding(o), expire, obj_lru(o), key, klen, val, vlen, NULL);
}

obj *obj_with_expire(obj *o, long long expire)
{
    int had = (o->tag & TAG_HAS_EXPIRE) != 0;
    int has = expire != OBJ_NO_EXPIRE;
    if (had && has) {
        memcpy(o->rest, &expire, 8);
        return o;
    }
    if (!had && !has)
        return o;
    const char *key;
    size_t klen;
    obj_key(o, &key, &klen);
    return rebuild(o, key, klen, expire);
}

obj *obj_copy_as(const obj *o, const char *key, size_t klen)
{
    obj *n = rebuild(o, key, klen, obj_expire(o));
    obj_touch(n, new_stamp()); /* a new key to Redis too: fresh stamp */
    if (obj_type(o) != OBJ_STRING) {
        obj_set_value(n, type_ops[obj_type(o)]->dup(obj_value(o)), obj_encoding(o));
    } else if (is_buffered(o)) {
        const str_buf *b = obj_value(o);
        str_buf *d = mem_alloc(sizeof(str_buf) + b->cap);
        memcpy(d, b, sizeof(str_buf) + b->len);
        obj_set_value(n, d, obj_encoding(o));
    }
    return n;
}

obj *obj_rename(const obj *o, const char *key, size_t klen)
{
    return rebuild(o, key, klen, obj_expire(o));
}

void obj_touch(obj *o, uint32_t stamp)
{
    o->lru[0] = (uint8_t)stamp;
    o->lru[1] = (uint8_t)(stamp >> 8);
    o->lru[2] = (uint8_t)(stamp >> 16);
}

uint32_t obj_lru(const obj *o)
{
    return (uint32_t)o->lru[0] | (uint32_t)o->lru[1] << 8 | (uint32_t)o->lru[2] << 16;
}

/* ---- access stamps (see object.h) ------------------------------------------ */

static struct {
    int lfu;
    int log_factor;
    int decay_minutes;
    uint32_t seconds; /* unix seconds mod 2^24 */
    uint32_t minutes; /* unix minutes mod 2^16 */
} stamps = {0, 10, 1, 0, 0};

void obj_access_setup(int lfu, int log_factor, int decay_minutes)
{
    stamps.lfu = lfu;
    stamps.log_factor = log_factor;
    stamps.decay_minutes = decay_minutes;
}

int obj_access_is_lfu(void)
{
    return stamps.lfu;
}

void obj_access_clock(long long unix_ms)
{
    long long s = unix_ms / 1000;
    stamps.seconds = (uint32_t)(s & OBJ_LRU_MAX);
    stamps.minutes = (uint32_t)((s / 60) & 0xffff);
}

static uint32_t new_stamp(void)
{
    return stamps.lfu ? stamps.minutes << 8 | OBJ_LFU_INIT : stamps.seconds;
}

unsigned obj_lfu_counter(const obj *o)
{
    uint32_t st = obj_lru(o);
    unsigned counter = st & 0xff;
    if (stamps.decay_minutes <= 0)
        return counter;
    /* Minutes since the stamp, modulo 2^16: right across a wrap. */
    uint32_t periods = ((stamps.minutes - (st >> 8)) & 0xffff) / (uint32_t)stamps.decay_minutes;
    return periods >= counter ? 0 : counter - periods;
}

void obj_access(obj *o)
{
    if (!stamps.lfu) {
        obj_touch(o, stamps.seconds);
        return;
    }
    unsigned counter = obj_lfu_counter(o);
    if (counter < 255) {
        double r = (double)(util_random() >> 11) / (double)(1ull << 53);
        double base = counter > OBJ_LFU_INIT ? counter - OBJ_LFU_INIT : 0;
        if (r < 1.0 / (base * stamps.log_factor + 1))
            counter++;
    }
    obj_touch(o, stamps.minutes << 8 | counter);
}

void obj_access_inherit(obj *n, const obj *old)
{
    if (stamps.lfu)
        obj_touch(n, obj_lru(old));
}

void obj_access_overwrite(obj *n, obj *old)
{
    if (!stamps.lfu)
        return; /* n was stamped now when it was made */
    obj_access(old);
    obj_touch(n, obj_lru(old));
}

long long obj_idle_seconds(const obj *o)
{
    /* Modulo 2^24: right across a wrap of the clock. */
    return (long long)((stamps.seconds - obj_lru(o)) & OBJ_LRU_MAX);
}

size_t obj_size(const obj *o)
{
    if (obj_type(o) != OBJ_STRING || is_buffered(o))
        return (size_t)(value_start(o) - (const unsigned char *)o) + sizeof(void *);
    const char *v;
    size_t vlen;
    obj_str(o, &v, &vlen);
    return (size_t)((const unsigned char *)v - (const unsigned char *)o) + vlen;
}

void obj_entry_key(const void *entry, const char **key, size_t *len)
{
    obj_key(entry, key, len);
}

void obj_entry_free(void *entry)
{
    obj_free(entry);
}

void obj_entry_free_lazy(void *entry)
{
    obj_free_lazy(entry);
}
