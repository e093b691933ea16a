/* Unit tests for the AOF loader alone: files written by the test are loaded
 * into databases with no server running, including a file cut at every byte
 * offset, zero-filled tails, and damage that must be refused untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "aof.h"
#include "command.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "mem.h"
#include "server.h"

static char dir[64];
static char path[128];

static void write_file(const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static char *read_all(size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, f);
    fclose(f);
    return buf;
}

static void reset_dbs(void)
{
    for (int i = 0; i < server.ndbs; i++)
        db_flush(&server.dbs[i]);
}

static int group_setup(void **state)
{
    (void)state;
    log_set_level(LOG_NOTHING);
    config_init();
    snprintf(dir, sizeof(dir), "/tmp/respd-aof-unit-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof(path), "%s/appendonly.aof", dir);
    server.ndbs = 16;
    server.dbs = mem_calloc(16, sizeof(db));
    for (int i = 0; i < 16; i++)
        db_init(&server.dbs[i], i);
    cmd_init();
    server_update_time();
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int setup(void **state)
{
    (void)state;
    reset_dbs();
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -f '%s'/*", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char good[] = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"
                           "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
                           "*2\r\n$6\r\nSELECT\r\n$1\r\n5\r\n"
                           "*5\r\n$3\r\nSET\r\n$1\r\nb\r\n$2\r\n22\r\n$4\r\nPXAT\r\n$13\r\n9999999999999\r\n"
                           "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n";

static void test_aof_load_replays_commands_into_databases(void **state)
{
    (void)state;
    char err[512];
    write_file(good, strlen(good));
    assert_int_equal(aof_load(path, err, sizeof(err)), 0);
    assert_non_null(db_lookup(&server.dbs[0], "a", 1));
    obj *b = db_lookup(&server.dbs[5], "b", 1);
    assert_non_null(b);
    assert_int_equal(obj_expire(b), 9999999999999LL);
    assert_non_null(db_lookup(&server.dbs[5], "n", 1));
    assert_int_equal(db_size(&server.dbs[0]), 1);
}

static void test_aof_load_empty_file_is_fine(void **state)
{
    (void)state;
    char err[512];
    write_file("", 0);
    assert_int_equal(aof_load(path, err, sizeof(err)), 0);
}

/* Cut the file at every offset: each prefix loads (torn tail) with exactly
 * the commands that are complete in it, and the file is truncated to them. */
static void test_aof_load_cut_at_every_offset(void **state)
{
    (void)state;
    size_t ends[8];
    int ncmd = 0;
    /* Offsets where each command ends. */
    for (size_t i = 0, start = 0; i < strlen(good); i++) {
        if (good[i + 1] == '*' || good[i + 1] == '\0') {
            ends[ncmd++] = i + 1;
            start = i + 1;
            (void)start;
        }
    }
    assert_int_equal(ncmd, 5);
    for (size_t cut = 0; cut <= strlen(good); cut++) {
        setup(state);
        char err[512];
        write_file(good, cut);
        assert_int_equal(aof_load(path, err, sizeof(err)), 0);
        size_t complete = 0;
        for (int i = 0; i < ncmd; i++)
            if (ends[i] <= cut)
                complete = ends[i];
        size_t len;
        char *now = read_all(&len);
        assert_int_equal(len, complete);
        free(now);
        int has_a = db_lookup(&server.dbs[0], "a", 1) != NULL;
        assert_int_equal(has_a, complete >= ends[1]);
        int has_n = db_lookup(&server.dbs[5], "n", 1) != NULL;
        assert_int_equal(has_n, complete == ends[4]);
    }
}

static void test_aof_load_zero_filled_tail_is_torn(void **state)
{
    (void)state;
    char buf[256];
    size_t n = strlen(good);
    memcpy(buf, good, n);
    memset(buf + n, 0, 40);
    write_file(buf, n + 40);
    char err[512];
    assert_int_equal(aof_load(path, err, sizeof(err)), 0);
    size_t len;
    free(read_all(&len));
    assert_int_equal(len, n);
}

static void refused_untouched(const char *content, size_t len)
{
    write_file(content, len);
    char err[512] = "";
    assert_int_equal(aof_load(path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "offset"));
    size_t now_len;
    char *now = read_all(&now_len);
    assert_int_equal(now_len, len);
    assert_memory_equal(now, content, len);
    free(now);
}

static void test_aof_load_refuses_bad_type_byte(void **state)
{
    (void)state;
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "%s+OK\r\n%s", good, good);
    refused_untouched(buf, (size_t)n);
}

static void test_aof_load_refuses_corrupt_length_followed_by_commands(void **state)
{
    (void)state;
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "%s*3\r\n$3\r\nSET\r\n$400\r\nx\r\n$1\r\n1\r\n%s", good,
                     good);
    refused_untouched(buf, (size_t)n);
}

static void test_aof_load_refuses_unknown_command(void **state)
{
    (void)state;
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "%s*1\r\n$5\r\nNOPE!\r\n", good);
    refused_untouched(buf, (size_t)n);
}

static void test_aof_load_refuses_wrong_arity(void **state)
{
    (void)state;
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "%s*2\r\n$3\r\nSET\r\n$1\r\nx\r\n", good);
    refused_untouched(buf, (size_t)n);
}

static void test_aof_load_truncated_refused_when_option_off(void **state)
{
    (void)state;
    cfg.aof_load_truncated = 0;
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "%s*3\r\n$3\r\nSET", good);
    refused_untouched(buf, (size_t)n);
    cfg.aof_load_truncated = 1;
}

static void test_aof_load_missing_file_is_an_error(void **state)
{
    (void)state;
    char err[512];
    assert_int_equal(aof_load("/nonexistent/dir/x.aof", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent/dir/x.aof"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_aof_load_replays_commands_into_databases, setup),
        cmocka_unit_test_setup(test_aof_load_empty_file_is_fine, setup),
        cmocka_unit_test_setup(test_aof_load_cut_at_every_offset, setup),
        cmocka_unit_test_setup(test_aof_load_zero_filled_tail_is_torn, setup),
        cmocka_unit_test_setup(test_aof_load_refuses_bad_type_byte, setup),
        cmocka_unit_test_setup(test_aof_load_refuses_corrupt_length_followed_by_commands, setup),
        cmocka_unit_test_setup(test_aof_load_refuses_unknown_command, setup),
        cmocka_unit_test_setup(test_aof_load_refuses_wrong_arity, setup),
        cmocka_unit_test_setup(test_aof_load_truncated_refused_when_option_off, setup),
        cmocka_unit_test_setup(test_aof_load_missing_file_is_an_error, setup),
    };
    return cmocka_run_group_tests_name("aof", tests, group_setup, group_teardown);
}
