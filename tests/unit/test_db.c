/* Unit tests for db: lazy and active expiry, and keeping the keys and
 * expires tables consistent through replace, expire and persist. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "db.h"
#include "ev.h"
#include "mem.h"
#include "object.h"

static int expired_calls;
static char last_expired[64];

static void on_expired(db *d, const char *key, size_t klen)
{
    (void)d;
    expired_calls++;
    snprintf(last_expired, sizeof(last_expired), "%.*s", (int)klen, key);
}

static int setup(void **state)
{
    db *d = mem_alloc(sizeof(db));
    db_init(d, 0);
    db_set_now(1000000);
    db_set_expiry_enabled(1);
    db_set_expired_hook(on_expired);
    expired_calls = 0;
    last_expired[0] = '\0';
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    db *d = *state;
    db_fini(d);
    mem_free(d);
    return 0;
}

static obj *str(const char *k, const char *v, long long expire)
{
    return obj_new_string(k, strlen(k), v, strlen(v), expire, 0);
}

static void test_db_lookup_returns_live_key(void **state)
{
    db *d = *state;
    db_add(d, str("a", "1", OBJ_NO_EXPIRE));
    obj *o = db_lookup(d, "a", 1);
    assert_non_null(o);
    const char *v;
    size_t n;
    obj_str(o, &v, &n);
    assert_int_equal(n, 1);
    assert_memory_equal(v, "1", 1);
    assert_null(db_lookup(d, "b", 1));
}

static void test_db_lazy_expiry_removes_and_reports(void **state)
{
    db *d = *state;
    db_add(d, str("k", "v", 1000500));
    assert_int_equal(db_expires_count(d), 1);
    assert_non_null(db_lookup(d, "k", 1));
    db_set_now(1000500); /* expire time reached: expired (Redis: when <= now) */
    assert_null(db_lookup(d, "k", 1));
    assert_int_equal(expired_calls, 1);
    assert_string_equal(last_expired, "k");
    assert_int_equal(db_size(d), 0);
    assert_int_equal(db_expires_count(d), 0);
}

static void test_db_peek_does_not_remove(void **state)
{
    db *d = *state;
    db_add(d, str("k", "v", 999999));
    assert_null(db_peek(d, "k", 1));
    assert_int_equal(db_size(d), 1);
    assert_int_equal(expired_calls, 0);
}

static void test_db_expiry_suspended_while_loading(void **state)
{
    db *d = *state;
    db_add(d, str("k", "v", 1));
    db_set_expiry_enabled(0);
    assert_non_null(db_lookup(d, "k", 1));
    assert_int_equal(db_active_expire(d, ev_mono_us() + 100000), 0);
    db_set_expiry_enabled(1);
    assert_null(db_lookup(d, "k", 1));
}

/* CLIENT PAUSE: an expired key reads as missing but nothing is deleted,
 * by lookups, random picks or the active cycle, until the pause ends. */
static void test_db_expiry_paused_keeps_keys_but_hides_them(void **state)
{
    db *d = *state;
    db_add(d, str("dead", "v", 10));
    db_add(d, str("live", "v", OBJ_NO_EXPIRE));
    db_set_expiry_paused(1);
    assert_null(db_lookup(d, "dead", 4));
    for (int i = 0; i < 20; i++) {
        obj *o = db_random(d);
        assert_non_null(o);
        const char *k;
        size_t n;
        obj_key(o, &k, &n);
        assert_memory_equal(k, "live", 4);
    }
    assert_int_equal(db_active_expire(d, ev_mono_us() + 100000), 0);
    assert_int_equal(db_size(d), 2);
    assert_int_equal(db_expires_count(d), 1);
    assert_int_equal(expired_calls, 0);
    db_set_expiry_paused(0);
    assert_null(db_lookup(d, "dead", 4));
    assert_int_equal(db_size(d), 1);
    assert_int_equal(expired_calls, 1);
}

static void test_db_set_expire_and_persist_keep_tables_consistent(void **state)
{
    db *d = *state;
    db_add(d, str("k", "value", OBJ_NO_EXPIRE));
    obj *o = db_lookup(d, "k", 1);
    o = db_set_expire(d, o, 2000000);
    assert_int_equal(db_expires_count(d), 1);
    assert_int_equal(obj_expire(db_lookup(d, "k", 1)), 2000000);
    o = db_set_expire(d, o, 3000000); /* change in place */
    assert_int_equal(db_expires_count(d), 1);
    o = db_set_expire(d, o, OBJ_NO_EXPIRE);
    assert_int_equal(db_expires_count(d), 0);
    assert_int_equal(obj_expire(o), OBJ_NO_EXPIRE);
    assert_ptr_equal(db_lookup(d, "k", 1), o);
}

static void test_db_set_replaces_and_drops_old_expire(void **state)
{
    db *d = *state;
    db_add(d, str("k", "old", 2000000));
    db_set(d, str("k", "new", OBJ_NO_EXPIRE));
    assert_int_equal(db_size(d), 1);
    assert_int_equal(db_expires_count(d), 0);
    db_set(d, str("k", "newer", 2500000));
    assert_int_equal(db_expires_count(d), 1);
    const char *v;
    size_t n;
    obj_str(db_lookup(d, "k", 1), &v, &n);
    assert_int_equal(n, 5);
}

static void test_db_active_expire_frees_untouched_keys(void **state)
{
    db *d = *state;
    char k[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof(k), "exp:%d", i);
        db_add(d, str(k, "v", 1000100));
    }
    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof(k), "keep:%d", i);
        db_add(d, str(k, "v", i % 2 ? OBJ_NO_EXPIRE : 5000000));
    }
    db_set_now(1000200);
    /* Several cycles, as the cron would run them; each is time-bounded. */
    for (int i = 0; i < 1000 && db_size(d) > 100; i++)
        db_active_expire(d, ev_mono_us() + 10000);
    assert_int_equal(db_size(d), 100);
    assert_int_equal(db_expires_count(d), 50);
    assert_int_equal(expired_calls, 5000);
}

static void test_db_active_expire_stops_when_few_expired(void **state)
{
    db *d = *state;
    char k[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(k, sizeof(k), "live:%d", i);
        db_add(d, str(k, "v", 9000000));
    }
    db_add(d, str("dead", "v", 1));
    /* With almost nothing expired, one call must look at a small sample
     * only, not the whole table. */
    db_active_expire(d, ev_mono_us() + 1000000);
    assert_true(db_size(d) >= 10000);
}

static void test_db_unlink_and_move_between_dbs(void **state)
{
    db *d = *state;
    db other;
    db_init(&other, 1);
    db_add(d, str("k", "v", 2000000));
    obj *o = db_unlink(d, "k", 1);
    assert_non_null(o);
    assert_int_equal(db_size(d), 0);
    assert_int_equal(db_expires_count(d), 0);
    db_add(&other, o);
    assert_int_equal(db_expires_count(&other), 1);
    assert_non_null(db_lookup(&other, "k", 1));
    db_fini(&other);
}

static void test_db_random_skips_expired(void **state)
{
    db *d = *state;
    db_add(d, str("dead", "v", 10));
    db_add(d, str("live", "v", OBJ_NO_EXPIRE));
    for (int i = 0; i < 50; i++) {
        obj *o = db_random(d);
        assert_non_null(o);
        const char *k;
        size_t n;
        obj_key(o, &k, &n);
        assert_memory_equal(k, "live", 4);
    }
}

static void test_db_flush_empties_both_tables(void **state)
{
    db *d = *state;
    db_add(d, str("a", "1", 2000000));
    db_add(d, str("b", "2", OBJ_NO_EXPIRE));
    db_flush(d);
    assert_int_equal(db_size(d), 0);
    assert_int_equal(db_expires_count(d), 0);
    assert_null(db_lookup(d, "a", 1));
}

static void test_db_no_leak(void **state)
{
    (void)state;
    size_t before = mem_used();
    db d;
    db_init(&d, 3);
    char k[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(k, sizeof(k), "k%d", i);
        db_add(&d, str(k, "some value", i % 3 ? OBJ_NO_EXPIRE : 2000000));
    }
    db_fini(&d);
    /* Entries come from slabs that are kept for reuse; the hash tables'
     * arrays must all be gone. Allow the slabs (at most one per class). */
    assert_true(mem_used() <= before + 64 * 1024 * 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_db_lookup_returns_live_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_lazy_expiry_removes_and_reports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_peek_does_not_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_expiry_suspended_while_loading, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_expiry_paused_keeps_keys_but_hides_them, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_db_set_expire_and_persist_keep_tables_consistent,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_set_replaces_and_drops_old_expire, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_db_active_expire_frees_untouched_keys, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_db_active_expire_stops_when_few_expired, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_db_unlink_and_move_between_dbs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_random_skips_expired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_flush_empties_both_tables, setup, teardown),
        cmocka_unit_test(test_db_no_leak),
    };
    return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}
