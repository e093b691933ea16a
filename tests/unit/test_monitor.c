/* test_monitor: the argument quoting of MONITOR lines (util_repr), which
 * must match Redis's repr byte for byte and stay printable ASCII. The
 * lines themselves are compared with redis-server in
 * tests/integration/test_clientctl.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

static char *repr(const char *s, size_t n, size_t *len)
{
    char *out = malloc(4 * n + 3);
    *len = util_repr(out, s, n);
    out[*len] = '\0';
    return out;
}

static void expect_repr(const char *s, size_t n, const char *want)
{
    size_t len;
    char *got = repr(s, n, &len);
    assert_string_equal(got, want);
    assert_int_equal(len, strlen(want));
    free(got);
}

static void test_util_repr_plain_and_empty(void **state)
{
    (void)state;
    expect_repr("", 0, "\"\"");
    expect_repr("set", 3, "\"set\"");
    expect_repr("a b ~!", 6, "\"a b ~!\"");
}

static void test_util_repr_named_escapes(void **state)
{
    (void)state;
    expect_repr("\"", 1, "\"\\\"\"");
    expect_repr("\\", 1, "\"\\\\\"");
    expect_repr("\n\r\t\a\b", 5, "\"\\n\\r\\t\\a\\b\"");
}

static void test_util_repr_hex_escapes(void **state)
{
    (void)state;
    expect_repr("\x00", 1, "\"\\x00\"");
    expect_repr("\x01\x1f\x7f", 3, "\"\\x01\\x1f\\x7f\"");
    expect_repr("\xc3\xa9", 2, "\"\\xc3\\xa9\"");
    expect_repr("\xff", 1, "\"\\xff\"");
    /* \v and \f have no short form in Redis's repr. */
    expect_repr("\v\f", 2, "\"\\x0b\\x0c\"");
}

/* Decodes what util_repr wrote; returns the length, -1 if malformed. */
static long decode(const char *p, size_t len, char *out)
{
    if (len < 2 || p[0] != '"' || p[len - 1] != '"')
        return -1;
    long n = 0;
    for (size_t i = 1; i < len - 1; i++) {
        if (p[i] != '\\') {
            out[n++] = p[i];
            continue;
        }
        char e = p[++i];
        switch (e) {
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'a': out[n++] = '\a'; break;
        case 'b': out[n++] = '\b'; break;
        case '\\': out[n++] = '\\'; break;
        case '"': out[n++] = '"'; break;
        case 'x': {
            char hex[3] = {p[i + 1], p[i + 2], 0};
            out[n++] = (char)strtol(hex, NULL, 16);
            i += 2;
            break;
        }
        default: return -1;
        }
    }
    return n;
}

/* Every byte value: printable output within the 4n+2 bound that decodes
 * back to the input, alone and all 256 in one argument. */
static void test_util_repr_every_byte_round_trips(void **state)
{
    (void)state;
    char all[256];
    for (int b = 0; b < 256; b++)
        all[b] = (char)b;
    for (int b = 0; b <= 256; b++) {
        const char *in = b < 256 ? all + b : all;
        size_t n = b < 256 ? 1 : 256;
        size_t len;
        char *r = repr(in, n, &len);
        assert_true(len <= 4 * n + 2);
        for (size_t i = 0; i < len; i++)
            assert_true(r[i] >= 0x20 && r[i] <= 0x7e);
        char back[256];
        long m = decode(r, len, back);
        assert_int_equal(m, (long)n);
        assert_memory_equal(back, in, n);
        free(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_util_repr_plain_and_empty),
        cmocka_unit_test(test_util_repr_named_escapes),
        cmocka_unit_test(test_util_repr_hex_escapes),
        cmocka_unit_test(test_util_repr_every_byte_round_trips),
    };
    return cmocka_run_group_tests_name("monitor", tests, NULL, NULL);
}
