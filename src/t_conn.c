/* t_conn: connection commands: PING ECHO QUIT SELECT SWAPDB HELLO AUTH RESET
 * and the CLIENT family. Error texts are Redis 7.0's.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "blocking.h"
#include "command.h"
#include "commands.h"
#include "config.h"
#include "db.h"
#include "mem.h"
#include "monitor.h"
#include "multi.h"
#include "pause.h"
#include "server.h"
#include "util.h"

void cmd_ping(client *c)
{
    if (c->argc > 2) {
        client_add_errorf(c, "ERR wrong number of arguments for '%s' command", c->cmd->name);
        return;
    }
    if (c->argc == 1)
        reply_simple(client_reply_buf(c), "PONG");
    else
        reply_bulk(client_reply_buf(c), c->argv[1], c->argvlen[1]);
}

void cmd_echo(client *c)
{
    reply_bulk(client_reply_buf(c), c->argv[1], c->argvlen[1]);
}

void cmd_quit(client *c)
{
    reply_ok(client_reply_buf(c));
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

/* Parses an int argument the way Redis's getIntFromObjectOrReply does:
 * with msg NULL, a non-integer gets ERR_NOT_INT and an integer outside the
 * range of int gets Redis's range error; with msg set, both get msg. */
static int int_arg_or_reply(client *c, int argi, int *out, const char *msg)
{
    long long v;
    if (!util_str2ll(c->argv[argi], c->argvlen[argi], &v)) {
        client_add_error(c, msg ? msg : ERR_NOT_INT);
        return -1;
    }
    if (v < INT_MIN || v > INT_MAX) {
        client_add_errorf(c, "%s", msg ? msg : "ERR value is out of range, value must between "
                                              "-2147483648 and 2147483647");
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int db_exists(int id)
{
    return id >= 0 && id < server.ndbs;
}

void cmd_select(client *c)
{
    int id;
    if (int_arg_or_reply(c, 1, &id, NULL) < 0)
        return;
    if (!db_exists(id)) {
        client_add_error(c, ERR_DB_RANGE);
        return;
    }
    c->db = &server.dbs[id];
    reply_ok(client_reply_buf(c));
}

void cmd_swapdb(client *c)
{
    /* Both indexes are parsed before either is checked, as in Redis. */
    int a, b;
    if (int_arg_or_reply(c, 1, &a, "ERR invalid first DB index") < 0 ||
        int_arg_or_reply(c, 2, &b, "ERR invalid second DB index") < 0)
        return;
    if (!db_exists(a) || !db_exists(b)) {
        client_add_error(c, ERR_DB_RANGE);
        return;
    }
    if (a != b) {
        multi_touch_dbs(a, b);
        /* Swap the contents, keep the ids: clients stay on their index. */
        db tmp = server.dbs[a];
        server.dbs[a] = server.dbs[b];
        server.dbs[b] = tmp;
        server.dbs[a].id = a;
        server.dbs[b].id = b;
        /* Clients blocked in either database may find their key now. */
        blocking_signal_db(a);
        blocking_signal_db(b);
        cmd_dirty(c, 1);
    }
    reply_ok(client_reply_buf(c));
}

/* Compares without an early exit, so the time taken does not tell how many
 * leading bytes of a guess were right. */
static int secret_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    unsigned char diff = (unsigned char)(alen != blen);
    size_t n = alen > blen ? alen : blen;
    for (size_t i = 0; i < n; i++) {
        unsigned char x = i < alen ? (unsigned char)a[i] : 0;
        unsigned char y = i < blen ? (unsigned char)b[i] : 0;
        diff |= (unsigned char)(x ^ y);
    }
    return diff == 0;
}

/* Checks user/password for the default user. Returns 1 when they match. */
static int check_credentials(const char *user, size_t ulen, const char *pass, size_t plen)
{
    if (!util_eq_nocase(user, ulen, "default") || ulen != 7 || memcmp(user, "default", 7) != 0)
        return 0;
    if (!cfg.requirepass || !cfg.requirepass[0])
        return 1; /* the default user has no password: any is accepted */
    return secret_equal(pass, plen, cfg.requirepass, strlen(cfg.requirepass));
}

#define ERR_WRONGPASS "WRONGPASS invalid username-password pair or user is disabled."

void cmd_auth(client *c)
{
    if (c->argc > 3) {
        client_add_error(c, ERR_SYNTAX);
        return;
    }
    /* MONITOR shows the credentials as "(redacted)", as Redis 7.0 does
     * from this point on, whatever the outcome. */
    for (int i = 1; i < c->argc; i++)
        monitor_redact(i);
    if (c->argc == 2 && (!cfg.requirepass || !cfg.requirepass[0])) {
        client_add_error(c, "ERR AUTH <password> called without any password configured for the "
                            "default user. Are you sure your configuration is correct?");
        return;
    }
    const char *user = c->argc == 3 ? c->argv[1] : "default";
    size_t ulen = c->argc == 3 ? c->argvlen[1] : 7;
    if (!check_credentials(user, ulen, c->argv[c->argc - 1], c->argvlen[c->argc - 1])) {
        client_add_error(c, ERR_WRONGPASS);
        return;
    }
    c->authenticated = 1;
    reply_ok(client_reply_buf(c));
}

/* Redis accepts names made of printable ASCII without spaces. */
static int valid_name(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '!' || s[i] > '~')
            return 0;
    return 1;
}

#define ERR_BAD_NAME                                                                               \
    "ERR Client names cannot contain spaces, newlines or special characters."

static int set_name_or_reply(client *c, const char *s, size_t n)
{
    if (!valid_name(s, n)) {
        client_add_error(c, ERR_BAD_NAME);
        return -1;
    }
    mem_free(c->name);
    c->name = n ? mem_strndup(s, n) : NULL;
    return 0;
}

void cmd_hello(client *c)
{
    long long ver = 0;
    int next = 1;
    if (c->argc >= 2) {
        if (!util_str2ll(c->argv[1], c->argvlen[1], &ver)) {
            client_add_error(c, "ERR Protocol version is not an integer or out of range");
            return;
        }
        next = 2;
        if (ver < 2 || ver > 3) {
            client_add_error(c, "NOPROTO unsupported protocol version");
            return;
        }
    }
    /* Redis 7.0 applies each option as it parses it: AUTH authenticates
     * and SETNAME renames at once, so an error later in the line leaves
     * what came before it in effect. */
    for (int j = next; j < c->argc; j++) {
        int more = c->argc - j - 1;
        if (cmd_arg_is(c, j, "auth") && more >= 2) {
            monitor_redact(j + 1);
            monitor_redact(j + 2);
            if (!check_credentials(c->argv[j + 1], c->argvlen[j + 1], c->argv[j + 2],
                                   c->argvlen[j + 2])) {
                client_add_error(c, ERR_WRONGPASS);
                return;
            }
            c->authenticated = 1;
            j += 2;
        } else if (cmd_arg_is(c, j, "setname") && more >= 1) {
            if (set_name_or_reply(c, c->argv[j + 1], c->argvlen[j + 1]) < 0)
                return;
            j += 1;
        } else {
            client_add_errorf(c, "ERR Syntax error in HELLO option '%.*s'", (int)c->argvlen[j],
                              c->argv[j]);
            return;
        }
    }
    if (!c->authenticated) {
        client_add_error(c, "NOAUTH HELLO must be called with the client already authenticated, "
                            "otherwise the HELLO AUTH <user> <pass> option can be used to "
                            "authenticate the client and select the RESP protocol version at the "
                            "same time");
        return;
    }
    if (ver)
        c->out.proto = (int)ver;
    reply_buf *rb = client_reply_buf(c);
    reply_map(rb, 7);
    reply_bulk_cstr(rb, "server");
    reply_bulk_cstr(rb, "redis");
    reply_bulk_cstr(rb, "version");
    reply_bulk_cstr(rb, RESPD_VERSION);
    reply_bulk_cstr(rb, "proto");
    reply_int(rb, c->out.proto);
    reply_bulk_cstr(rb, "id");
    reply_int(rb, (long long)c->id);
    reply_bulk_cstr(rb, "mode");
    reply_bulk_cstr(rb, "standalone");
    reply_bulk_cstr(rb, "role");
    reply_bulk_cstr(rb, "master");
    reply_bulk_cstr(rb, "modules");
    reply_array(rb, 0);
}

void cmd_reset(client *c)
{
    multi_reset(c);
    monitor_remove(c);
    c->db = &server.dbs[0];
    c->out.proto = 2;
    c->flags &= ~(CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP | CLIENT_REPLY_SKIP_NEXT);
    mem_free(c->name);
    c->name = NULL;
    c->authenticated = !cfg.requirepass || !cfg.requirepass[0];
    reply_simple(client_reply_buf(c), "RESET");
}

void cmd_client_id(client *c)
{
    reply_int(client_reply_buf(c), (long long)c->id);
}

void cmd_client_getname(client *c)
{
    if (c->name)
        reply_bulk_cstr(client_reply_buf(c), c->name);
    else
        reply_null(client_reply_buf(c));
}

void cmd_client_setname(client *c)
{
    if (set_name_or_reply(c, c->argv[2], c->argvlen[2]) == 0)
        reply_ok(client_reply_buf(c));
}

void cmd_client_setinfo(client *c)
{
    char **slot;
    const char *attr;
    if (cmd_arg_is(c, 2, "lib-name")) {
        slot = &c->lib_name;
        attr = "lib-name";
    } else if (cmd_arg_is(c, 2, "lib-ver")) {
        slot = &c->lib_ver;
        attr = "lib-ver";
    } else {
        client_add_errorf(c, "ERR Unrecognized option '%.*s'", (int)c->argvlen[2], c->argv[2]);
        return;
    }
    if (!valid_name(c->argv[3], c->argvlen[3])) {
        client_add_errorf(c, "ERR %s cannot contain spaces, newlines or special characters.",
                          attr);
        return;
    }
    mem_free(*slot);
    *slot = c->argvlen[3] ? mem_strndup(c->argv[3], c->argvlen[3]) : NULL;
    reply_ok(client_reply_buf(c));
}

/* Appends c's info line plus "\n" to a growing text. */
static void append_info(char **text, size_t *len, size_t *cap, client *c)
{
    char small[1024];
    char *line = small;
    size_t n = client_info_line(c, small, sizeof(small));
    if (n >= sizeof(small)) { /* a long name: format again with room for it */
        line = mem_alloc(n + 1);
        client_info_line(c, line, n + 1);
    }
    if (*len + n + 2 > *cap) {
        *cap = (*len + n + 2) * 2;
        *text = mem_realloc(*text, *cap);
    }
    memcpy(*text + *len, line, n);
    *len += n;
    (*text)[(*len)++] = '\n';
    if (line != small)
        mem_free(line);
}

/* Client types of CLIENT LIST/KILL TYPE. respd has no replicas, masters or
 * pub/sub clients: every client, monitors included (as in Redis), is
 * normal. */
enum { TYPE_NORMAL, TYPE_MASTER, TYPE_REPLICA, TYPE_PUBSUB, TYPE_UNKNOWN };

static int client_type_arg(client *c, int argi)
{
    if (cmd_arg_is(c, argi, "normal"))
        return TYPE_NORMAL;
    if (cmd_arg_is(c, argi, "master"))
        return TYPE_MASTER;
    if (cmd_arg_is(c, argi, "replica") || cmd_arg_is(c, argi, "slave"))
        return TYPE_REPLICA;
    if (cmd_arg_is(c, argi, "pubsub"))
        return TYPE_PUBSUB;
    return TYPE_UNKNOWN;
}

static void reply_unknown_type(client *c, int argi)
{
    client_add_errorf(c, "ERR Unknown client type '%.*s'", (int)c->argvlen[argi], c->argv[argi]);
}

void cmd_client_list(client *c)
{
    char *text = NULL;
    size_t len = 0, cap = 0;
    if (c->argc == 4 && cmd_arg_is(c, 2, "type")) {
        int type = client_type_arg(c, 3);
        if (type == TYPE_UNKNOWN) {
            reply_unknown_type(c, 3);
            return;
        }
        for (client *o = client_first(); o && type == TYPE_NORMAL; o = o->next)
            if (!(o->flags & CLIENT_FAKE))
                append_info(&text, &len, &cap, o);
    } else if (c->argc >= 4 && cmd_arg_is(c, 2, "id")) {
        /* Like Redis, only a non-integer is an error: an id that no client
         * can have (0, negative) simply matches nobody. All are checked
         * before anything is listed. */
        for (int i = 3; i < c->argc; i++) {
            long long id;
            if (!util_str2ll(c->argv[i], c->argvlen[i], &id)) {
                client_add_error(c, "ERR Invalid client ID");
                return;
            }
        }
        /* In the order asked for, a repeated id repeated, as Redis does. */
        for (int i = 3; i < c->argc; i++) {
            long long id;
            util_str2ll(c->argv[i], c->argvlen[i], &id);
            client *o = id > 0 ? client_by_id((uint64_t)id) : NULL;
            if (o && !(o->flags & CLIENT_FAKE))
                append_info(&text, &len, &cap, o);
        }
    } else if (c->argc == 2) {
        for (client *o = client_first(); o; o = o->next)
            if (!(o->flags & CLIENT_FAKE))
                append_info(&text, &len, &cap, o);
    } else {
        client_add_error(c, ERR_SYNTAX);
        return;
    }
    reply_verbatim(client_reply_buf(c), text ? text : "", len, "txt");
    mem_free(text);
}

void cmd_client_info(client *c)
{
    char *text = NULL;
    size_t len = 0, cap = 0;
    append_info(&text, &len, &cap, c);
    reply_verbatim(client_reply_buf(c), text, len, "txt");
    mem_free(text);
}

/* Closes o on behalf of c: at once for others, after the reply for itself. */
static void kill_client(client *c, client *o)
{
    if (o == c)
        c->flags |= CLIENT_CLOSE_AFTER_REPLY;
    else
        client_close_async(o);
}

/* The filters of CLIENT KILL; every one given must match (logical AND). */
typedef struct kill_filter {
    long long id;              /* 0 = any */
    int type;                  /* TYPE_UNKNOWN = any */
    const char *addr, *laddr;  /* NULL = any */
    size_t alen, llen;
    long long maxage;          /* 0 = any; else only clients at least this old */
    int skipme;
} kill_filter;

static int same_str(const char *s, const char *p, size_t n)
{
    return strlen(s) == n && memcmp(s, p, n) == 0;
}

static int kill_matches(client *c, client *o, const kill_filter *f)
{
    if (o->flags & CLIENT_FAKE)
        return 0;
    if (f->id && o->id != (uint64_t)f->id)
        return 0;
    if (f->type != TYPE_UNKNOWN && f->type != TYPE_NORMAL)
        return 0;
    if (f->addr && !same_str(o->addr, f->addr, f->alen))
        return 0;
    if (f->laddr && !same_str(o->laddr, f->laddr, f->llen))
        return 0;
    if (f->maxage && (server.now_ms - o->ctime_ms) / 1000 < f->maxage)
        return 0;
    if (f->skipme && o == c)
        return 0;
    return 1;
}

/* Parses the filter list of the new form; each option is checked as it
 * comes, as Redis does, so the first bad one decides the error. */
static int kill_filter_or_reply(client *c, kill_filter *f)
{
    memset(f, 0, sizeof(*f));
    f->type = TYPE_UNKNOWN;
    f->skipme = 1;
    for (int i = 2; i < c->argc; i += 2) {
        if (i + 1 >= c->argc) {
            client_add_error(c, ERR_SYNTAX);
            return -1;
        }
        const char *v = c->argv[i + 1];
        size_t vl = c->argvlen[i + 1];
        if (cmd_arg_is(c, i, "id")) {
            if (!util_str2ll(v, vl, &f->id) || f->id <= 0) {
                client_add_error(c, "ERR client-id should be greater than 0");
                return -1;
            }
        } else if (cmd_arg_is(c, i, "type")) {
            f->type = client_type_arg(c, i + 1);
            if (f->type == TYPE_UNKNOWN) {
                reply_unknown_type(c, i + 1);
                return -1;
            }
        } else if (cmd_arg_is(c, i, "addr")) {
            f->addr = v;
            f->alen = vl;
        } else if (cmd_arg_is(c, i, "laddr")) {
            f->laddr = v;
            f->llen = vl;
        } else if (cmd_arg_is(c, i, "user")) {
            /* User names are case-sensitive; "default" is the only user,
             * and every client is logged in as it. */
            if (!(vl == 7 && memcmp(v, "default", 7) == 0)) {
                client_add_errorf(c, "ERR No such user '%.*s'", (int)vl, v);
                return -1;
            }
        } else if (cmd_arg_is(c, i, "skipme")) {
            if (cmd_arg_is(c, i + 1, "yes")) {
                f->skipme = 1;
            } else if (cmd_arg_is(c, i + 1, "no")) {
                f->skipme = 0;
            } else {
                client_add_error(c, ERR_SYNTAX);
                return -1;
            }
        } else if (cmd_arg_is(c, i, "maxage")) {
            /* Redis 7.4's filter (see the README). */
            if (!util_str2ll(v, vl, &f->maxage)) {
                client_add_error(c, "ERR maxage is not an integer or out of range");
                return -1;
            }
        } else {
            client_add_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    return 0;
}

void cmd_client_kill(client *c)
{
    kill_filter f;
    if (c->argc == 3) {
        /* The old form, CLIENT KILL addr:port: may kill the caller too, and
         * answers OK or an error instead of a count. */
        memset(&f, 0, sizeof(f));
        f.type = TYPE_UNKNOWN;
        f.addr = c->argv[2];
        f.alen = c->argvlen[2];
    } else if (kill_filter_or_reply(c, &f) < 0) {
        return;
    }
    long long killed = 0;
    for (client *o = client_first(); o; o = o->next) {
        if (kill_matches(c, o, &f)) {
            kill_client(c, o);
            killed++;
        }
    }
    if (c->argc != 3)
        reply_int(client_reply_buf(c), killed);
    else if (killed)
        reply_ok(client_reply_buf(c));
    else
        client_add_error(c, "ERR No such client");
}

void cmd_client_pause(client *c)
{
    if (c->argc > 4) {
        cmd_reply_subcommand_syntax(c);
        return;
    }
    /* The mode is checked before the timeout, as in Redis. */
    int type = PAUSE_ALL;
    if (c->argc == 4) {
        if (cmd_arg_is(c, 3, "write")) {
            type = PAUSE_WRITE;
        } else if (!cmd_arg_is(c, 3, "all")) {
            client_add_error(c, "ERR CLIENT PAUSE mode must be WRITE or ALL");
            return;
        }
    }
    long long ms;
    if (!util_str2ll(c->argv[2], c->argvlen[2], &ms)) {
        client_add_error(c, "ERR timeout is not an integer or out of range");
        return;
    }
    if (ms < 0) {
        client_add_error(c, "ERR timeout is negative");
        return;
    }
    pause_start(type, ms);
    reply_ok(client_reply_buf(c));
}

void cmd_client_unblock(client *c)
{
    if (c->argc > 4) {
        cmd_reply_subcommand_syntax(c);
        return;
    }
    /* The reason is checked before the id, as in Redis. */
    int with_error = 0;
    if (c->argc == 4) {
        if (cmd_arg_is(c, 3, "error")) {
            with_error = 1;
        } else if (!cmd_arg_is(c, 3, "timeout")) {
            client_add_error(c, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    }
    long long id;
    if (cmd_get_ll_or_reply(c, 2, &id, NULL) < 0)
        return;
    client *target = id > 0 ? client_by_id((uint64_t)id) : NULL;
    reply_int(client_reply_buf(c), target && blocking_unblock(target, with_error));
}

void cmd_client_unpause(client *c)
{
    pause_stop();
    reply_ok(client_reply_buf(c));
}

void cmd_monitor(client *c)
{
    if (c->flags & CLIENT_IN_EXEC) {
        client_add_error(c, "ERR MONITOR isn't allowed for DENY BLOCKING client");
        return;
    }
    /* Redis ignores a second MONITOR: no reply at all. */
    if (monitor_add(c) == 0)
        reply_ok(client_reply_buf(c));
}

void cmd_client_reply(client *c)
{
    if (cmd_arg_is(c, 2, "on")) {
        c->flags &= ~(CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP_NEXT | CLIENT_REPLY_SKIP);
        reply_ok(client_reply_buf(c));
    } else if (cmd_arg_is(c, 2, "off")) {
        c->flags |= CLIENT_REPLY_OFF;
    } else if (cmd_arg_is(c, 2, "skip")) {
        if (!(c->flags & CLIENT_REPLY_OFF))
            c->flags |= CLIENT_REPLY_SKIP_NEXT;
    } else {
        client_add_error(c, ERR_SYNTAX);
    }
}

void cmd_client_help(client *c)
{
    static const char *const lines[] = {
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "    * ID <client-id>",
        "      Kill connections by client id.",
        "    * MAXAGE <maxage>",
        "      Kill connections older than the specified age.",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "SETINFO <option> <value>",
        "    Set client meta attr. Options are:",
        "    * LIB-NAME: the client lib name.",
        "    * LIB-VER: the client lib version.",
        NULL,
    };
    cmd_reply_help(c, lines);
}
