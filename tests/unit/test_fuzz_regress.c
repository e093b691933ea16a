/* Regression cases of the fuzz targets: each input that once made a fuzzer
 * crash or fail a check is kept in tests/fuzz/regress/<target>/ and fed again
 * through the same entry point (fuzz_resp_one, fuzz_aof_one, fuzz_exec_one),
 * which checks the same invariants as under libFuzzer. A failed invariant
 * fails the test here instead of aborting. Each file's name says what it
 * caught; the test also asserts the outcome the fixed code gives it.
 *
 * The seed corpora (tests/fuzz/corpus/) are replayed too: they are small,
 * and every seed must pass the checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <dirent.h>

#include "fuzz.h"

#ifndef FUZZ_REGRESS_DIR
#error "build with -DFUZZ_REGRESS_DIR=<path of tests/fuzz/regress>"
#endif
#define CORPUS_DIR FUZZ_REGRESS_DIR "/../corpus"

static void fail_test(const char *file, int line, const char *what)
{
    fail_msg("%s:%d: %s", file, line, what);
}

static uint8_t *read_input(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    uint8_t *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static int run_target(const char *target, const uint8_t *data, size_t size)
{
    if (!strcmp(target, "resp"))
        return fuzz_resp_one(data, size);
    if (!strcmp(target, "aof"))
        return fuzz_aof_one(data, size);
    return fuzz_exec_one(data, size);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Feeds every file in dir/target to the target, in name order. Returns the
 * number of files. */
static int run_dir(const char *dir, const char *target)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, target);
    DIR *d = opendir(path);
    if (!d)
        return 0; /* no regression for this target yet */
    char *names[1024];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 1024)
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof(names[0]), name_cmp);
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s/%s", dir, target, names[i]);
        size_t size;
        uint8_t *data = read_input(path, &size);
        run_target(target, data, size);
        free(data);
        free(names[i]);
    }
    return n;
}

/* One saved input: its target's result must be `want`. */
static void expect_result(const char *target, const char *name, int want)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s/%s", FUZZ_REGRESS_DIR, target, name);
    size_t size;
    uint8_t *data = read_input(path, &size);
    int got = run_target(target, data, size);
    free(data);
    if (got != want)
        fail_msg("%s/%s: result %d, expected %d", target, name, got, want);
}

static void test_fuzz_corpus_resp_passes(void **state)
{
    (void)state;
    assert_true(run_dir(CORPUS_DIR, "resp") > 0);
}

static void test_fuzz_corpus_aof_passes(void **state)
{
    (void)state;
    assert_true(run_dir(CORPUS_DIR, "aof") > 0);
}

static void test_fuzz_corpus_exec_passes(void **state)
{
    (void)state;
    assert_true(run_dir(CORPUS_DIR, "exec") > 0);
}

/* ZMPOP/BZMPOP with numkeys near LLONG_MAX: a syntax error, not an
 * overflowed index (UBSan report, then argv read at a negative index). */
static void test_fuzz_regress_zmpop_numkeys_overflow(void **state)
{
    (void)state;
    expect_result("exec", "zmpop-numkeys-overflow", 3);
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* KEYS with "*a" 11 times then "*b", against a key of 32 'a's: the glob
 * matcher took about 4.5 s (exponential in the stars); now well under one. */
static void test_fuzz_regress_keys_glob_exponential(void **state)
{
    (void)state;
    double t0 = now_sec();
    expect_result("exec", "keys-glob-exponential", 2);
    double took = now_sec() - t0;
    if (took > 1.0)
        fail_msg("KEYS took %.2f s", took);
}

/* Commands that do not write have no place in an AOF: the loader refuses
 * them as damage instead of sleeping, shutting down or reconfiguring. */
static void test_fuzz_regress_aof_replays_only_writes(void **state)
{
    (void)state;
    expect_result("aof", "debug-sleep-replayed", 2);
    expect_result("aof", "shutdown-replayed", 2);
    expect_result("aof", "config-set-replayed", 2);
}

static void test_fuzz_regress_all_pass(void **state)
{
    (void)state;
    int n = run_dir(FUZZ_REGRESS_DIR, "resp") + run_dir(FUZZ_REGRESS_DIR, "aof") +
            run_dir(FUZZ_REGRESS_DIR, "exec");
    assert_true(n > 0);
}

int main(void)
{
    fuzz_set_fail_hook(fail_test);
    fuzz_env_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuzz_corpus_resp_passes),
        cmocka_unit_test(test_fuzz_corpus_aof_passes),
        cmocka_unit_test(test_fuzz_corpus_exec_passes),
        cmocka_unit_test(test_fuzz_regress_zmpop_numkeys_overflow),
        cmocka_unit_test(test_fuzz_regress_keys_glob_exponential),
        cmocka_unit_test(test_fuzz_regress_aof_replays_only_writes),
        cmocka_unit_test(test_fuzz_regress_all_pass),
    };
    return cmocka_run_group_tests_name("fuzz_regress", tests, NULL, NULL);
}
