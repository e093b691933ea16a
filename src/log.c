/* log: see log.h. Writes whole lines with one write(2) so that lines from the
 * server and from a forked child never interleave mid-line. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"

static int level = LOG_NOTICE;
static int log_fd = STDERR_FILENO;
static char *log_path;

static const char *names[] = {"debug", "verbose", "notice", "warning", "nothing"};

void log_set_level(int l)
{
    level = l;
}

int log_get_level(void)
{
    return level;
}

int log_level_from_name(const char *name)
{
    for (int i = 0; i <= LOG_NOTHING; i++)
        if (strcasecmp(name, names[i]) == 0)
            return i;
    return -1;
}

const char *log_level_name(int l)
{
    return (l >= 0 && l <= LOG_NOTHING) ? names[l] : "notice";
}

static int open_log(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

int log_set_file(const char *path)
{
    if (!path || !*path) {
        if (log_fd != STDERR_FILENO)
            close(log_fd);
        log_fd = STDERR_FILENO;
        mem_free(log_path);
        log_path = NULL;
        return 0;
    }
    int fd = open_log(path);
    if (fd < 0)
        return -1;
    if (log_fd != STDERR_FILENO)
        close(log_fd);
    log_fd = fd;
    char *copy = mem_strdup(path);
    mem_free(log_path);
    log_path = copy;
    return 0;
}

int log_reopen(void)
{
    if (!log_path)
        return 0;
    int fd = open_log(log_path);
    if (fd < 0)
        return -1;
    close(log_fd);
    log_fd = fd;
    return 0;
}

void log_msg(int l, const char *fmt, ...)
{
    if (l < level || l >= LOG_NOTHING)
        return;
    static const char marks[] = ".-*#";
    char buf[1024];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    int n = snprintf(buf, sizeof(buf), "%d:M ", (int)getpid());
    n += (int)strftime(buf + n, sizeof(buf) - (size_t)n, "%d %b %Y %H:%M:%S.", &tm);
    n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%03d %c ", (int)(tv.tv_usec / 1000), marks[l]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    n += m;
    if (n > (int)sizeof(buf) - 2)
        n = (int)sizeof(buf) - 2;
    buf[n++] = '\n';
    int saved = errno;
    ssize_t w = write(log_fd, buf, (size_t)n);
    (void)w;
    errno = saved;
}
