/* monitor: MONITOR clients and the lines fed to them. See monitor.h.
 *
 * The monitors are kept in a small array (there are rarely more than a
 * few); each executed command is formatted once into a scratch buffer and
 * copied into every monitor's output buffer.
 */
#include "monitor.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "ev.h"
#include "mem.h"
#include "util.h"

static client **monitors;
static size_t nmonitors, capmonitors;

/* Arguments of the current command to hide (monitor_redact). */
static int *redacted;
static size_t nredacted, capredacted;

int monitor_add(client *c)
{
    if (c->flags & CLIENT_MONITOR)
        return -1;
    if (nmonitors == capmonitors) {
        capmonitors = capmonitors ? capmonitors * 2 : 4;
        monitors = mem_realloc(monitors, capmonitors * sizeof(*monitors));
    }
    monitors[nmonitors++] = c;
    c->flags |= CLIENT_MONITOR;
    return 0;
}

void monitor_remove(client *c)
{
    if (!(c->flags & CLIENT_MONITOR))
        return;
    c->flags &= ~CLIENT_MONITOR;
    for (size_t i = 0; i < nmonitors; i++) {
        if (monitors[i] == c) {
            /* Keep the order: monitors are fed in the order they came. */
            memmove(monitors + i, monitors + i + 1, (nmonitors - i - 1) * sizeof(*monitors));
            nmonitors--;
            break;
        }
    }
    if (nmonitors == 0) {
        mem_free(monitors);
        monitors = NULL;
        capmonitors = 0;
    }
}

void monitor_redact(int argi)
{
    if (nredacted == capredacted) {
        capredacted = capredacted ? capredacted * 2 : 4;
        redacted = mem_realloc(redacted, capredacted * sizeof(*redacted));
    }
    redacted[nredacted++] = argi;
}

void monitor_forget_redactions(void)
{
    nredacted = 0;
}

int monitor_is_redacted(int argi)
{
    for (size_t i = 0; i < nredacted; i++)
        if (redacted[i] == argi)
            return 1;
    return 0;
}

/* Formats the monitor line for c's command into a new buffer; *len is set
 * to its length (CRLF included). The caller frees it. */
static char *format_line(client *c, int argc, char **argv, const size_t *argvlen, size_t *len)
{
    static const char hidden[] = "(redacted)";
    char head[600];
    long long us = ev_wall_us();
    int dbid = c->db ? c->db->id : 0;
    int hn;
    if (c->flags & CLIENT_UNIX)
        hn = snprintf(head, sizeof(head), "+%lld.%06lld [%d unix:%s] ", us / 1000000,
                      us % 1000000, dbid, cfg.unixsocket ? cfg.unixsocket : "");
    else
        hn = snprintf(head, sizeof(head), "+%lld.%06lld [%d %s] ", us / 1000000, us % 1000000,
                      dbid, c->addr);
    if (hn < 0)
        hn = 0;
    if ((size_t)hn >= sizeof(head))
        hn = (int)sizeof(head) - 1;
    /* Worst case: every byte becomes \xHH, plus quotes and a space each. */
    size_t cap = (size_t)hn + 2;
    for (int i = 0; i < argc; i++)
        cap += (monitor_is_redacted(i) ? sizeof(hidden) : argvlen[i] * 4) + 3;
    char *line = mem_alloc(cap);
    memcpy(line, head, (size_t)hn);
    size_t n = (size_t)hn;
    for (int i = 0; i < argc; i++) {
        if (monitor_is_redacted(i))
            n += util_repr(line + n, hidden, sizeof(hidden) - 1);
        else
            n += util_repr(line + n, argv[i], argvlen[i]);
        if (i != argc - 1)
            line[n++] = ' ';
    }
    line[n++] = '\r';
    line[n++] = '\n';
    *len = n;
    return line;
}

void monitor_feed(client *c, int argc, char **argv, const size_t *argvlen)
{
    if (nmonitors == 0 || argc <= 0) {
        nredacted = 0;
        return;
    }
    size_t len;
    char *line = format_line(c, argc, argv, argvlen, &len);
    nredacted = 0;
    /* Index loop: a monitor closed for its output limit stays in the array
     * until it is freed, so the array does not change under us. */
    for (size_t i = 0; i < nmonitors; i++) {
        client *m = monitors[i];
        if (m->flags & (CLIENT_CLOSE_ASAP | CLIENT_REPLY_OFF))
            continue;
        reply_raw(client_reply_buf(m), line, len);
        client_check_output_limit(m);
    }
    mem_free(line);
}
