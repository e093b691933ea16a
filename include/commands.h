/* commands: the handlers of every command family and the helpers they share.
 *
 * Handlers live in t_conn.c (connection), t_string.c, t_keys.c, t_server.c
 * and t_script.c; the table that maps names to them is in command.c.
 * Helpers ending in _or_reply have already replied with the error when they
 * fail (return -1); the handler just returns.
 */
#ifndef RESPD_COMMANDS_H
#define RESPD_COMMANDS_H

#include <stddef.h>

#include "client.h"
#include "command.h"
#include "object.h"

/* Redis's shared error texts. */
#define ERR_WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define ERR_NOT_INT "ERR value is not an integer or out of range"
#define ERR_SYNTAX "ERR syntax error"
#define ERR_NOT_FLOAT "ERR value is not a valid float"
#define ERR_OVERFLOW "ERR increment or decrement would overflow"
#define ERR_NOAUTH "NOAUTH Authentication required."
#define ERR_DB_RANGE "ERR DB index is out of range"

/* Key lookup for reading: lazy expiry, keyspace hits/misses, LRU touch. */
obj *cmd_lookup_read(client *c, const char *key, size_t klen);
/* Key lookup for writing: lazy expiry, LRU touch, no hit/miss counting. */
obj *cmd_lookup_write(client *c, const char *key, size_t klen);
/* Lookup that changes nothing (TYPE, TTL, OBJECT): lazy expiry only. */
obj *cmd_lookup_notouch(client *c, const char *key, size_t klen);
/* A key got a value by a write outside its type's own commands (MOVE, COPY,
 * SORT ... STORE), possibly in another database than the client's:
 * clients blocked on it may be served, and WATCH sees the change. */
void cmd_key_stored(struct db *d, const char *key, size_t klen);
/* Counts a change to the dataset (dirty counter, later the AOF). */
void cmd_dirty(client *c, long long n);

int cmd_get_ll_or_reply(client *c, int argi, long long *out, const char *msg);
int cmd_arg_is(client *c, int argi, const char *name);

/* The cursor and options shared by SCAN, HSCAN, SSCAN and ZSCAN
 * (t_keys.c). Both reply with the error and return -1 on bad input. */
typedef struct scan_opts {
    long long count;     /* COUNT, default 10 */
    const char *pat;     /* MATCH, NULL for none or "*" */
    size_t plen;
    const char *type;    /* TYPE (SCAN only), NULL for none */
    size_t tlen;
} scan_opts;
int scan_cursor_or_reply(client *c, int argi, unsigned long long *out);
int scan_opts_or_reply(client *c, int first, int allow_type, scan_opts *o);
/* For the picks of a negative-count random sample: 0 while the whole reply
 * stays within proto-max-bulk-len; else -1, the partial reply replaced by an
 * error. */
int rand_reply_fits_or_reply(client *c, size_t mark, unsigned long long done,
                             unsigned long long count);

/* connection */
void cmd_ping(client *c);
void cmd_echo(client *c);
void cmd_quit(client *c);
void cmd_select(client *c);
void cmd_swapdb(client *c);
void cmd_hello(client *c);
void cmd_auth(client *c);
void cmd_reset(client *c);
void cmd_multi(client *c);
void cmd_exec(client *c);
void cmd_discard(client *c);
void cmd_watch(client *c);
void cmd_unwatch(client *c);
void cmd_client_id(client *c);
void cmd_client_getname(client *c);
void cmd_client_setname(client *c);
void cmd_client_setinfo(client *c);
void cmd_client_list(client *c);
void cmd_client_info(client *c);
void cmd_client_kill(client *c);
void cmd_client_reply(client *c);
void cmd_client_pause(client *c);
void cmd_client_unpause(client *c);
void cmd_client_unblock(client *c);
void cmd_client_help(client *c);
void cmd_monitor(client *c);

/* strings */
void cmd_get(client *c);
void cmd_set(client *c);
void cmd_setnx(client *c);
void cmd_setex(client *c);
void cmd_psetex(client *c);
void cmd_mget(client *c);
void cmd_mset(client *c);
void cmd_msetnx(client *c);
void cmd_getset(client *c);
void cmd_getdel(client *c);
void cmd_getex(client *c);
void cmd_append(client *c);
void cmd_strlen(client *c);
void cmd_getrange(client *c);
void cmd_setrange(client *c);
void cmd_incr(client *c);
void cmd_decr(client *c);
void cmd_incrby(client *c);
void cmd_decrby(client *c);
void cmd_incrbyfloat(client *c);

/* keys */
void cmd_del(client *c);
void cmd_unlink(client *c);
void cmd_exists(client *c);
void cmd_type(client *c);
void cmd_keys(client *c);
void cmd_scan(client *c);
void cmd_rename(client *c);
void cmd_renamenx(client *c);
void cmd_randomkey(client *c);
void cmd_dbsize(client *c);
void cmd_flushdb(client *c);
void cmd_flushall(client *c);
void cmd_move(client *c);
void cmd_copy(client *c);
void cmd_touch(client *c);
void cmd_expire(client *c);
void cmd_pexpire(client *c);
void cmd_expireat(client *c);
void cmd_pexpireat(client *c);
void cmd_ttl(client *c);
void cmd_pttl(client *c);
void cmd_expiretime(client *c);
void cmd_pexpiretime(client *c);
void cmd_persist(client *c);
void cmd_object_encoding(client *c);
void cmd_object_freq(client *c);
void cmd_object_idletime(client *c);
void cmd_object_refcount(client *c);
void cmd_object_help(client *c);

/* server */
void cmd_info(client *c);
void cmd_config_get(client *c);
void cmd_config_set(client *c);
void cmd_config_resetstat(client *c);
void cmd_config_rewrite(client *c);
void cmd_config_help(client *c);
void cmd_time(client *c);
void cmd_shutdown(client *c);
void cmd_debug(client *c);
void cmd_lastsave(client *c);

/* persistence */
void cmd_bgrewriteaof(client *c);

/* scripting: respd has no script engine */
void cmd_eval(client *c);
void cmd_evalsha(client *c);
void cmd_fcall(client *c);
void cmd_script_load(client *c);
void cmd_script_exists(client *c);
void cmd_script_flush(client *c);
void cmd_function_load(client *c);
void cmd_function_list(client *c);
void cmd_function_flush(client *c);

/* COMMAND subcommands (command.c) */
void cmd_command_count(client *c);
void cmd_command_info(client *c);
void cmd_command_list(client *c);
void cmd_command_getkeys(client *c);
void cmd_command_help(client *c);

/* Redis's "unknown subcommand or wrong number of arguments for 'X'. Try
 * CMD HELP." for subcommands that a handler parses itself. */
void cmd_reply_subcommand_syntax(client *c);
/* Replies with a HELP array: the header line, then lines (NULL-terminated). */
void cmd_reply_help(client *c, const char *const *lines);

#endif
