/* command: the command table (name, handler, arity, flags, key positions),
 * lookup, the checks made before a handler runs, per-command statistics and
 * the COMMAND command itself.
 *
 * cmd_execute() is the single entry from a parsed request to a handler:
 *   1. look the name up (case-insensitive); unknown → Redis's error text
 *   2. check arity (and the subcommand's, for container commands)
 *   3. check authentication
 *   4. run the handler with the time frozen for the whole command
 *   5. count calls, time and errors for INFO commandstats/errorstats
 */
#ifndef RESPD_COMMAND_H
#define RESPD_COMMAND_H

#include <stddef.h>

#include "client.h"

typedef void (*cmd_fn)(client *c);
/* For commands whose key positions depend on the arguments (numkeys):
 * fills pos with the argv indexes of the keys (at most max) and returns the
 * count, or -1 when the arguments are invalid. */
typedef int (*cmd_getkeys_fn)(char **argv, size_t *argvlen, int argc, int *pos, int max);

enum {
    CMD_WRITE = 1 << 0,
    CMD_READONLY = 1 << 1,
    CMD_DENYOOM = 1 << 2,
    CMD_ADMIN = 1 << 3,
    CMD_PUBSUB = 1 << 4,
    CMD_NOSCRIPT = 1 << 5,
    CMD_BLOCKING = 1 << 6,
    CMD_LOADING = 1 << 7,
    CMD_STALE = 1 << 8,
    CMD_SKIP_MONITOR = 1 << 9,
    CMD_FAST = 1 << 10,
    CMD_NO_AUTH = 1 << 11,
    CMD_MAY_REPLICATE = 1 << 12,
    CMD_SENTINEL = 1 << 13,
    CMD_ALLOW_BUSY = 1 << 14,
    CMD_NO_MULTI = 1 << 15,
    CMD_MOVABLE_KEYS = 1 << 16,
    CMD_NO_MANDATORY_KEYS = 1 << 17,
    CMD_SKIP_SLOWLOG = 1 << 18,
    /* For WATCH (t_multi.c), not shown by COMMAND: the command writes only
     * its first key (the *STORE family reads the others), or its handler
     * touches the keys it writes itself (COPY, SORT STORE: the destination
     * may be elsewhere; the pops that name several keys take from one). */
    CMD_WRITES_FIRST_KEY = 1 << 19,
    CMD_TOUCHES_OWN_KEYS = 1 << 20,
};

typedef struct cmd_def {
    const char *name;      /* lower case; "config|get" style for subcommands */
    cmd_fn proc;
    int arity;             /* > 0 exact argc, < 0 at least -arity */
    int flags;
    int first_key, last_key, key_step;
    const char *acl;       /* ACL categories, space separated, without '@' */
    /* Documentation, as Redis's command docs give it. respd does not serve
     * COMMAND DOCS (it has no argument trees; without the subcommand,
     * redis-cli falls back to its built-in hints), but keeps these for
     * COMMAND LIST filters and future use. */
    const char *group;     /* documentation group: string, generic ... */
    const char *since;
    const char *summary;
    const char *complexity;
    struct cmd_def *subcmds; /* NULL-name terminated, or NULL */
    cmd_getkeys_fn getkeys;  /* movable keys (CMD_MOVABLE_KEYS), or NULL */
    /* Statistics (INFO commandstats). */
    long long calls, usec, rejected_calls, failed_calls;
} cmd_def;

/* The argv indexes of d's keys in a request (its key positions, or its
 * getkeys function): fills pos (at most max), returns the count, 0 when the
 * arguments are invalid or name no key. */
int cmd_key_positions(const cmd_def *d, char **argv, size_t *argvlen, int argc, int *pos,
                      int max);

/* Adds a NULL-name terminated table of commands (a type module's, from a
 * constructor that runs before main). Must happen before cmd_init. */
void cmd_register_table(cmd_def *table);
/* Builds the lookup index. Call once at start; cmd_fini releases it. */
void cmd_init(void);
void cmd_fini(void);
/* Finds a command (and subcommand when argc > 1 and it has some) by the
 * name clients call it, after the config file's rename-command lines. */
const cmd_def *cmd_lookup(char **argv, size_t *argvlen, int argc);
/* The same by the command's own name, whatever the renames: the names the
 * AOF is written and replayed with. */
const cmd_def *cmd_lookup_original(char **argv, size_t *argvlen, int argc);
/* rename-command (a config_rename_fn): from now on clients call `from` by
 * the name `to`, or cannot call it when `to` is empty. Only before
 * cmd_init. Returns 0, or -1 with Redis's message in err ("No such command
 * in rename-command", "Target command name already exists"). */
int cmd_rename_command(const char *from, const char *to, char *err, size_t errlen);
/* Looks up and runs the client's current request (c->argc, c->argv). */
void cmd_execute(client *c);
/* Runs a request kept past its read (held by CLIENT PAUSE, blocked, queued
 * in MULTI) as c's current one; c's own arguments are restored after. */
void cmd_execute_args(client *c, const client_args *a);
/* Marks the start of a batch of requests (a read's worth) for the per-
 * command timing of INFO commandstats. */
void cmd_begin_batch(void);
/* Appends a command to the AOF in place of the one being executed (for
 * commands whose effect depends on time or randomness, e.g. EXPIRE becomes
 * PEXPIREAT). May be called several times; the original is then not fed. */
void cmd_propagate(client *c, int argc, char **argv, const size_t *argvlen);
/* Resets all call counters (CONFIG RESETSTAT). */
void cmd_reset_stats(void);
/* Counts an error reply by its prefix for errorstats. */
void cmd_count_error(const char *msg, size_t len);

/* Iterates over top-level commands in table order; returns NULL at the end. */
const cmd_def *cmd_at(size_t i);
size_t cmd_count(void);

/* Appends INFO commandstats / errorstats lines (CRLF terminated) to buf via fn. */
typedef void (*cmd_line_fn)(const char *line, void *ctx);
void cmd_info_commandstats(cmd_line_fn fn, void *ctx);
void cmd_info_errorstats(cmd_line_fn fn, void *ctx);

/* The COMMAND command. */
void cmd_command(client *c);

/* A blocked command's timeout counts as its call in INFO commandstats (the
 * call that blocked was not counted), as in Redis. */
void cmd_count_timeout(client *c);

#endif
