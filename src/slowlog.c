/* slowlog: the slow log and the SLOWLOG command. See slowlog.h.
 *
 * The log is a doubly linked list, newest at the head. Each entry is one
 * allocation holding its fixed fields, the argument table and every string,
 * so logging costs one allocation and trimming one free. Nothing here runs
 * unless a command was slow enough (one comparison per command otherwise).
 */
#include "slowlog.h"

#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "ev.h"
#include "mem.h"
#include "monitor.h"
#include "reply.h"
#include "util.h"

#include "cmdtable.h"

#define MAX_ARGC 32       /* arguments kept per entry, as Redis */
#define MAX_STRING 128    /* bytes kept per argument, as Redis */

typedef struct entry {
    struct entry *newer, *older;
    long long id;
    long long time;       /* unix seconds */
    long long usec;
    int argc;
    char **argv;
    size_t *argvlen;
    char *peer;
    char *name;
} entry;

static entry *newest, *oldest;
static size_t nentries;
static long long next_id;

static const char redacted[] = "(redacted)";

size_t slowlog_len(void)
{
    return nentries;
}

long long slowlog_logged(void)
{
    return next_id;
}

static void drop_oldest(void)
{
    entry *e = oldest;
    oldest = e->newer;
    if (oldest)
        oldest->older = NULL;
    else
        newest = NULL;
    nentries--;
    mem_free(e);
}

void slowlog_reset(void)
{
    while (oldest)
        drop_oldest();
}

void slowlog_push(client *c, long long usec)
{
    int argc = c->argc < MAX_ARGC ? c->argc : MAX_ARGC;
    /* The texts first, to size the one allocation. */
    char more[MAX_ARGC][48];
    size_t len[MAX_ARGC], total = 0;
    for (int i = 0; i < argc; i++) {
        more[i][0] = '\0';
        if (argc != c->argc && i == argc - 1) {
            snprintf(more[i], sizeof(more[i]), "... (%d more arguments)", c->argc - argc + 1);
            len[i] = strlen(more[i]);
        } else if (monitor_is_redacted(i)) {
            len[i] = sizeof(redacted) - 1;
        } else if (c->argvlen[i] > MAX_STRING) {
            snprintf(more[i], sizeof(more[i]), "... (%zu more bytes)",
                     c->argvlen[i] - MAX_STRING);
            len[i] = MAX_STRING + strlen(more[i]);
        } else {
            len[i] = c->argvlen[i];
        }
        total += len[i] + 1;
    }
    const char *name = c->name ? c->name : "";
    size_t peer_len = strlen(c->addr), name_len = strlen(name);
    size_t head = sizeof(entry) + (size_t)argc * (sizeof(char *) + sizeof(size_t));
    entry *e = mem_alloc(head + total + peer_len + 1 + name_len + 1);
    e->argv = (char **)(e + 1);
    e->argvlen = (size_t *)(e->argv + argc);
    char *p = (char *)e + head;
    for (int i = 0; i < argc; i++) {
        e->argv[i] = p;
        e->argvlen[i] = len[i];
        if (monitor_is_redacted(i) && !more[i][0]) {
            memcpy(p, redacted, len[i]);
        } else if (argc != c->argc && i == argc - 1) {
            memcpy(p, more[i], len[i]);
        } else if (more[i][0]) {
            memcpy(p, c->argv[i], MAX_STRING);
            memcpy(p + MAX_STRING, more[i], len[i] - MAX_STRING);
        } else {
            memcpy(p, c->argv[i], len[i]);
        }
        p[len[i]] = '\0';
        p += len[i] + 1;
    }
    e->peer = p;
    memcpy(p, c->addr, peer_len + 1);
    p += peer_len + 1;
    e->name = p;
    memcpy(p, name, name_len + 1);
    e->argc = argc;
    e->id = next_id++;
    e->time = ev_wall_ms() / 1000;
    e->usec = usec;
    e->older = newest;
    e->newer = NULL;
    if (newest)
        newest->newer = e;
    else
        oldest = e;
    newest = e;
    nentries++;
    while (nentries > 0 && (long long)nentries > cfg.slowlog_max_len)
        drop_oldest();
}

/* ---- SLOWLOG -------------------------------------------------------------- */

static void cmd_slowlog_get(client *c)
{
    if (c->argc > 3) {
        cmd_reply_subcommand_syntax(c);
        return;
    }
    long long count = 10;
    if (c->argc == 3 && (!util_str2ll(c->argv[2], c->argvlen[2], &count) || count < -1)) {
        client_add_error(c, "ERR count should be greater than or equal to -1");
        return;
    }
    if (count == -1 || (unsigned long long)count > nentries)
        count = (long long)nentries;
    reply_buf *rb = client_reply_buf(c);
    reply_array(rb, count);
    entry *e = newest;
    for (long long n = 0; n < count; n++, e = e->older) {
        reply_array(rb, 6);
        reply_int(rb, e->id);
        reply_int(rb, e->time);
        reply_int(rb, e->usec);
        reply_array(rb, e->argc);
        for (int i = 0; i < e->argc; i++)
            reply_bulk(rb, e->argv[i], e->argvlen[i]);
        reply_bulk_cstr(rb, e->peer);
        reply_bulk_cstr(rb, e->name);
    }
}

static void cmd_slowlog_len(client *c)
{
    reply_int(client_reply_buf(c), (long long)nentries);
}

static void cmd_slowlog_reset(client *c)
{
    slowlog_reset();
    reply_ok(client_reply_buf(c));
}

static void cmd_slowlog_help(client *c)
{
    static const char *const lines[] = {
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        NULL,
    };
    cmd_reply_help(c, lines);
}

static cmd_def slowlog_subs[] = {
    C("slowlog|get", cmd_slowlog_get, -2, A | LD | ST, 0, 0, 0, "admin slow dangerous", "server", "2.2.12", "Returns the slow log's entries.", "O(N) where N is the number of entries returned"),
    C("slowlog|len", cmd_slowlog_len, 2, A | LD | ST, 0, 0, 0, "admin slow dangerous", "server", "2.2.12", "Returns the number of entries in the slow log.", "O(1)"),
    C("slowlog|reset", cmd_slowlog_reset, 2, A | LD | ST, 0, 0, 0, "admin slow dangerous", "server", "2.2.12", "Clears all entries from the slow log.", "O(N) where N is the number of entries in the slowlog"),
    C("slowlog|help", cmd_slowlog_help, 2, LD | ST, 0, 0, 0, "slow", "server", "6.2.0", "Show helpful text about the different subcommands", "O(1)"),
    END,
};

static cmd_def slowlog_commands[] = {
    P("slowlog", -2, 0, "slow", "server", "2.2.12", "A container for slow log commands.", slowlog_subs),
    END,
};

__attribute__((constructor)) static void register_slowlog(void)
{
    cmd_register_table(slowlog_commands);
}
