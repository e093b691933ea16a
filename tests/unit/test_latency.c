/* Unit tests for latency (the per-command histograms: bucket bounds,
 * counts below powers of two, percentiles as HdrHistogram gives them) and
 * for metrics' HTTP request parser, fed every request cut at every byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "client.h"
#include "command.h"
#include "config.h"
#include "latency.h"
#include "metrics.h"

static cmd_def fake_cmd = {.name = "fake"};
static client fake_client; /* a socket client as far as latency.c cares */

static int setup(void **state)
{
    (void)state;
    config_init();
    cfg.slowlog_log_slower_than = -1; /* these tests record, they do not log */
    latency_reset();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    latency_reset();
    config_fini();
    return 0;
}

static void record(long long usec)
{
    latency_command_done(&fake_client, &fake_cmd, usec);
}

static void test_latency_nothing_recorded_has_no_histogram(void **state)
{
    (void)state;
    assert_null(latency_get(&fake_cmd));
}

static void test_latency_counts_below_powers_of_two_are_exact(void **state)
{
    (void)state;
    /* Every value from 0 to 70000 µs once: below 2^k there are 2^k. */
    for (long long v = 0; v <= 70000; v++)
        record(v);
    const latency_hist *h = latency_get(&fake_cmd);
    assert_non_null(h);
    assert_int_equal(latency_count(h), 70001);
    assert_int_equal(latency_sum_us(h), 70000LL * 70001 / 2);
    uint64_t limits[17], below[17];
    for (int k = 0; k <= 16; k++)
        limits[k] = (uint64_t)1 << k;
    latency_count_below(h, limits, 17, below);
    for (int k = 0; k <= 16; k++)
        assert_int_equal(below[k], limits[k]);
}

static void test_latency_percentiles_exact_below_128(void **state)
{
    (void)state;
    for (long long v = 1; v <= 100; v++)
        record(v);
    const latency_hist *h = latency_get(&fake_cmd);
    assert_int_equal(latency_percentile(h, 50), 50);
    assert_int_equal(latency_percentile(h, 99), 99);
    assert_int_equal(latency_percentile(h, 99.9), 100);
    assert_int_equal(latency_percentile(h, 100), 100);
    assert_int_equal(latency_percentile(h, 0), 1);
    assert_int_equal(latency_percentile(h, 0.5), 1); /* rank rounds to the first */
}

static void test_latency_large_values_within_1_6_percent(void **state)
{
    (void)state;
    static const long long values[] = {128, 129, 1000, 12345, 303103, 1048577, 987654321};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        latency_reset();
        record(values[i]);
        const latency_hist *h = latency_get(&fake_cmd);
        uint64_t hi = latency_percentile(h, 50), lo = latency_percentile(h, 0);
        assert_true(lo <= (uint64_t)values[i] && (uint64_t)values[i] <= hi);
        assert_true((double)(hi - lo) <= (double)values[i] / 64.0);
    }
}

static void test_latency_huge_and_negative_values_are_kept(void **state)
{
    (void)state;
    record(-5);                   /* a clock step back counts as 0 */
    record(1LL << 40);            /* past the last bucket: counted in it */
    const latency_hist *h = latency_get(&fake_cmd);
    assert_int_equal(latency_count(h), 2);
    uint64_t limits[2] = {1, (uint64_t)1 << 32}, below[2];
    latency_count_below(h, limits, 2, below);
    assert_int_equal(below[0], 1);
    assert_int_equal(below[1], 2);
}

static void test_latency_off_records_nothing_and_reset_forgets(void **state)
{
    (void)state;
    cfg.latency_tracking = 0;
    record(10);
    assert_null(latency_get(&fake_cmd));
    cfg.latency_tracking = 1;
    record(10);
    assert_non_null(latency_get(&fake_cmd));
    latency_reset();
    assert_null(latency_get(&fake_cmd));
    /* The fake client (AOF loading) is never recorded. */
    client aof_client = {.flags = CLIENT_FAKE};
    latency_command_done(&aof_client, &fake_cmd, 10);
    assert_null(latency_get(&fake_cmd));
}

/* ---- the HTTP request parser ---------------------------------------------- */

/* Every proper prefix of req must be "need more" (0), unless the request is
 * refused early, and the whole must give want. */
static void check_request(const char *req, int want)
{
    size_t len = strlen(req);
    for (size_t cut = 0; cut < len; cut++) {
        int st = metrics_parse_request(req, cut, 8192);
        if (st != 0) {
            /* Only a refusal may come early, and then it must be final. */
            if (want != 400 || st != 400)
                fail_msg("'%s' cut at %zu: %d (want 0, then %d)", req, cut, st, want);
            return;
        }
    }
    int st = metrics_parse_request(req, len, 8192);
    if (st != want)
        fail_msg("'%s': %d, want %d", req, st, want);
}

static void test_metrics_request_cut_at_every_byte(void **state)
{
    (void)state;
    check_request("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 200);
    check_request("GET /metrics HTTP/1.0\r\n\r\n", 200);
    check_request("GET /metrics?name[]=a HTTP/1.1\r\n\r\n", 200);
    check_request("GET /metrics HTTP/1.1\nUser-Agent: a b\tc\n\n", 200);
    check_request("GET /other HTTP/1.1\r\n\r\n", 404);
    check_request("GET /metrics/ HTTP/1.1\r\n\r\n", 404);
    check_request("POST /metrics HTTP/1.1\r\n\r\n", 400);
    check_request("GET /metrics HTTP/1.2\r\n\r\n", 400);
    check_request("GET /metrics HTTP/1.1 \r\n\r\n", 400);
    check_request("GET /met rics HTTP/1.1\r\n\r\n", 400);
    check_request("GET /metrics HTTP/1.1\r\n Folded: x\r\n\r\n", 400);
    check_request("GET /metrics HTTP/1.1\r\nName : x\r\n\r\n", 400);
}

static void test_metrics_request_refused_at_the_first_wrong_byte(void **state)
{
    (void)state;
    assert_int_equal(metrics_parse_request("P", 1, 8192), 400);
    assert_int_equal(metrics_parse_request("GE", 2, 8192), 0);
    assert_int_equal(metrics_parse_request("GEX", 3, 8192), 400);
    assert_int_equal(metrics_parse_request("*1\r\n", 4, 8192), 400);
    assert_int_equal(metrics_parse_request("\r\n", 2, 8192), 400);
}

static void test_metrics_request_past_the_limit(void **state)
{
    (void)state;
    char buf[100];
    memset(buf, 'a', sizeof(buf));
    memcpy(buf, "GET /", 5);
    /* No line end within the limit: 431 once the limit is reached. */
    assert_int_equal(metrics_parse_request(buf, 99, 100), 0);
    assert_int_equal(metrics_parse_request(buf, 100, 100), 431);
    /* A complete request line, headers without their end: the same. */
    static const char req[] = "GET /metrics HTTP/1.1\r\nX: aaaaaaaaaaaaaaaaaaaaaa";
    assert_int_equal(metrics_parse_request(req, sizeof(req) - 1, sizeof(req)), 0);
    assert_int_equal(metrics_parse_request(req, sizeof(req) - 1, sizeof(req) - 1), 431);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_latency_nothing_recorded_has_no_histogram, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_latency_counts_below_powers_of_two_are_exact,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_latency_percentiles_exact_below_128, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_latency_large_values_within_1_6_percent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_latency_huge_and_negative_values_are_kept, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_latency_off_records_nothing_and_reset_forgets,
                                        setup, teardown),
        cmocka_unit_test(test_metrics_request_cut_at_every_byte),
        cmocka_unit_test(test_metrics_request_refused_at_the_first_wrong_byte),
        cmocka_unit_test(test_metrics_request_past_the_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
