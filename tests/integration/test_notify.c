/* test_notify: the systemd notify protocol against a unix datagram socket
 * made by the test: STATUS and READY=1 (only after a large AOF has loaded),
 * WATCHDOG=1 pings, STOPPING=1 on SIGTERM, for a path and an abstract
 * socket. */
#include "harness.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char dir[128];

static int setup(void **state)
{
    (void)state;
    return h_mktempdir(dir, sizeof(dir));
}

static int teardown(void **state)
{
    (void)state;
    char cmd[192];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    return system(cmd) == 0 ? 0 : -1;
}

/* A datagram socket at path (or abstract when path starts with '@'). */
static int listen_dgram(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len = strlen(path);
    memcpy(sa.sun_path, path, len);
    socklen_t sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
    if (path[0] == '@') {
        sa.sun_path[0] = '\0';
        sl--;
    }
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sl), 0);
    return fd;
}

/* Receives datagrams until one contains want (or timeout); returns a malloc'd
 * copy of everything received so far. */
static char *recv_until(int fd, const char *want, int timeout_ms)
{
    size_t cap = 4096, len = 0;
    char *all = calloc(1, cap);
    long long deadline = h_now_ms() + timeout_ms;
    while (!strstr(all, want) && h_now_ms() < deadline) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        char buf[512];
        ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
        if (n <= 0)
            continue;
        if (len + (size_t)n + 2 > cap) {
            cap = (len + (size_t)n + 2) * 2;
            all = realloc(all, cap);
        }
        memcpy(all + len, buf, (size_t)n);
        len += (size_t)n;
        all[len++] = '|';
        all[len] = '\0';
    }
    return all;
}

static void write_big_aof(int n)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/appendonly.aof", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < n; i++) {
        char key[32];
        int kl = snprintf(key, sizeof(key), "key:%d", i);
        fprintf(f, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$5\r\nvalue\r\n", kl, key);
    }
    fclose(f);
}

static void run_ready_and_stopping(const char *sockpath)
{
    int fd = listen_dgram(sockpath);
    setenv("NOTIFY_SOCKET", sockpath, 1);
    write_big_aof(300000);
    h_server s;
    const char *args[] = {"--supervised", "systemd", "--appendonly", "yes", "--dir", dir, NULL};
    assert_int_equal(h_respd_start(&s, NULL, args), 0);
    char *got = recv_until(fd, "READY=1", 10000);
    assert_non_null(strstr(got, "STATUS=Loading"));
    char *ready = strstr(got, "READY=1");
    assert_non_null(ready);
    assert_true(strstr(got, "STATUS=Loading") < ready);
    free(got);
    /* When READY came, everything was loaded already. */
    h_conn *c = h_connect(s.port, 2000);
    char *r = h_call(c, "DBSIZE");
    assert_string_equal(r, ":300000\r\n");
    free(r);
    h_close(c);
    kill(s.pid, SIGTERM);
    got = recv_until(fd, "STOPPING=1", 5000);
    assert_non_null(strstr(got, "STOPPING=1"));
    free(got);
    assert_int_equal(h_server_wait(&s, 5000), 0);
    h_server_cleanup(&s);
    close(fd);
    if (sockpath[0] == '/')
        unlink(sockpath);
}

static void test_notify_ready_after_aof_load_and_stopping_on_sigterm(void **state)
{
    (void)state;
    char path[192];
    snprintf(path, sizeof(path), "%s/notify.sock", dir);
    run_ready_and_stopping(path);
}

static void test_notify_abstract_socket(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof(path), "@respd-notify-test-%d", (int)getpid());
    run_ready_and_stopping(path);
}

static void test_notify_watchdog_pings(void **state)
{
    (void)state;
    char path[192];
    snprintf(path, sizeof(path), "%s/notify.sock", dir);
    int fd = listen_dgram(path);
    setenv("NOTIFY_SOCKET", path, 1);
    setenv("WATCHDOG_USEC", "200000", 1); /* pings expected every 100 ms */
    h_server s;
    const char *args[] = {"--supervised", "systemd", NULL};
    assert_int_equal(h_respd_start(&s, NULL, args), 0);
    char *got = recv_until(fd, "READY=1", 5000);
    free(got);
    long long t0 = h_now_ms();
    int pings = 0;
    while (h_now_ms() - t0 < 1000) {
        got = recv_until(fd, "WATCHDOG=1", 300);
        if (strstr(got, "WATCHDOG=1"))
            pings++;
        free(got);
    }
    assert_true(pings >= 5);
    h_server_stop_ok(&s);
    close(fd);
    unlink(path);
}

static void test_notify_not_supervised_sends_nothing(void **state)
{
    (void)state;
    char path[192];
    snprintf(path, sizeof(path), "%s/notify.sock", dir);
    int fd = listen_dgram(path);
    setenv("NOTIFY_SOCKET", path, 1);
    h_server s;
    assert_int_equal(h_respd_start(&s, NULL, NULL), 0); /* supervised no */
    char *got = recv_until(fd, "READY=1", 500);
    assert_string_equal(got, "");
    free(got);
    h_server_stop_ok(&s);
    close(fd);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_notify_ready_after_aof_load_and_stopping_on_sigterm,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_notify_abstract_socket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notify_watchdog_pings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notify_not_supervised_sends_nothing, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("notify", tests, NULL, NULL);
}
