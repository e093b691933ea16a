/* command: the command table, lookup, pre-execution checks, statistics and
 * the COMMAND command. See command.h.
 *
 * The table is static data; lookup goes through a hash table of the
 * lower-cased names built at start-up. Container commands (CLIENT, CONFIG,
 * OBJECT ...) have their own sub-tables and are resolved on argv[1].
 */
#include "command.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "aof.h"
#include "blocking.h"
#include "commands.h"
#include "config.h"
#include "db.h"
#include "ev.h"
#include "evict.h"
#include "hashtable.h"
#include "latency.h"
#include "log.h"
#include "mem.h"
#include "monitor.h"
#include "multi.h"
#include "pause.h"
#include "server.h"
#include "util.h"

#include "cmdtable.h"

static cmd_def client_subs[] = {
    C("client|id", cmd_client_id, 2, NS | LD | ST, 0, 0, 0, "slow connection", "connection", "5.0.0", "Returns the unique client ID of the connection.", "O(1)"),
    C("client|getname", cmd_client_getname, 2, NS | LD | ST, 0, 0, 0, "slow connection", "connection", "2.6.9", "Returns the name of the connection.", "O(1)"),
    C("client|setname", cmd_client_setname, 3, NS | LD | ST, 0, 0, 0, "slow connection", "connection", "2.6.9", "Sets the connection name.", "O(1)"),
    C("client|setinfo", cmd_client_setinfo, 4, NS | LD | ST, 0, 0, 0, "slow connection", "connection", "7.2.0", "Sets information specific to the client or connection.", "O(1)"),
    C("client|list", cmd_client_list, -2, A | NS | LD | ST, 0, 0, 0, "admin slow dangerous connection", "connection", "2.4.0", "Lists open connections.", "O(N) where N is the number of client connections"),
    C("client|info", cmd_client_info, 2, NS | LD | ST, 0, 0, 0, "slow connection", "connection", "6.2.0", "Returns information about the connection.", "O(1)"),
    C("client|kill", cmd_client_kill, -3, A | NS | LD | ST, 0, 0, 0, "admin slow dangerous connection", "connection", "2.4.0", "Terminates open connections.", "O(N) where N is the number of client connections"),
    C("client|reply", cmd_client_reply, 3, NS | LD | ST, 0, 0, 0, "slow connection", "connection", "3.2.0", "Instructs the server whether to reply to commands.", "O(1)"),
    C("client|pause", cmd_client_pause, -3, A | NS | LD | ST, 0, 0, 0, "admin slow dangerous connection", "connection", "2.9.50", "Stop processing commands from clients for some time", "O(1)"),
    C("client|unpause", cmd_client_unpause, 2, A | NS | LD | ST, 0, 0, 0, "admin slow dangerous connection", "connection", "6.2.0", "Resume processing of clients that were paused", "O(N) Where N is the number of paused clients"),
    C("client|unblock", cmd_client_unblock, -3, A | NS | LD | ST, 0, 0, 0, "admin slow dangerous connection", "connection", "5.0.0", "Unblocks a client blocked by a blocking command from a different connection.", "O(log N) where N is the number of client connections"),
    C("client|help", cmd_client_help, 2, LD | ST, 0, 0, 0, "slow connection", "connection", "5.0.0", "Returns helpful text about the different subcommands.", "O(1)"),
    END,
};

static cmd_def object_subs[] = {
    C("object|encoding", cmd_object_encoding, 3, R, 2, 2, 1, "keyspace read slow", "generic", "2.2.3", "Returns the internal encoding of a Redis object.", "O(1)"),
    C("object|freq", cmd_object_freq, 3, R, 2, 2, 1, "keyspace read slow", "generic", "4.0.0", "Returns the logarithmic access frequency counter of a Redis object.", "O(1)"),
    C("object|idletime", cmd_object_idletime, 3, R, 2, 2, 1, "keyspace read slow", "generic", "2.2.3", "Returns the time since the last access to a Redis object.", "O(1)"),
    C("object|refcount", cmd_object_refcount, 3, R, 2, 2, 1, "keyspace read slow", "generic", "2.2.3", "Returns the reference count of a value of a key.", "O(1)"),
    C("object|help", cmd_object_help, 2, LD | ST, 0, 0, 0, "keyspace slow", "generic", "6.2.0", "Returns helpful text about the different subcommands.", "O(1)"),
    END,
};

static cmd_def config_subs[] = {
    C("config|get", cmd_config_get, -3, A | NS | LD | ST, 0, 0, 0, "admin slow dangerous", "server", "2.0.0", "Returns the effective values of configuration parameters.", "O(N) when N is the number of configuration parameters provided"),
    C("config|set", cmd_config_set, -4, A | NS | LD | ST, 0, 0, 0, "admin slow dangerous", "server", "2.0.0", "Sets configuration parameters in-flight.", "O(N) when N is the number of configuration parameters provided"),
    C("config|resetstat", cmd_config_resetstat, 2, A | NS | LD | ST, 0, 0, 0, "admin slow dangerous", "server", "2.0.0", "Resets the server's statistics.", "O(1)"),
    C("config|rewrite", cmd_config_rewrite, 2, A | NS | LD | ST, 0, 0, 0, "admin slow dangerous", "server", "2.8.0", "Persists the effective configuration to file.", "O(1)"),
    C("config|help", cmd_config_help, 2, LD | ST, 0, 0, 0, "slow", "server", "5.0.0", "Returns helpful text about the different subcommands.", "O(1)"),
    END,
};

static cmd_def command_subs[] = {
    C("command|count", cmd_command_count, 2, LD | ST, 0, 0, 0, "slow connection", "server", "2.8.13", "Returns a count of commands.", "O(1)"),
    C("command|info", cmd_command_info, -2, LD | ST, 0, 0, 0, "slow connection", "server", "2.8.13", "Returns information about one, multiple or all commands.", "O(N) where N is the number of commands to look up"),
    C("command|list", cmd_command_list, -2, LD | ST, 0, 0, 0, "slow connection", "server", "7.0.0", "Returns a list of command names.", "O(N) where N is the total number of Redis commands"),
    C("command|getkeys", cmd_command_getkeys, -4, LD | ST, 0, 0, 0, "slow connection", "server", "2.8.13", "Extracts the key names from an arbitrary command.", "O(N) where N is the number of arguments to the command"),
    C("command|help", cmd_command_help, 2, LD | ST, 0, 0, 0, "slow connection", "server", "5.0.0", "Returns helpful text about the different subcommands.", "O(1)"),
    END,
};

static cmd_def script_subs[] = {
    C("script|load", cmd_script_load, 3, NS | ST, 0, 0, 0, "slow scripting", "scripting", "2.6.0", "Loads a server-side Lua script to the script cache.", "O(N) with N being the length in bytes of the script body."),
    C("script|exists", cmd_script_exists, -3, NS, 0, 0, 0, "slow scripting", "scripting", "2.6.0", "Determines whether server-side Lua scripts exist in the script cache.", "O(N) with N being the number of scripts to check"),
    C("script|flush", cmd_script_flush, -2, NS, 0, 0, 0, "slow scripting", "scripting", "2.6.0", "Removes all server-side Lua scripts from the script cache.", "O(N) with N being the number of scripts in cache"),
    END,
};

static cmd_def function_subs[] = {
    C("function|load", cmd_function_load, -3, W | M | NS, 0, 0, 0, "write slow scripting", "scripting", "7.0.0", "Creates a library.", "O(1) (considering compilation time is redundant)"),
    C("function|list", cmd_function_list, -2, NS, 0, 0, 0, "slow scripting", "scripting", "7.0.0", "Returns information about all libraries.", "O(N) where N is the number of functions"),
    C("function|flush", cmd_function_flush, -2, W | NS, 0, 0, 0, "write slow scripting", "scripting", "7.0.0", "Deletes all libraries and functions.", "O(N) where N is the number of functions deleted"),
    END,
};

static cmd_def core_table[] = {
    /* connection */
    C("ping", cmd_ping, -1, F, 0, 0, 0, "fast connection", "connection", "1.0.0", "Returns the server's liveliness response.", "O(1)"),
    C("echo", cmd_echo, 2, F | LD | ST, 0, 0, 0, "fast connection", "connection", "1.0.0", "Returns the given string.", "O(1)"),
    C("quit", cmd_quit, -1, NS | LD | ST | NA | F | CMD_ALLOW_BUSY, 0, 0, 0, "fast connection", "connection", "1.0.0", "Closes the connection.", "O(1)"),
    C("select", cmd_select, 2, LD | ST | F, 0, 0, 0, "fast connection", "connection", "1.0.0", "Changes the selected database.", "O(1)"),
    C("swapdb", cmd_swapdb, 3, W | F, 0, 0, 0, "keyspace write fast dangerous", "server", "4.0.0", "Swaps two Redis databases.", "O(N) where N is the count of clients watching or blocking on keys from both databases."),
    C("hello", cmd_hello, -1, NS | LD | ST | F | NA | CMD_ALLOW_BUSY, 0, 0, 0, "fast connection", "connection", "6.0.0", "Handshakes with the Redis server.", "O(1)"),
    C("auth", cmd_auth, -2, NS | LD | ST | F | NA | CMD_ALLOW_BUSY, 0, 0, 0, "fast connection", "connection", "1.0.0", "Authenticates the connection.", "O(N) where N is the number of passwords defined for the user"),
    C("reset", cmd_reset, 1, NS | LD | ST | F | NA | CMD_ALLOW_BUSY, 0, 0, 0, "fast connection", "connection", "6.2.0", "Resets the connection.", "O(1)"),
    C("multi", cmd_multi, 1, NS | LD | ST | F | CMD_ALLOW_BUSY, 0, 0, 0, "fast transaction", "transactions", "1.2.0", "Starts a transaction.", "O(1)"),
    C("exec", cmd_exec, 1, NS | LD | ST | CMD_SKIP_SLOWLOG, 0, 0, 0, "slow transaction", "transactions", "1.2.0", "Executes all commands in a transaction.", "Depends on commands in the transaction"),
    C("discard", cmd_discard, 1, NS | LD | ST | F | CMD_ALLOW_BUSY, 0, 0, 0, "fast transaction", "transactions", "2.0.0", "Discards a transaction.", "O(N), when N is the number of queued commands"),
    C("watch", cmd_watch, -2, NS | LD | ST | F | CMD_ALLOW_BUSY, 1, -1, 1, "fast transaction", "transactions", "2.2.0", "Monitors changes to keys to determine the execution of a transaction.", "O(1) for every key."),
    C("unwatch", cmd_unwatch, 1, NS | LD | ST | F | CMD_ALLOW_BUSY, 0, 0, 0, "fast transaction", "transactions", "2.2.0", "Forgets about watched keys of a transaction.", "O(1)"),
    P("client", -2, 0, "slow", "connection", "2.4.0", "A container for client connection commands.", client_subs),
    /* strings */
    C("get", cmd_get, 2, R | F, 1, 1, 1, "read string fast", "string", "1.0.0", "Returns the string value of a key.", "O(1)"),
    C("set", cmd_set, -3, W | M, 1, 1, 1, "write string slow", "string", "1.0.0", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", "O(1)"),
    C("setnx", cmd_setnx, 3, W | M | F, 1, 1, 1, "write string fast", "string", "1.0.0", "Set the string value of a key only when the key doesn't exist.", "O(1)"),
    C("setex", cmd_setex, 4, W | M, 1, 1, 1, "write string slow", "string", "2.0.0", "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.", "O(1)"),
    C("psetex", cmd_psetex, 4, W | M, 1, 1, 1, "write string slow", "string", "2.6.0", "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.", "O(1)"),
    C("mget", cmd_mget, -2, R | F, 1, -1, 1, "read string fast", "string", "1.0.0", "Atomically returns the string values of one or more keys.", "O(N) where N is the number of keys to retrieve."),
    C("mset", cmd_mset, -3, W | M, 1, -1, 2, "write string slow", "string", "1.0.1", "Atomically creates or modifies the string values of one or more keys.", "O(N) where N is the number of keys to set."),
    C("msetnx", cmd_msetnx, -3, W | M, 1, -1, 2, "write string slow", "string", "1.0.1", "Atomically modifies the string values of one or more keys only when all keys don't exist.", "O(N) where N is the number of keys to set."),
    C("getset", cmd_getset, 3, W | M | F, 1, 1, 1, "write string fast", "string", "1.0.0", "Returns the previous string value of a key after setting it to a new value.", "O(1)"),
    C("getdel", cmd_getdel, 2, W | F, 1, 1, 1, "write string fast", "string", "6.2.0", "Returns the string value of a key after deleting the key.", "O(1)"),
    C("getex", cmd_getex, -2, W | F, 1, 1, 1, "write string fast", "string", "6.2.0", "Returns the string value of a key after setting its expiration time.", "O(1)"),
    C("append", cmd_append, 3, W | M | F, 1, 1, 1, "write string fast", "string", "2.0.0", "Appends a string to the value of a key. Creates the key if it doesn't exist.", "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation."),
    C("strlen", cmd_strlen, 2, R | F, 1, 1, 1, "read string fast", "string", "2.2.0", "Returns the length of a string value.", "O(1)"),
    C("getrange", cmd_getrange, 4, R, 1, 1, 1, "read string slow", "string", "2.4.0", "Returns a substring of the string stored at a key.", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings."),
    C("substr", cmd_getrange, 4, R, 1, 1, 1, "read string slow", "string", "1.0.0", "Returns a substring from a string value.", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings."),
    C("setrange", cmd_setrange, 4, W | M, 1, 1, 1, "write string slow", "string", "2.2.0", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument."),
    C("incr", cmd_incr, 2, W | M | F, 1, 1, 1, "write string fast", "string", "1.0.0", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "O(1)"),
    C("decr", cmd_decr, 2, W | M | F, 1, 1, 1, "write string fast", "string", "1.0.0", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "O(1)"),
    C("incrby", cmd_incrby, 3, W | M | F, 1, 1, 1, "write string fast", "string", "1.0.0", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "O(1)"),
    C("decrby", cmd_decrby, 3, W | M | F, 1, 1, 1, "write string fast", "string", "1.0.0", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", "O(1)"),
    C("incrbyfloat", cmd_incrbyfloat, 3, W | M | F, 1, 1, 1, "write string fast", "string", "2.6.0", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "O(1)"),
    /* keys */
    C("del", cmd_del, -2, W, 1, -1, 1, "keyspace write slow", "generic", "1.0.0", "Deletes one or more keys.", "O(N) where N is the number of keys that will be removed."),
    C("unlink", cmd_unlink, -2, W | F, 1, -1, 1, "keyspace write fast", "generic", "4.0.0", "Asynchronously deletes one or more keys.", "O(1) for each key removed regardless of its size."),
    C("exists", cmd_exists, -2, R | F, 1, -1, 1, "keyspace read fast", "generic", "1.0.0", "Determines whether one or more keys exist.", "O(N) where N is the number of keys to check."),
    C("type", cmd_type, 2, R | F, 1, 1, 1, "keyspace read fast", "generic", "1.0.0", "Determines the type of value stored at a key.", "O(1)"),
    C("keys", cmd_keys, 2, R, 0, 0, 0, "keyspace read slow dangerous", "generic", "1.0.0", "Returns all key names that match a pattern.", "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length."),
    C("scan", cmd_scan, -2, R, 0, 0, 0, "keyspace read slow", "generic", "2.8.0", "Iterates over the key names in the database.", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection."),
    C("rename", cmd_rename, 3, W, 1, 2, 1, "keyspace write slow", "generic", "1.0.0", "Renames a key and overwrites the destination.", "O(1)"),
    C("renamenx", cmd_renamenx, 3, W | F, 1, 2, 1, "keyspace write fast", "generic", "1.0.0", "Renames a key only when the target key name doesn't exist.", "O(1)"),
    C("randomkey", cmd_randomkey, 1, R, 0, 0, 0, "keyspace read slow", "generic", "1.0.0", "Returns a random key name from the database.", "O(1)"),
    C("dbsize", cmd_dbsize, 1, R | F, 0, 0, 0, "keyspace read fast", "server", "1.0.0", "Returns the number of keys in the database.", "O(1)"),
    C("flushdb", cmd_flushdb, -1, W, 0, 0, 0, "keyspace write slow dangerous", "server", "1.0.0", "Removes all keys from the current database.", "O(N) where N is the number of keys in the selected database"),
    C("flushall", cmd_flushall, -1, W, 0, 0, 0, "keyspace write slow dangerous", "server", "1.0.0", "Removes all keys from all databases.", "O(N) where N is the total number of keys in all databases"),
    C("move", cmd_move, 3, W | F, 1, 1, 1, "keyspace write fast", "generic", "1.0.0", "Moves a key to another database.", "O(1)"),
    C("copy", cmd_copy, -3, W | M | CMD_TOUCHES_OWN_KEYS, 1, 2, 1, "keyspace write slow", "generic", "6.2.0", "Copies the value of a key to a new key.", "O(N) worst case for collections, where N is the number of nested items. O(1) for string values."),
    C("touch", cmd_touch, -2, R | F, 1, -1, 1, "keyspace read fast", "generic", "3.2.1", "Returns the number of existing keys out of those specified after updating the time they were last accessed.", "O(N) where N is the number of keys that will be touched."),
    C("expire", cmd_expire, -3, W | F, 1, 1, 1, "keyspace write fast", "generic", "1.0.0", "Sets the expiration time of a key in seconds.", "O(1)"),
    C("pexpire", cmd_pexpire, -3, W | F, 1, 1, 1, "keyspace write fast", "generic", "2.6.0", "Sets the expiration time of a key in milliseconds.", "O(1)"),
    C("expireat", cmd_expireat, -3, W | F, 1, 1, 1, "keyspace write fast", "generic", "1.2.0", "Sets the expiration time of a key to a Unix timestamp.", "O(1)"),
    C("pexpireat", cmd_pexpireat, -3, W | F, 1, 1, 1, "keyspace write fast", "generic", "2.6.0", "Sets the expiration time of a key to a Unix milliseconds timestamp.", "O(1)"),
    C("ttl", cmd_ttl, 2, R | F, 1, 1, 1, "keyspace read fast", "generic", "1.0.0", "Returns the expiration time in seconds of a key.", "O(1)"),
    C("pttl", cmd_pttl, 2, R | F, 1, 1, 1, "keyspace read fast", "generic", "2.6.0", "Returns the expiration time in milliseconds of a key.", "O(1)"),
    C("expiretime", cmd_expiretime, 2, R | F, 1, 1, 1, "keyspace read fast", "generic", "7.0.0", "Returns the expiration time of a key as a Unix timestamp.", "O(1)"),
    C("pexpiretime", cmd_pexpiretime, 2, R | F, 1, 1, 1, "keyspace read fast", "generic", "7.0.0", "Returns the expiration time of a key as a Unix milliseconds timestamp.", "O(1)"),
    C("persist", cmd_persist, 2, W | F, 1, 1, 1, "keyspace write fast", "generic", "2.2.0", "Removes the expiration time of a key.", "O(1)"),
    P("object", -2, 0, "slow", "generic", "2.2.3", "A container for object introspection commands.", object_subs),
    /* server */
    C("info", cmd_info, -1, LD | ST, 0, 0, 0, "slow dangerous", "server", "1.0.0", "Returns information and statistics about the server.", "O(1)"),
    P("config", -2, 0, "slow", "server", "2.0.0", "A container for server configuration commands.", config_subs),
    {"command", cmd_command, -1, LD | ST, 0, 0, 0, "slow connection", "server", "2.8.13", "Returns detailed information about all commands.", "O(N) where N is the total number of Redis commands", command_subs, NULL, 0, 0, 0, 0},
    C("time", cmd_time, 1, LD | ST | F, 0, 0, 0, "fast", "server", "2.6.0", "Returns the server time.", "O(1)"),
    C("lastsave", cmd_lastsave, 1, LD | ST | F, 0, 0, 0, "admin fast dangerous", "server", "1.0.0", "Returns the Unix timestamp of the last successful save to disk.", "O(1)"),
    C("shutdown", cmd_shutdown, -1, A | NS | LD | ST | CMD_NO_MULTI | CMD_ALLOW_BUSY, 0, 0, 0, "admin slow dangerous", "server", "1.0.0", "Synchronously saves the database(s) to disk and shuts down the Redis server.", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)"),
    C("bgrewriteaof", cmd_bgrewriteaof, 1, A | NS, 0, 0, 0, "admin slow dangerous", "server", "1.0.0", "Asynchronously rewrites the append-only file to disk.", "O(1)"),
    C("debug", cmd_debug, -2, A | NS | LD | ST, 0, 0, 0, "admin slow dangerous", "server", "1.0.0", "A container for debugging commands.", "Depends on subcommand."),
    C("monitor", cmd_monitor, 1, A | NS | LD | ST, 0, 0, 0, "admin slow dangerous", "server", "1.0.0", "Listen for all requests received by the server in real time", ""),
    /* scripting */
    C("eval", cmd_eval, -3, NS | ST | CMD_SKIP_MONITOR | CMD_MAY_REPLICATE | CMD_NO_MANDATORY_KEYS | CMD_MOVABLE_KEYS, 0, 0, 0, "slow scripting", "scripting", "2.6.0", "Executes a server-side Lua script.", "Depends on the script that is executed."),
    C("eval_ro", cmd_eval, -3, NS | ST | CMD_SKIP_MONITOR | CMD_NO_MANDATORY_KEYS | CMD_MOVABLE_KEYS | R, 0, 0, 0, "slow scripting", "scripting", "7.0.0", "Executes a read-only server-side Lua script.", "Depends on the script that is executed."),
    C("evalsha", cmd_evalsha, -3, NS | ST | CMD_SKIP_MONITOR | CMD_MAY_REPLICATE | CMD_NO_MANDATORY_KEYS | CMD_MOVABLE_KEYS, 0, 0, 0, "slow scripting", "scripting", "2.6.0", "Executes a server-side Lua script by SHA1 digest.", "Depends on the script that is executed."),
    C("evalsha_ro", cmd_evalsha, -3, NS | ST | CMD_SKIP_MONITOR | CMD_NO_MANDATORY_KEYS | CMD_MOVABLE_KEYS | R, 0, 0, 0, "slow scripting", "scripting", "7.0.0", "Executes a read-only server-side Lua script by SHA1 digest.", "Depends on the script that is executed."),
    C("fcall", cmd_fcall, -3, NS | ST | CMD_SKIP_MONITOR | CMD_MAY_REPLICATE | CMD_NO_MANDATORY_KEYS | CMD_MOVABLE_KEYS, 0, 0, 0, "slow scripting", "scripting", "7.0.0", "Invokes a function.", "Depends on the function that is executed."),
    C("fcall_ro", cmd_fcall, -3, NS | ST | CMD_SKIP_MONITOR | CMD_NO_MANDATORY_KEYS | CMD_MOVABLE_KEYS | R, 0, 0, 0, "slow scripting", "scripting", "7.0.0", "Invokes a read-only function.", "Depends on the function that is executed."),
    P("script", -2, 0, "slow", "scripting", "2.6.0", "A container for Lua scripts management commands.", script_subs),
    P("function", -2, 0, "slow", "scripting", "7.0.0", "A container for function commands.", function_subs),
};

#define NCORE (sizeof(core_table) / sizeof(core_table[0]))

/* Every top-level command: the core table above, then the tables of the
 * type modules, which register themselves (cmd_register_table) before
 * main runs. Built by cmd_init. */
static cmd_def **table;
static size_t ncmds;
#define NCMDS ncmds

#define MAX_TABLES 16
static cmd_def *extra_tables[MAX_TABLES];
static int nextra;

void cmd_register_table(cmd_def *t)
{
    if (nextra < MAX_TABLES)
        extra_tables[nextra++] = t;
}

/* ---- lookup -------------------------------------------------------------- */

static void def_key(const void *entry, const char **key, size_t *len)
{
    const cmd_def *d = entry;
    *key = d->name;
    *len = strlen(d->name);
}

static const ht_type def_type = {.entry_key = def_key, .entry_free = NULL};
/* Every command and subcommand by its own name ("get", "config|get"). */
static ht *index_ht;

/* The names clients call top-level commands by: each command's own name,
 * unless rename-command in the config file gave it another one or removed
 * it (as Redis: error texts, COMMAND INFO and INFO commandstats keep the
 * original name). The list is built on the first rename, before cmd_init,
 * which turns it into names_ht; it never changes after. The AOF always
 * uses the original names: commands are written under them and the file is
 * replayed through index_ht, so it loads whatever the renames. */
typedef struct cmd_alias {
    char *name; /* lower case */
    size_t len; /* of name: hashed on every lookup */
    cmd_def *def;
    int owned;  /* name was allocated (a rename target) */
} cmd_alias;

static cmd_alias *aliases;
static size_t naliases, capaliases;
static ht *names_ht;
static int renamed; /* some command has another name, or none */

/* Longest name rename-command accepts (lookups fold case on the stack). */
#define MAX_NAME_LEN 100

static void alias_key(const void *entry, const char **key, size_t *len)
{
    const cmd_alias *a = entry;
    *key = a->name;
    *len = a->len;
}

static const ht_type alias_type = {.entry_key = alias_key, .entry_free = NULL};

static void add_alias(char *name, cmd_def *d, int owned)
{
    if (naliases == capaliases) {
        capaliases = capaliases ? capaliases * 2 : 256;
        aliases = mem_realloc(aliases, capaliases * sizeof(*aliases));
    }
    aliases[naliases++] = (cmd_alias){name, strlen(name), d, owned};
}

/* Fills the name list with every top-level command under its own name. */
static void build_aliases(void)
{
    if (aliases)
        return;
    for (size_t i = 0; i < NCORE; i++)
        add_alias((char *)core_table[i].name, &core_table[i], 0);
    for (int t = 0; t < nextra; t++)
        for (cmd_def *d = extra_tables[t]; d->name; d++)
            add_alias((char *)d->name, d, 0);
}

static cmd_alias *find_alias(const char *name)
{
    for (size_t i = 0; i < naliases; i++)
        if (strcasecmp(aliases[i].name, name) == 0)
            return &aliases[i];
    return NULL;
}

int cmd_rename_command(const char *from, const char *to, char *err, size_t errlen)
{
    if (index_ht) {
        snprintf(err, errlen, "rename-command is only accepted at start-up");
        return -1;
    }
    build_aliases();
    cmd_alias *a = find_alias(from);
    if (!a) {
        snprintf(err, errlen, "No such command in rename-command");
        return -1;
    }
    cmd_def *d = a->def;
    if (a->owned)
        mem_free(a->name);
    *a = aliases[--naliases]; /* the list's order does not matter */
    renamed = 1;
    if (!to[0])
        return 0;
    if (find_alias(to)) {
        snprintf(err, errlen, "Target command name already exists");
        return -1;
    }
    if (strlen(to) > MAX_NAME_LEN) {
        snprintf(err, errlen, "Target command name is longer than %d bytes", MAX_NAME_LEN);
        return -1;
    }
    char *name = mem_strdup(to);
    for (char *p = name; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    add_alias(name, d, 1);
    return 0;
}

/* 1 when some client-visible name leads to d. */
static int has_alias(const cmd_def *d)
{
    if (!renamed)
        return 1;
    for (size_t i = 0; i < naliases; i++)
        if (aliases[i].def == d)
            return 1;
    return 0;
}

void cmd_init(void)
{
    index_ht = ht_new(&def_type);
    size_t n = NCORE;
    for (int t = 0; t < nextra; t++)
        for (cmd_def *d = extra_tables[t]; d->name; d++)
            n++;
    table = mem_alloc(n * sizeof(cmd_def *));
    ncmds = 0;
    for (size_t i = 0; i < NCORE; i++)
        table[ncmds++] = &core_table[i];
    for (int t = 0; t < nextra; t++)
        for (cmd_def *d = extra_tables[t]; d->name; d++)
            table[ncmds++] = d;
    for (size_t i = 0; i < NCMDS; i++) {
        ht_add(index_ht, table[i]);
        for (cmd_def *s = table[i]->subcmds; s && s->name; s++)
            ht_add(index_ht, s);
    }
    /* COMMAND, COMMAND COUNT and INFO commandstats list only the commands
     * clients can reach, as Redis's do after a rename-command "". */
    size_t kept = 0;
    for (size_t i = 0; i < NCMDS; i++)
        if (has_alias(table[i]))
            table[kept++] = table[i];
    ncmds = kept;
    build_aliases();
    names_ht = ht_new(&alias_type);
    for (size_t i = 0; i < naliases; i++)
        ht_add(names_ht, &aliases[i]);
}

/* Folds name[0..len) to lower case after "parent|" into buf (size bytes).
 * Returns the key length, or 0 when it does not fit. */
static size_t fold_name(char *buf, size_t size, const char *parent, const char *name, size_t len)
{
    size_t off = 0;
    if (parent) {
        off = strlen(parent);
        if (off + 1 >= size)
            return 0;
        memcpy(buf, parent, off);
        buf[off++] = '|';
    }
    if (len + off > size)
        return 0;
    for (size_t i = 0; i < len; i++)
        buf[off + i] = (char)tolower((unsigned char)name[i]);
    return off + len;
}

/* Looks up a top-level command by the name clients use (parent NULL), or
 * the subcommand "parent|name" of a command known by its own name. */
static cmd_def *find_name(const char *parent, const char *name, size_t len)
{
    char buf[MAX_NAME_LEN + 28];
    size_t n = fold_name(buf, sizeof(buf), parent, name, len);
    if (!n)
        return NULL;
    if (parent)
        return ht_find(index_ht, buf, n);
    cmd_alias *a = ht_find(names_ht, buf, n);
    return a ? a->def : NULL;
}

/* Looks up a top-level command by its own name, whatever the renames. */
static cmd_def *find_original(const char *name, size_t len)
{
    char buf[MAX_NAME_LEN + 28];
    size_t n = fold_name(buf, sizeof(buf), NULL, name, len);
    if (!n || memchr(buf, '|', n))
        return NULL;
    return ht_find(index_ht, buf, n);
}

void cmd_fini(void)
{
    ht_free(index_ht);
    index_ht = NULL;
    ht_free(names_ht);
    names_ht = NULL;
    for (size_t i = 0; i < naliases; i++)
        if (aliases[i].owned)
            mem_free(aliases[i].name);
    mem_free(aliases);
    aliases = NULL;
    naliases = capaliases = 0;
    renamed = 0;
    mem_free(table);
    table = NULL;
    ncmds = 0;
}

const cmd_def *cmd_lookup(char **argv, size_t *argvlen, int argc)
{
    cmd_def *d = find_name(NULL, argv[0], argvlen[0]);
    if (d && d->subcmds && argc > 1) {
        cmd_def *s = find_name(d->name, argv[1], argvlen[1]);
        if (s)
            return s;
    }
    return d;
}

const cmd_def *cmd_lookup_original(char **argv, size_t *argvlen, int argc)
{
    cmd_def *d = find_original(argv[0], argvlen[0]);
    if (d && d->subcmds && argc > 1) {
        cmd_def *s = find_name(d->name, argv[1], argvlen[1]);
        if (s)
            return s;
    }
    return d;
}

const cmd_def *cmd_at(size_t i)
{
    return i < NCMDS ? table[i] : NULL;
}

size_t cmd_count(void)
{
    return NCMDS;
}

/* ---- errors and statistics ----------------------------------------------- */

typedef struct err_count {
    char code[32];
    long long count;
} err_count;

static err_count errs[128];
static long long batch_clock;

void cmd_begin_batch(void)
{
    batch_clock = ev_mono_us();
}
static int nerrs;
static int errors_in_command;

void cmd_count_error(const char *msg, size_t len)
{
    /* Redis counts errors by their first word (the code), e.g. ERR,
     * WRONGTYPE; a message with no code counts as ERR. */
    size_t n = 0;
    while (n < len && n < sizeof(errs[0].code) - 1 && msg[n] != ' ')
        n++;
    int coded = n > 0;
    for (size_t i = 0; i < n; i++)
        if (!isupper((unsigned char)msg[i]))
            coded = 0;
    const char *code = coded ? msg : "ERR";
    if (!coded)
        n = 3;
    server.stats.total_error_replies++;
    errors_in_command++;
    for (int i = 0; i < nerrs; i++) {
        if (strlen(errs[i].code) == n && memcmp(errs[i].code, code, n) == 0) {
            errs[i].count++;
            return;
        }
    }
    if (nerrs < (int)(sizeof(errs) / sizeof(errs[0]))) {
        memcpy(errs[nerrs].code, code, n);
        errs[nerrs].code[n] = '\0';
        errs[nerrs].count = 1;
        nerrs++;
    }
}

static void reset_def(cmd_def *d)
{
    d->calls = d->usec = d->rejected_calls = d->failed_calls = 0;
}

void cmd_reset_stats(void)
{
    for (size_t i = 0; i < NCMDS; i++) {
        reset_def(table[i]);
        for (cmd_def *s = table[i]->subcmds; s && s->name; s++)
            reset_def(s);
    }
    nerrs = 0;
}

static void stat_line(const cmd_def *d, cmd_line_fn fn, void *ctx)
{
    if (!d->calls && !d->rejected_calls && !d->failed_calls)
        return;
    char line[256];
    snprintf(line, sizeof(line),
             "cmdstat_%s:calls=%lld,usec=%lld,usec_per_call=%.2f,rejected_calls=%lld,"
             "failed_calls=%lld",
             d->name, d->calls, d->usec, d->calls ? (double)d->usec / (double)d->calls : 0.0,
             d->rejected_calls, d->failed_calls);
    fn(line, ctx);
}

void cmd_info_commandstats(cmd_line_fn fn, void *ctx)
{
    for (size_t i = 0; i < NCMDS; i++) {
        if (table[i]->subcmds) {
            for (const cmd_def *s = table[i]->subcmds; s->name; s++)
                stat_line(s, fn, ctx);
            if (table[i]->proc)
                stat_line(table[i], fn, ctx);
        } else {
            stat_line(table[i], fn, ctx);
        }
    }
}

static int cmp_err(const void *a, const void *b)
{
    return strcmp(((const err_count *)a)->code, ((const err_count *)b)->code);
}

void cmd_info_errorstats(cmd_line_fn fn, void *ctx)
{
    char line[128];
    qsort(errs, (size_t)nerrs, sizeof(errs[0]), cmp_err); /* Redis lists them by name */
    for (int i = 0; i < nerrs; i++) {
        snprintf(line, sizeof(line), "errorstat_%.31s:count=%lld", errs[i].code, errs[i].count);
        fn(line, ctx);
    }
}

/* ---- execution ----------------------------------------------------------- */

static void reject(client *c, cmd_def *d, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void reject(client *c, cmd_def *d, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (d)
        d->rejected_calls++;
    /* A refused EXEC discards the transaction and says why; any other
     * refused request inside MULTI dooms it (EXEC then aborts). */
    if (d && d->proc == cmd_exec) {
        multi_abort_exec(c, buf);
        return;
    }
    multi_flag_error(c);
    client_add_error(c, buf);
}

/* maxmemory, before the command (as Redis, after the auth check): evicts
 * what the policy allows, and when that is not enough refuses a command
 * that may grow memory, or any command queued in MULTI but the ones that
 * end it. The AOF loader, EXEC's own commands and a blocked command served
 * now are not checked: Redis does not check them either. Returns 0 after
 * replying the OOM error. */
static int oom_allows(client *c, cmd_def *d, int flags)
{
    if ((c->flags & (CLIENT_FAKE | CLIENT_IN_EXEC)) || c->blocked)
        return 1;
    if (evict_perform() != EVICT_FAIL)
        return 1;
    int deny = (flags & CMD_DENYOOM) ||
               (multi_active(c) && d->proc != cmd_exec && d->proc != cmd_discard &&
                d->proc != cmd_quit && d->proc != cmd_reset);
    if (!deny)
        return 1;
    reject(c, d, EVICT_OOM_ERROR);
    return 0;
}

static void unknown_command(client *c)
{
    /* As Redis: quote the first arguments, up to 128 bytes in all. */
    char args[512];
    size_t n = 0;
    args[0] = '\0';
    for (int i = 1; i < c->argc && n < 128; i++) {
        int room = 128 - (int)n;
        int w = snprintf(args + n, sizeof(args) - n, "'%.*s' ",
                         (int)(c->argvlen[i] < (size_t)room ? c->argvlen[i] : (size_t)room),
                         c->argv[i]);
        if (w < 0)
            break;
        n += (size_t)w;
        if (n >= sizeof(args))
            n = sizeof(args) - 1;
    }
    reject(c, NULL, "ERR unknown command '%.*s', with args beginning with: %s",
           (int)(c->argvlen[0] < 128 ? c->argvlen[0] : 128), c->argv[0], args);
}

/* CLIENT REPLY OFF/SKIP: drops what the command wrote since reply_mark.
 * Decided after the handler, so that CLIENT REPLY ON and RESET are
 * answered. The flag that CLIENT REPLY SKIP sets applies to the command
 * after it. A fake client (the AOF loader) keeps no replies. */
static void drop_replies(client *c, size_t reply_mark)
{
    if (c->flags & (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP))
        c->out.len = reply_mark;
    c->flags &= ~CLIENT_REPLY_SKIP;
    if (c->flags & CLIENT_REPLY_SKIP_NEXT) {
        c->flags &= ~CLIENT_REPLY_SKIP_NEXT;
        c->flags |= CLIENT_REPLY_SKIP;
    }
    if (c->flags & CLIENT_FAKE)
        c->out.len = 0;
}

void cmd_execute(client *c)
{
    /* The AOF (the only fake client) names commands by their own names. */
    cmd_def *top = renamed && (c->flags & CLIENT_FAKE) ? find_original(c->argv[0], c->argvlen[0])
                                                      : find_name(NULL, c->argv[0], c->argvlen[0]);
    cmd_def *d = top;
    int has_sub = d && d->subcmds && c->argc >= 2;
    cmd_def *sub = has_sub ? find_name(d->name, c->argv[1], c->argvlen[1]) : NULL;
    /* CLIENT LIST's cmd=: the command as looked up, NULL when the name or
     * the subcommand is unknown, as Redis reports it; EXEC while it runs
     * its queue. */
    int in_exec = (c->flags & CLIENT_IN_EXEC) != 0;
    if (!in_exec)
        c->lastcmd = has_sub ? sub : d;
    /* CLIENT PAUSE ALL holds every request, even one that will fail. */
    if (pause_hold(c, 0, PAUSE_ALL))
        return;
    if (!d) {
        unknown_command(c);
        return;
    }
    if (has_sub && !sub) {
        /* As Redis: the name as typed, which a rename may have changed. */
        char upper[MAX_NAME_LEN + 1];
        size_t i;
        for (i = 0; i < c->argvlen[0] && i < sizeof(upper) - 1; i++)
            upper[i] = (char)toupper((unsigned char)c->argv[0][i]);
        upper[i] = '\0';
        reject(c, d, "ERR unknown subcommand '%.*s'. Try %s HELP.",
               (int)(c->argvlen[1] < 128 ? c->argvlen[1] : 128), c->argv[1], upper);
        return;
    }
    if (sub)
        d = sub;
    if ((d->arity > 0 && c->argc != d->arity) || (d->arity < 0 && c->argc < -d->arity) ||
        (!d->proc)) {
        reject(c, d, "ERR wrong number of arguments for '%s' command", d->name);
        return;
    }
    if (!c->authenticated && !(d->flags & CMD_NO_AUTH)) {
        reject(c, d, ERR_NOAUTH);
        return;
    }
    /* EXEC writes when one of its queued commands does. */
    int flags = d->flags | (d->proc == cmd_exec ? multi_queued_flags(c) : 0);
    if (cfg.maxmemory && !oom_allows(c, d, flags))
        return;
    if ((flags & CMD_WRITE) && aof_write_error()) {
        aof_info ai;
        aof_get_info(&ai);
        reject(c, d, "MISCONF Errors writing to the AOF file: %s", strerror(ai.last_write_errno));
        return;
    }
    /* Redis makes a monitor a kind of replica, which may not use the
     * keyspace; other commands it may run. */
    if ((c->flags & CLIENT_MONITOR) &&
        (d->flags & (CMD_READONLY | CMD_WRITE | CMD_MAY_REPLICATE))) {
        reject(c, d, "ERR Replica can't interact with the keyspace");
        return;
    }
    /* CLIENT PAUSE WRITE holds what may write, once it is known to be valid. */
    if (pause_hold(c, flags, PAUSE_WRITE))
        return;
    /* Inside MULTI: queued, unless it is one of the transaction's own. */
    if (multi_active(c) && !multi_runs_now(d)) {
        size_t mark = c->out.len;
        if (d->flags & CMD_NO_MULTI)
            reject(c, d, "ERR Command not allowed inside a transaction");
        else
            multi_queue(c, d);
        drop_replies(c, mark);
        return;
    }
    c->cmd = d;
    if (!in_exec)
        c->lastcmd = d;
    long long dirty_before = server.dirty;
    c->flags &= ~CLIENT_PROPAGATED;
    size_t reply_mark = c->out.len;
    int rerun = c->blocked != NULL; /* a blocked command, served now */
    errors_in_command = 0;
    /* One clock read per command: the end of the previous command in the
     * same batch is the start of this one (cmd_begin_batch resets it), so
     * a pipelined burst pays for one clock_gettime per command, not two. */
    long long start = batch_clock; /* EXEC's commands move batch_clock on */
    int watching = multi_watching();
    if (watching)
        multi_before_write(c, d);
    d->proc(c);
    if (watching)
        multi_after_write(c, server.dirty != dirty_before);
    long long now = ev_mono_us();
    long long dur = now - start;
    batch_clock = now;
    /* As in Redis, a call that blocks is not counted; the run that serves
     * it is, or its timeout (cmd_count_timeout). */
    if (!(c->blocked && blocking_waiting(c))) {
        d->calls++;
        d->usec += dur;
        if (errors_in_command)
            d->failed_calls++;
    }
    /* Latency histogram and slow log (latency.c, slowlog.c). */
    latency_command_done(c, d, dur);
    /* A command that changed the dataset goes to the AOF as it came,
     * unless its handler already fed a deterministic form of it. */
    if (server.dirty != dirty_before && !(c->flags & CLIENT_PROPAGATED)) {
        /* Under its own name, so that the file loads whatever the renames. */
        char *typed = c->argv[0];
        size_t typed_len = c->argvlen[0];
        if (renamed) {
            c->argv[0] = (char *)top->name;
            c->argvlen[0] = strlen(top->name);
        }
        aof_feed(c->db->id, c->argc, c->argv, c->argvlen);
        c->argv[0] = typed;
        c->argvlen[0] = typed_len;
    }
    c->flags &= ~CLIENT_PROPAGATED;
    /* MONITOR: as Redis 7.0, after the command (SELECT shows its new db),
     * admin commands hidden, a blocked command shown once, when it came. */
    if (!(d->flags & CMD_ADMIN) && !rerun && !(c->flags & CLIENT_FAKE))
        monitor_feed(c, c->argc, c->argv, c->argvlen);
    else
        monitor_forget_redactions();
    server.stats.total_commands++;
    c->commands++;
    c->cmd = NULL;
    drop_replies(c, reply_mark);
    /* Keys this command filled may wake blocked clients (BLPOP ...), but
     * not halfway through a transaction. */
    if (!(c->flags & CLIENT_IN_EXEC))
        blocking_handle_ready();
}

void cmd_execute_args(client *c, const client_args *a)
{
    int argc = c->argc;
    char **argv = c->argv;
    size_t *argvlen = c->argvlen;
    c->argc = a->argc;
    c->argv = a->argv;
    c->argvlen = a->argvlen;
    cmd_execute(c);
    c->argc = argc;
    c->argv = argv;
    c->argvlen = argvlen;
}

void cmd_count_timeout(client *c)
{
    /* The table's entries are not const; lastcmd only promises not to
     * change them through the client. */
    cmd_def *d = (cmd_def *)c->lastcmd;
    if (d)
        d->calls++;
}

/* ---- shared helpers for handlers ----------------------------------------- */

obj *cmd_lookup_read(client *c, const char *key, size_t klen)
{
    obj *o = db_lookup(c->db, key, klen);
    if (o) {
        server.stats.keyspace_hits++;
        obj_access(o);
    } else {
        server.stats.keyspace_misses++;
    }
    return o;
}

obj *cmd_lookup_write(client *c, const char *key, size_t klen)
{
    obj *o = db_lookup(c->db, key, klen);
    if (o)
        obj_access(o);
    return o;
}

void cmd_key_stored(db *d, const char *key, size_t klen)
{
    blocking_signal_key(d, key, klen);
    multi_touch_key(d, key, klen);
}

obj *cmd_lookup_notouch(client *c, const char *key, size_t klen)
{
    return db_lookup(c->db, key, klen);
}

void cmd_propagate(client *c, int argc, char **argv, const size_t *argvlen)
{
    aof_feed(c->db->id, argc, argv, argvlen);
    c->flags |= CLIENT_PROPAGATED;
}

void cmd_dirty(client *c, long long n)
{
    (void)c;
    server.dirty += n;
}

int cmd_get_ll_or_reply(client *c, int argi, long long *out, const char *msg)
{
    if (util_str2ll(c->argv[argi], c->argvlen[argi], out))
        return 0;
    client_add_error(c, msg ? msg : ERR_NOT_INT);
    return -1;
}

int cmd_arg_is(client *c, int argi, const char *name)
{
    return argi < c->argc && util_eq_nocase(c->argv[argi], c->argvlen[argi], name);
}

void cmd_reply_subcommand_syntax(client *c)
{
    char cmd[32];
    size_t n = c->argvlen[0] < sizeof(cmd) - 1 ? c->argvlen[0] : sizeof(cmd) - 1;
    for (size_t i = 0; i < n; i++)
        cmd[i] = (char)toupper((unsigned char)c->argv[0][i]);
    cmd[n] = '\0';
    client_add_errorf(c,
                      "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try %s "
                      "HELP.",
                      (int)(c->argvlen[1] < 128 ? c->argvlen[1] : 128), c->argv[1], cmd);
}

void cmd_reply_help(client *c, const char *const *lines)
{
    reply_buf *rb = client_reply_buf(c);
    size_t off = reply_defer(rb);
    long long n = 0;
    for (; lines[n]; n++)
        reply_simple(rb, lines[n]);
    reply_simple(rb, "HELP");
    reply_simple(rb, "    Prints this help.");
    reply_defer_set(rb, off, '*', n + 2);
}

/* ---- COMMAND ------------------------------------------------------------- */

static const struct {
    int flag;
    const char *name;
} flag_names[] = {
    {CMD_WRITE, "write"},       {CMD_READONLY, "readonly"}, {CMD_DENYOOM, "denyoom"},
    {CMD_ADMIN, "admin"},       {CMD_PUBSUB, "pubsub"},     {CMD_NOSCRIPT, "noscript"},
    {CMD_BLOCKING, "blocking"}, {CMD_LOADING, "loading"},   {CMD_STALE, "stale"},
    {CMD_SKIP_MONITOR, "skip_monitor"}, {CMD_SKIP_SLOWLOG, "skip_slowlog"}, {CMD_FAST, "fast"}, {CMD_NO_AUTH, "no_auth"},
    /* CMD_MAY_REPLICATE is not listed: Redis 7.0's COMMAND does not show it. */
    {CMD_NO_MULTI, "no_multi"},
    {CMD_ALLOW_BUSY, "allow_busy"}, {CMD_NO_MANDATORY_KEYS, "no_mandatory_keys"},
    {CMD_MOVABLE_KEYS, "movablekeys"},
};

static void reply_words_set(reply_buf *rb, const char *words, const char *prefix)
{
    char buf[64];
    size_t off = reply_defer(rb);
    long long n = 0;
    const char *p = words;
    while (p && *p) {
        const char *e = strchr(p, ' ');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        snprintf(buf, sizeof(buf), "%s%.*s", prefix, (int)len, p);
        reply_simple(rb, buf);
        n++;
        p = e ? e + 1 : NULL;
    }
    reply_defer_set(rb, off, '~', n);
}

static void reply_key_specs(reply_buf *rb, const cmd_def *d)
{
    if (d->first_key == 0) {
        reply_set(rb, 0);
        return;
    }
    reply_set(rb, 1);
    reply_map(rb, 3);
    reply_bulk_cstr(rb, "flags");
    /* The access flags of the key spec, as Redis declares them for these
     * commands: deleters remove, STRLEN and OBJECT only look at metadata. */
    const char *kf[2] = {"RW", "update"};
    int nkf = 2;
    if (!strcmp(d->name, "del") || !strcmp(d->name, "unlink") || !strcmp(d->name, "getdel")) {
        kf[0] = "RM";
        kf[1] = "delete";
    } else if (!strcmp(d->name, "strlen") || !strncmp(d->name, "object|", 7)) {
        kf[0] = "RO";
        nkf = 1;
    } else if (!(d->flags & CMD_WRITE)) {
        kf[0] = "RO";
        kf[1] = "access";
    }
    reply_set(rb, nkf);
    for (int i = 0; i < nkf; i++)
        reply_simple(rb, kf[i]);
    reply_bulk_cstr(rb, "begin_search");
    reply_map(rb, 2);
    reply_bulk_cstr(rb, "type");
    reply_bulk_cstr(rb, "index");
    reply_bulk_cstr(rb, "spec");
    reply_map(rb, 1);
    reply_bulk_cstr(rb, "index");
    reply_int(rb, d->first_key);
    reply_bulk_cstr(rb, "find_keys");
    reply_map(rb, 2);
    reply_bulk_cstr(rb, "type");
    reply_bulk_cstr(rb, "range");
    reply_bulk_cstr(rb, "spec");
    reply_map(rb, 3);
    reply_bulk_cstr(rb, "lastkey");
    reply_int(rb, d->last_key < 0 ? d->last_key : d->last_key - d->first_key);
    reply_bulk_cstr(rb, "keystep");
    reply_int(rb, d->key_step);
    reply_bulk_cstr(rb, "limit");
    reply_int(rb, 0);
}

static void reply_command_info(reply_buf *rb, const cmd_def *d)
{
    reply_array(rb, 10);
    reply_bulk_cstr(rb, d->name);
    reply_int(rb, d->arity);
    size_t off = reply_defer(rb);
    long long n = 0;
    for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
        if (d->flags & flag_names[i].flag) {
            reply_simple(rb, flag_names[i].name);
            n++;
        }
    }
    reply_defer_set(rb, off, '~', n);
    reply_int(rb, d->first_key);
    reply_int(rb, d->last_key);
    reply_int(rb, d->key_step);
    reply_words_set(rb, d->acl, "@");
    reply_set(rb, 0); /* tips: respd routes nothing (no cluster) */
    reply_key_specs(rb, d);
    if (d->subcmds) {
        size_t soff = reply_defer(rb);
        long long ns = 0;
        for (const cmd_def *s = d->subcmds; s->name; s++, ns++)
            reply_command_info(rb, s);
        reply_defer_set(rb, soff, '~', ns);
    } else {
        reply_set(rb, 0);
    }
}

void cmd_command(client *c)
{
    reply_buf *rb = client_reply_buf(c);
    reply_array(rb, (long long)NCMDS);
    for (size_t i = 0; i < NCMDS; i++)
        reply_command_info(rb, table[i]);
}

void cmd_command_count(client *c)
{
    reply_int(client_reply_buf(c), (long long)NCMDS);
}

void cmd_command_info(client *c)
{
    reply_buf *rb = client_reply_buf(c);
    if (c->argc == 2) {
        cmd_command(c);
        return;
    }
    reply_array(rb, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        const cmd_def *d = find_name(NULL, c->argv[i], c->argvlen[i]);
        if (!d) {
            /* "config|get" style names are accepted too. */
            char *bar = memchr(c->argv[i], '|', c->argvlen[i]);
            if (bar) {
                const cmd_def *p = find_name(NULL, c->argv[i], (size_t)(bar - c->argv[i]));
                if (p && p->subcmds)
                    d = find_name(p->name, bar + 1, c->argvlen[i] - (size_t)(bar - c->argv[i]) - 1);
            }
        }
        if (d)
            reply_command_info(rb, d);
        else
            reply_null(rb);
    }
}

static int list_filter_match(client *c, const cmd_def *d)
{
    if (c->argc == 2)
        return 1;
    if (c->argc != 5 || !cmd_arg_is(c, 2, "filterby"))
        return -1;
    const char *v = c->argv[4];
    size_t vl = c->argvlen[4];
    if (cmd_arg_is(c, 3, "pattern"))
        return util_glob_match(v, vl, d->name, strlen(d->name), 1);
    if (cmd_arg_is(c, 3, "aclcat")) {
        const char *p = d->acl;
        while (p && *p) {
            const char *e = strchr(p, ' ');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            if (len == vl && strncasecmp(p, v, len) == 0)
                return 1;
            p = e ? e + 1 : NULL;
        }
        return 0;
    }
    if (cmd_arg_is(c, 3, "module"))
        return 0; /* respd loads no modules */
    return -1;
}

void cmd_command_list(client *c)
{
    if (c->argc != 2 && c->argc != 5) {
        client_add_error(c, ERR_SYNTAX);
        return;
    }
    if (list_filter_match(c, table[0]) < 0) {
        client_add_error(c, ERR_SYNTAX);
        return;
    }
    reply_buf *rb = client_reply_buf(c);
    size_t off = reply_defer(rb);
    long long n = 0;
    for (size_t i = 0; i < NCMDS; i++) {
        if (list_filter_match(c, table[i]) == 1) {
            reply_bulk_cstr(rb, table[i]->name);
            n++;
        }
        for (const cmd_def *s = table[i]->subcmds; s && s->name; s++) {
            if (list_filter_match(c, s) == 1) {
                reply_bulk_cstr(rb, s->name);
                n++;
            }
        }
    }
    reply_defer_set(rb, off, '*', n);
}

int cmd_key_positions(const cmd_def *d, char **argv, size_t *argvlen, int argc, int *pos,
                      int max)
{
    if (d->getkeys) {
        int n = d->getkeys(argv, argvlen, argc, pos, max);
        return n < 0 ? 0 : n;
    }
    if (d->first_key == 0)
        return 0;
    int last = d->last_key < 0 ? argc + d->last_key : d->last_key;
    int n = 0;
    for (int i = d->first_key; i <= last && i < argc && n < max; i += d->key_step)
        pos[n++] = i;
    return n;
}

void cmd_command_getkeys(client *c)
{
    char **argv = c->argv + 2;
    size_t *argvlen = c->argvlen + 2;
    int argc = c->argc - 2;
    const cmd_def *d = cmd_lookup(argv, argvlen, argc);
    if (!d || (d->subcmds && !d->proc && (argc < 2 || d == find_name(NULL, argv[0], argvlen[0])))) {
        client_add_error(c, "ERR Invalid command specified");
        return;
    }
    if ((d->arity > 0 && argc != d->arity) || (d->arity < 0 && argc < -d->arity)) {
        client_add_error(c, "ERR Invalid number of arguments specified for command");
        return;
    }
    if (d->getkeys) {
        int pos[256];
        int n = d->getkeys(argv, argvlen, argc, pos, 256);
        if (n < 0) {
            client_add_error(c, "ERR Invalid arguments specified for command");
            return;
        }
        if (n == 0) {
            client_add_error(c, "ERR The command has no key arguments");
            return;
        }
        reply_buf *rb = client_reply_buf(c);
        reply_array(rb, n);
        for (int i = 0; i < n; i++)
            reply_bulk(rb, argv[pos[i]], argvlen[pos[i]]);
        return;
    }
    if (d->first_key == 0) {
        client_add_error(c, "ERR The command has no key arguments");
        return;
    }
    int last = d->last_key < 0 ? argc + d->last_key : d->last_key;
    reply_buf *rb = client_reply_buf(c);
    size_t off = reply_defer(rb);
    long long n = 0;
    for (int i = d->first_key; i <= last && i < argc; i += d->key_step) {
        reply_bulk(rb, argv[i], argvlen[i]);
        n++;
    }
    reply_defer_set(rb, off, '*', n);
}

void cmd_command_help(client *c)
{
    static const char *const lines[] = {
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        NULL,
    };
    cmd_reply_help(c, lines);
}
