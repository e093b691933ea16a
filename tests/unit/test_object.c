/* Unit tests for object's access stamps (LRU seconds, LFU counters), for
 * strings grown in place (obj_str_grow), and for mem_used, which eviction
 * compares with maxmemory: it must drop when an entry is freed even though
 * its slab stays allocated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mem.h"
#include "object.h"

#define T0 1700000000000LL /* unix ms; a whole minute */

static int reset_lru(void **state)
{
    (void)state;
    obj_access_setup(0, 10, 1);
    obj_access_clock(T0);
    return 0;
}

static obj *new_key(const char *k)
{
    return obj_new_string(k, strlen(k), "v", 1, OBJ_NO_EXPIRE, OBJ_ENC_CHOOSE);
}

static void test_lru_idle_seconds(void **state)
{
    (void)state;
    obj *o = new_key("k");
    assert_int_equal(obj_idle_seconds(o), 0);
    obj_access_clock(T0 + 61500);
    assert_int_equal(obj_idle_seconds(o), 61);
    obj_access(o);
    assert_int_equal(obj_idle_seconds(o), 0);
    /* The 24-bit clock wraps (every 194 days); idle time stays right. */
    long long wrap_ms = (long long)(OBJ_LRU_MAX + 1) * 1000;
    long long base = (T0 / wrap_ms + 1) * wrap_ms - 5000; /* 5 s before a wrap */
    obj_access_clock(base);
    obj_access(o);
    obj_access_clock(base + 7000);
    assert_int_equal(obj_idle_seconds(o), 7);
    assert_int_equal(obj_access_is_lfu(), 0);
    obj_free(o);
}

static void test_lfu_counter_grows_decays_and_saturates(void **state)
{
    (void)state;
    obj_access_setup(1, 0, 1); /* log factor 0: every access counts */
    assert_int_equal(obj_access_is_lfu(), 1);
    obj *o = new_key("k");
    assert_int_equal(obj_lfu_counter(o), OBJ_LFU_INIT);
    for (int i = 0; i < 3; i++)
        obj_access(o);
    assert_int_equal(obj_lfu_counter(o), OBJ_LFU_INIT + 3);
    /* One point per lfu-decay-time minutes idle, read without counting. */
    obj_access_clock(T0 + 2 * 60000 + 30000);
    assert_int_equal(obj_lfu_counter(o), OBJ_LFU_INIT + 1);
    assert_int_equal(obj_lfu_counter(o), OBJ_LFU_INIT + 1);
    /* An access applies the decay, counts, and restarts the minutes. */
    obj_access(o);
    assert_int_equal(obj_lfu_counter(o), OBJ_LFU_INIT + 2);
    /* Long idle: down to 0, not below. */
    obj_access_clock(T0 + 600LL * 60000);
    assert_int_equal(obj_lfu_counter(o), 0);
    /* Decay time 0: never decays. */
    obj_access(o);
    obj_access_setup(1, 0, 0);
    obj_access_clock(T0 + 900LL * 60000);
    assert_int_equal(obj_lfu_counter(o), 1);
    /* 8 bits: 255 is the ceiling. */
    for (int i = 0; i < 300; i++)
        obj_access(o);
    assert_int_equal(obj_lfu_counter(o), 255);
    obj_free(o);
}

static void test_lfu_log_factor_slows_counting(void **state)
{
    (void)state;
    obj_access_setup(1, 10, 0);
    obj *o = new_key("k");
    /* At the initial value the first access always counts; after that
     * the chance is 1 / ((c - 5) * 10 + 1): 1,000 accesses reach about
     * 5 + sqrt(2 * 1000 / 10) = 19, far from 1,005. */
    obj_access(o);
    assert_int_equal(obj_lfu_counter(o), OBJ_LFU_INIT + 1);
    for (int i = 0; i < 1000; i++)
        obj_access(o);
    unsigned c = obj_lfu_counter(o);
    assert_in_range(c, 12, 30);
    obj_free(o);
}

static void test_inherit_keeps_lfu_counter_only(void **state)
{
    (void)state;
    obj *old = new_key("k");
    obj_access_clock(T0 + 30000);
    obj *n = new_key("k");
    obj_access_inherit(n, old); /* LRU: the new entry keeps its own time */
    assert_int_equal(obj_idle_seconds(n), 0);
    assert_int_equal(obj_idle_seconds(old), 30);
    obj_free(n);
    obj_access_setup(1, 0, 1);
    obj *o2 = new_key("k2");
    obj_access(o2);
    obj_access(o2);
    obj *n2 = new_key("k2");
    assert_int_equal(obj_lfu_counter(n2), OBJ_LFU_INIT);
    obj_access_inherit(n2, o2);
    assert_int_equal(obj_lfu_counter(n2), OBJ_LFU_INIT + 2);
    /* A copy is a new key: it starts over. */
    obj *cp = obj_copy_as(o2, "k3", 2);
    assert_int_equal(obj_lfu_counter(cp), OBJ_LFU_INIT);
    obj_free(cp);
    obj_free(n2);
    obj_free(o2);
    obj_free(old);
}

static void test_mem_used_drops_when_entries_are_freed(void **state)
{
    (void)state;
    size_t base = mem_used();
    obj *keys[1000];
    char name[16];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(name, sizeof(name), "key:%d", i);
        keys[i] = obj_new_string(name, (size_t)n, "value", 5, OBJ_NO_EXPIRE, OBJ_ENC_CHOOSE);
    }
    size_t full = mem_used();
    assert_true(full >= base + 1000 * 16);
    for (int i = 0; i < 500; i++)
        obj_free(keys[i]);
    size_t half = mem_used();
    assert_true(half < full);
    assert_true(full - half >= 500 * 16);
    for (int i = 500; i < 1000; i++)
        obj_free(keys[i]);
    /* Back to the start exactly: the slabs stay allocated, but what they
     * hold no longer counts. */
    assert_int_equal(mem_used(), base);
}

static void str_is(const obj *o, const char *want, size_t n)
{
    const char *v;
    size_t len;
    obj_str(o, &v, &len);
    assert_int_equal(len, n);
    assert_memory_equal(v, want, n);
}

static void test_str_grow_small_inline_then_buffered(void **state)
{
    (void)state;
    size_t base = mem_used();
    obj *o = obj_new_string("k", 1, "abc", 3, OBJ_NO_EXPIRE, OBJ_ENC_CHOOSE);
    char *bytes;
    /* Same length: o itself, raw, writable in place. */
    assert_ptr_equal(obj_str_grow(o, 3, &bytes), o);
    bytes[0] = 'X';
    str_is(o, "Xbc", 3);
    assert_string_equal(obj_encoding_name(o), "raw");
    /* Longer but small: a new inline entry, zero-filled; o untouched. */
    obj *n = obj_str_grow(o, 6, &bytes);
    assert_ptr_not_equal(n, o);
    str_is(n, "Xbc\0\0\0", 6);
    memcpy(bytes + 3, "def", 3);
    str_is(n, "Xbcdef", 6);
    str_is(o, "Xbc", 3);
    obj_free(o);
    /* Past OBJ_GROW_MIN: the bytes move to a buffer, once. */
    char big[200];
    memset(big, 'y', sizeof(big));
    obj *b = obj_str_grow(n, 100, &bytes);
    assert_ptr_not_equal(b, n);
    obj_free(n);
    memcpy(bytes + 6, big, 94);
    const char *v;
    size_t len;
    obj_str(b, &v, &len);
    assert_int_equal(len, 100);
    assert_memory_equal(v, "Xbcdef", 6);
    /* Then in place: the same entry however often it grows. */
    for (size_t l = 101; l < 150; l++) {
        assert_ptr_equal(obj_str_grow(b, l, &bytes), b);
        bytes[l - 1] = 'z';
    }
    obj_str(b, &v, &len);
    assert_int_equal(len, 149);
    assert_int_equal(v[148], 'z');
    assert_memory_equal(v + 6, big, 94);
    obj_free(b);
    assert_int_equal(mem_used(), base);
}

static void test_str_grow_appends_reallocate_rarely(void **state)
{
    (void)state;
    size_t base = mem_used();
    obj *o = obj_new_string("k", 1, "", 0, OBJ_NO_EXPIRE, OBJ_ENC_CHOOSE);
    const char chunk[100] = {0};
    const char *last = NULL;
    int moves = 0;
    size_t len = 0;
    /* 20,000 appends of 100 bytes (2 MB): the buffer doubles up to 1 MB
     * of spare room, so it moves about 20 times, not 20,000. */
    for (int i = 0; i < 20000; i++) {
        char *bytes;
        obj *n = obj_str_grow(o, len + 100, &bytes);
        memcpy(bytes + len, chunk, 100);
        if (n != o) {
            obj_free(o);
            o = n;
        }
        len += 100;
        if (bytes != last)
            moves++;
        last = bytes;
    }
    assert_true(moves <= 30);
    str_is(o, last, len);
    obj_free(o);
    assert_int_equal(mem_used(), base);
}

static void test_str_grow_buffered_survives_copy_rename_expire(void **state)
{
    (void)state;
    size_t base = mem_used();
    obj *o = obj_new_string("k", 1, "", 0, OBJ_NO_EXPIRE, OBJ_ENC_CHOOSE);
    char *bytes;
    obj *b = obj_str_grow(o, 80, &bytes);
    obj_free(o);
    memset(bytes, 'q', 80);
    /* A copy owns its own buffer. */
    obj *cp = obj_copy_as(b, "c", 1);
    assert_ptr_equal(obj_str_grow(cp, 81, &bytes), cp);
    bytes[80] = '!';
    const char *v;
    size_t len;
    obj_str(b, &v, &len);
    assert_int_equal(len, 80);
    obj_free(cp);
    /* An expire added and removed, a rename: the buffer moves along. */
    obj *e = obj_with_expire(b, 123456);
    assert_ptr_not_equal(e, b);
    obj_free_shell(b);
    assert_int_equal(obj_expire(e), 123456);
    obj *r = obj_rename(e, "renamed", 7);
    obj_free_shell(e);
    obj *p = obj_with_expire(r, OBJ_NO_EXPIRE);
    obj_free_shell(r);
    obj_str(p, &v, &len);
    assert_int_equal(len, 80);
    assert_int_equal(v[79], 'q');
    const char *key;
    size_t klen;
    obj_key(p, &key, &klen);
    assert_memory_equal(key, "renamed", 7);
    assert_ptr_equal(obj_str_grow(p, 90, &bytes), p);
    obj_free(p);
    assert_int_equal(mem_used(), base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_lru_idle_seconds, reset_lru),
        cmocka_unit_test_setup(test_lfu_counter_grows_decays_and_saturates, reset_lru),
        cmocka_unit_test_setup(test_lfu_log_factor_slows_counting, reset_lru),
        cmocka_unit_test_setup(test_inherit_keeps_lfu_counter_only, reset_lru),
        cmocka_unit_test_setup(test_mem_used_drops_when_entries_are_freed, reset_lru),
        cmocka_unit_test(test_str_grow_small_inline_then_buffered),
        cmocka_unit_test(test_str_grow_appends_reallocate_rarely),
        cmocka_unit_test(test_str_grow_buffered_survives_copy_rename_expire),
    };
    return cmocka_run_group_tests_name("object", tests, NULL, NULL);
}
