/* notify: see notify.h. */
#include "notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

static int enabled;
static struct sockaddr_un addr;
static socklen_t addrlen;

int notify_init(void)
{
    const char *path = getenv("NOTIFY_SOCKET");
    enabled = 0;
    if (cfg.supervised == SUPERVISED_NO)
        return 0;
    if (!path || !*path) {
        if (cfg.supervised == SUPERVISED_SYSTEMD)
            log_warning("systemd supervision requested or auto-detected, but NOTIFY_SOCKET "
                        "not found!");
        return 0;
    }
    size_t len = strlen(path);
    if (len >= sizeof(addr.sun_path) || (path[0] != '/' && path[0] != '@')) {
        log_warning("NOTIFY_SOCKET '%s' is not a usable unix socket address", path);
        return 0;
    }
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path, len);
    if (path[0] == '@')
        addr.sun_path[0] = '\0'; /* abstract namespace: no trailing NUL counted */
    addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
                          (path[0] == '@' ? 0 : 1));
    enabled = 1;
    log_notice("Supervised by systemd. Please make sure you set appropriate values for "
               "TimeoutStartSec and TimeoutStopSec in your service unit.");
    return 1;
}

int notify_send(const char *msg)
{
    if (!enabled)
        return 0;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    ssize_t n;
    do {
        n = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&addr, addrlen);
    } while (n < 0 && errno == EINTR);
    int saved = errno;
    close(fd);
    if (n < 0) {
        log_verbose("Sending to NOTIFY_SOCKET: %s", strerror(saved));
        return -1;
    }
    return 0;
}

long long notify_watchdog_ms(void)
{
    if (!enabled)
        return 0;
    const char *usec = getenv("WATCHDOG_USEC");
    const char *pid = getenv("WATCHDOG_PID");
    if (!usec)
        return 0;
    if (pid && atoll(pid) != (long long)getpid())
        return 0; /* the watchdog is someone else's */
    long long us = atoll(usec);
    return us > 0 ? us / 2000 : 0;
}

/* A decimal number that fills the whole string, or -1. */
static long long parse_count(const char *s)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    return (*end || errno || v < 0) ? -1 : v;
}

int notify_listen_fds(char *err, size_t errlen)
{
    long long pid = parse_count(getenv("LISTEN_PID"));
    const char *fds_text = getenv("LISTEN_FDS");
    long long fds = parse_count(fds_text);
    int rc = 0;
    if (pid == (long long)getpid()) {
        /* Meant for us: a value we cannot use is an error, not a reason to
         * bind sockets of our own behind systemd's back. */
        if (fds < 0 || fds > 1024) {
            snprintf(err, errlen, "Invalid LISTEN_FDS='%s' from systemd", fds_text ? fds_text : "");
            rc = -1;
        } else {
            rc = (int)fds;
        }
    }
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    return rc;
}
