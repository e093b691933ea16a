/* test_clients: real client libraries (node-redis and ioredis, from
 * tests/clients) connect to respd with their default handshake and with
 * RESP3 (HELLO 3) and do a few round trips. Skipped when node or the
 * installed packages (tests/install-deps.sh puts them in
 * tests/clients/node_modules) are not there. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void test_clients_node_redis_and_ioredis_connect(void **state)
{
    (void)state;
    struct stat st;
    if (!h_which("node") || stat("tests/clients/node_modules/redis", &st) != 0 ||
        stat("tests/clients/node_modules/ioredis", &st) != 0)
        skip();
    h_server s;
    assert_int_equal(h_respd_start(&s, NULL, NULL), 0);
    char port[16];
    snprintf(port, sizeof(port), "%d", s.port);
    const char *argv[] = {"node", "tests/clients/check.mjs", port, NULL};
    char *out = NULL;
    int rc = h_run(argv, NULL, &out, 30000);
    if (rc != 0)
        fail_msg("client check failed (%d): %s", rc, out ? out : "");
    assert_non_null(strstr(out, "OK"));
    free(out);
    h_server_stop_ok(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clients_node_redis_and_ioredis_connect),
    };
    return cmocka_run_group_tests_name("clients", tests, NULL, NULL);
}
