/* t_conn: connection commands: PING ECHO QUIT SELECT SWAPDB HELLO AUTH RESET
 * and the CLIENT family. Error texts are Redis 7.0's.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "command.h"
#include "commands.h"
#include "config.h"
#include "db.h"
#include "mem.h"
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
        /* Swap the contents, keep the ids: clients stay on their index. */
        db tmp = server.dbs[a];
        server.dbs[a] = server.dbs[b];
        server.dbs[b] = tmp;
        server.dbs[a].id = a;
        server.dbs[b].id = b;
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
                            "otherwise the HELLO <proto> AUTH <user> <pass> option can be used to "
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
    char line[1024];
    size_t n = client_info_line(c, line, sizeof(line));
    if (*len + n + 2 > *cap) {
        *cap = (*len + n + 2) * 2;
        *text = mem_realloc(*text, *cap);
    }
    memcpy(*text + *len, line, n);
    *len += n;
    (*text)[(*len)++] = '\n';
}

static int type_is_known(client *c, int argi, int *normal)
{
    *normal = cmd_arg_is(c, argi, "normal");
    return *normal || cmd_arg_is(c, argi, "master") || cmd_arg_is(c, argi, "replica") ||
           cmd_arg_is(c, argi, "slave") || cmd_arg_is(c, argi, "pubsub");
}

void cmd_client_list(client *c)
{
    int want_normal = 1;
    unsigned long long *ids = NULL;
    int nids = 0;
    if (c->argc > 2) {
        if (c->argc == 4 && cmd_arg_is(c, 2, "type")) {
            if (!type_is_known(c, 3, &want_normal)) {
                client_add_errorf(c, "ERR Unknown client type '%.*s'", (int)c->argvlen[3],
                                  c->argv[3]);
                return;
            }
        } else if (c->argc >= 4 && cmd_arg_is(c, 2, "id")) {
            ids = mem_alloc(sizeof(*ids) * (size_t)(c->argc - 3));
            for (int i = 3; i < c->argc; i++) {
                long long id;
                /* Like Redis, only a non-integer is an error: an id that no
                 * client can have (0, negative) simply matches nobody. */
                if (!util_str2ll(c->argv[i], c->argvlen[i], &id)) {
                    mem_free(ids);
                    client_add_error(c, "ERR Invalid client ID");
                    return;
                }
                ids[nids++] = (unsigned long long)id;
            }
        } else {
            client_add_error(c, ERR_SYNTAX);
            return;
        }
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (client *o = client_first(); o; o = o->next) {
        if (o->flags & CLIENT_FAKE)
            continue;
        if (!want_normal)
            continue;
        if (ids) {
            int hit = 0;
            for (int i = 0; i < nids; i++)
                hit |= ids[i] == o->id;
            if (!hit)
                continue;
        }
        append_info(&text, &len, &cap, o);
    }
    reply_verbatim(client_reply_buf(c), text ? text : "", len, "txt");
    mem_free(text);
    mem_free(ids);
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

void cmd_client_kill(client *c)
{
    if (c->argc == 3) {
        /* Old form: CLIENT KILL addr:port */
        for (client *o = client_first(); o; o = o->next) {
            if (!(o->flags & CLIENT_FAKE) && strlen(o->addr) == c->argvlen[2] &&
                memcmp(o->addr, c->argv[2], c->argvlen[2]) == 0) {
                kill_client(c, o);
                reply_ok(client_reply_buf(c));
                return;
            }
        }
        client_add_error(c, "ERR No such client");
        return;
    }
    if ((c->argc - 2) % 2 != 0) {
        client_add_error(c, ERR_SYNTAX);
        return;
    }
    long long id = 0;
    const char *addr = NULL, *laddr = NULL;
    size_t alen = 0, llen = 0;
    int skipme = 1, normal = 1, have_type = 0;
    for (int i = 2; i < c->argc; i += 2) {
        if (cmd_arg_is(c, i, "id")) {
            if (!util_str2ll(c->argv[i + 1], c->argvlen[i + 1], &id) || id <= 0) {
                client_add_error(c, "ERR client-id should be greater than 0");
                return;
            }
        } else if (cmd_arg_is(c, i, "type")) {
            if (!type_is_known(c, i + 1, &normal)) {
                client_add_errorf(c, "ERR Unknown client type '%.*s'", (int)c->argvlen[i + 1],
                                  c->argv[i + 1]);
                return;
            }
            have_type = 1;
        } else if (cmd_arg_is(c, i, "addr")) {
            addr = c->argv[i + 1];
            alen = c->argvlen[i + 1];
        } else if (cmd_arg_is(c, i, "laddr")) {
            laddr = c->argv[i + 1];
            llen = c->argvlen[i + 1];
        } else if (cmd_arg_is(c, i, "user")) {
            /* User names are case-sensitive; "default" is the only user. */
            if (c->argvlen[i + 1] != 7 || memcmp(c->argv[i + 1], "default", 7) != 0) {
                client_add_errorf(c, "ERR No such user '%.*s'", (int)c->argvlen[i + 1],
                                  c->argv[i + 1]);
                return;
            }
        } else if (cmd_arg_is(c, i, "skipme")) {
            if (cmd_arg_is(c, i + 1, "yes"))
                skipme = 1;
            else if (cmd_arg_is(c, i + 1, "no"))
                skipme = 0;
            else {
                client_add_error(c, ERR_SYNTAX);
                return;
            }
        } else {
            client_add_error(c, ERR_SYNTAX);
            return;
        }
    }
    long long killed = 0;
    for (client *o = client_first(); o; o = o->next) {
        if (o->flags & CLIENT_FAKE)
            continue;
        if (id && o->id != (uint64_t)id)
            continue;
        if (have_type && !normal)
            continue;
        if (addr && (strlen(o->addr) != alen || memcmp(o->addr, addr, alen) != 0))
            continue;
        if (laddr && (strlen(o->laddr) != llen || memcmp(o->laddr, laddr, llen) != 0))
            continue;
        if (skipme && o == c)
            continue;
        kill_client(c, o);
        killed++;
    }
    reply_int(client_reply_buf(c), killed);
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
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "SETINFO <option> <value>",
        "    Set client meta attr. Options are:",
        "    * LIB-NAME: the client lib name.",
        "    * LIB-VER: the client lib version.",
        NULL,
    };
    cmd_reply_help(c, lines);
}
