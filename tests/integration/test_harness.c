/* test_harness: the harness's own pure parts, checked without a server, so
 * that a differential test can trust that "one reply" means one reply: the
 * RESP2/RESP3 reply splitter on every type, cut at every byte, and the
 * command builders.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each complete reply: every proper prefix needs more bytes, the whole is
 * exactly one reply, and a second reply after it is not swallowed. */
static void check_complete(const char *reply)
{
    size_t n = strlen(reply);
    for (size_t cut = 0; cut < n; cut++) {
        if (h_reply_len(reply, cut) != 0)
            fail_msg("prefix of %zu bytes of %s is not 'need more'", cut, reply);
    }
    assert_int_equal(h_reply_len(reply, n), (long)n);
    char *two = malloc(n + 8);
    memcpy(two, reply, n);
    memcpy(two + n, "+OK\r\n", 6);
    assert_int_equal(h_reply_len(two, n + 5), (long)n);
    free(two);
}

static void test_harness_reply_len_resp2_types(void **state)
{
    (void)state;
    check_complete("+OK\r\n");
    check_complete("-ERR unknown command 'x'\r\n");
    check_complete(":-42\r\n");
    check_complete("$5\r\nhello\r\n");
    check_complete("$0\r\n\r\n");
    check_complete("$-1\r\n");
    check_complete("$4\r\na\r\nb\r\n");
    check_complete("*-1\r\n");
    check_complete("*0\r\n");
    check_complete("*3\r\n:1\r\n$1\r\na\r\n*2\r\n+x\r\n$-1\r\n");
}

static void test_harness_reply_len_resp3_types(void **state)
{
    (void)state;
    check_complete("_\r\n");
    check_complete(",3.14\r\n");
    check_complete(",inf\r\n");
    check_complete("#t\r\n");
    check_complete("(3492890328409238509324850943850943825024385\r\n");
    check_complete("=15\r\ntxt:Some string\r\n");
    check_complete("!21\r\nSYNTAX invalid syntax\r\n");
    check_complete("%2\r\n+first\r\n:1\r\n+second\r\n*1\r\n:2\r\n");
    check_complete("~3\r\n+a\r\n+b\r\n+c\r\n");
    check_complete(">3\r\n+message\r\n+chan\r\n$2\r\nhi\r\n");
    /* An attribute precedes the reply it describes and is part of it. */
    check_complete("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2\r\n:3\r\n");
    check_complete("*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n");
    check_complete("%0\r\n");
    check_complete("~0\r\n");
}

static void test_harness_reply_len_rejects_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {"?\r\n", "$x\r\n", "$-2\r\n", "*-2\r\n", "%-1\r\n",
                                      "$3\r\nabcXY", "*1\r\n$1\r\naXY", "$\r\n", NULL};
    for (int i = 0; bad[i]; i++) {
        if (h_reply_len(bad[i], strlen(bad[i])) != -1)
            fail_msg("accepted malformed reply #%d", i);
    }
}

static void test_harness_multibulk_is_binary_safe(void **state)
{
    (void)state;
    const char *argv[] = {"SET", "k\r\n", "a\0b"};
    size_t lens[] = {3, 3, 3};
    size_t n;
    char *req = h_multibulk(3, argv, lens, &n);
    static const char want[] = "*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$3\r\na\0b\r\n";
    assert_int_equal(n, sizeof(want) - 1);
    assert_memory_equal(req, want, n);
    free(req);
    req = h_inline(&n, "SET %s %d", "k", 42);
    assert_string_equal(req, "SET k 42\r\n");
    assert_int_equal(n, 10);
    free(req);
}

static void test_harness_split_args_like_redis_cli(void **state)
{
    (void)state;
    char *argv[8];
    size_t lens[8];
    int argc = h_split_args("SET \"a b\\x00\\n\" 'it\\'s' plain \"\"", argv, lens, 8);
    assert_int_equal(argc, 5);
    assert_string_equal(argv[0], "SET");
    assert_int_equal(lens[1], 5);
    assert_memory_equal(argv[1], "a b\0\n", 5);
    assert_string_equal(argv[2], "it's");
    assert_string_equal(argv[3], "plain");
    assert_int_equal(lens[4], 0);
    h_free_args(argv, argc);
    assert_int_equal(h_split_args("SET \"unbalanced", argv, lens, 8), -1);
    assert_int_equal(h_split_args("SET \"a\"b", argv, lens, 8), -1);
    assert_int_equal(h_split_args("   ", argv, lens, 8), 0);
    /* The same splitting, as a request ready to send. */
    size_t n;
    char *req = h_request("SET \"a b\" ''", &n);
    assert_non_null(req);
    assert_int_equal(n, strlen("*3\r\n$3\r\nSET\r\n$3\r\na b\r\n$0\r\n\r\n"));
    assert_memory_equal(req, "*3\r\n$3\r\nSET\r\n$3\r\na b\r\n$0\r\n\r\n", n);
    free(req);
    assert_null(h_request("SET \"unbalanced", &n));
    assert_null(h_request("  ", &n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_harness_reply_len_resp2_types),
        cmocka_unit_test(test_harness_reply_len_resp3_types),
        cmocka_unit_test(test_harness_reply_len_rejects_malformed),
        cmocka_unit_test(test_harness_multibulk_is_binary_safe),
        cmocka_unit_test(test_harness_split_args_like_redis_cli),
    };
    return cmocka_run_group_tests_name("harness", tests, NULL, NULL);
}
