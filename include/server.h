/* server: global state, start-up and shutdown, signals, the periodic cron,
 * and the before-sleep sequence.
 *
 * Start-up (server_start):
 *   1. seed the hash and random sources, raise RLIMIT_NOFILE for maxclients
 *   2. create the event loop and the databases
 *   3. open the listeners (bind/port/unixsocket), log the port actually bound
 *   4. install signal handlers, the cron timer and the before-sleep hook
 * Before-sleep, every tick: free closed clients, write replies, then sleep.
 * Shutdown (SIGTERM/SIGINT or SHUTDOWN): stop accepting, flush what clients
 * are owed, exit 0.
 */
#ifndef RESPD_SERVER_H
#define RESPD_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "db.h"
#include "ev.h"

#define RESPD_VERSION "7.0.15"
#define RESPD_REAL_VERSION "0.1.0"

typedef struct server_stats {
    long long total_connections;
    long long rejected_connections;
    long long total_commands;
    long long net_input_bytes;
    long long net_output_bytes;
    long long expired_keys;
    long long evicted_keys;
    long long keyspace_hits;
    long long keyspace_misses;
    long long total_error_replies;
    long long unexpected_error_replies;
    long long client_output_buffer_limit_disconnections;
    long long client_query_buffer_limit_disconnections;
    long long expire_cycle_us;    /* time spent in the active expiry cycle */
    long long expire_cycle_cap_reached; /* cycles stopped by their time limit */
    long long total_reads;
    long long total_writes;
    /* Event-loop cycles (Redis 7.2's names): a cycle runs from epoll_wait's
     * return to the end of the next before-sleep, i.e. all the work one
     * tick does between two waits. Durations in microseconds. */
    long long eventloop_cycles;
    long long eventloop_duration_sum;
    long long eventloop_duration_max;
    long long eventloop_cmd_per_cycle_max;
    /* Samples for instantaneous_ops_per_sec and friends. */
    long long ops_sample[16];
    long long in_sample[16];
    long long out_sample[16];
    int sample_idx;
    long long last_sample_ms;
    long long last_sample_ops, last_sample_in, last_sample_out;
} server_stats;

typedef struct server_t {
    ev_loop *loop;
    db *dbs;
    int ndbs;
    pid_t pid;
    long long start_ms;           /* unix ms at start */
    long long start_mono_ms;
    long long now_ms;             /* unix ms, read once per tick */
    long long tick_start_us;      /* monotonic, when epoll_wait returned */
    long long tick_start_cmds;    /* total_commands then */
    char run_id[41];
    int bound_port;               /* the port actually listened on */
    int *listen_fds;
    int nlisten;
    char *config_file;            /* absolute path, or NULL */
    int shutdown_asap;            /* set by signal handlers */
    int shutdown_flags;
    server_stats stats;
    long long cron_loops;
    size_t peak_memory;
    int loading;
    long long dirty;              /* changes since start (rdb_changes_since_last_save) */
    long long last_save_ms;
    char *executable;
    size_t startup_memory;
    size_t recent_max_input, recent_max_output;
    int active_expire_enabled;
    long long cron_timer;
} server_t;

enum { SHUTDOWN_NOSAVE = 1, SHUTDOWN_SAVE = 2, SHUTDOWN_NOW = 4, SHUTDOWN_FORCE = 8 };

extern server_t server;

/* Builds the server from cfg. On failure writes a message into err and
 * returns -1 (main exits). */
int server_start(char *err, size_t errlen);
/* Runs the event loop until shutdown. Returns the process exit code. */
int server_run(void);
/* Asks for an orderly shutdown at the end of this tick (SHUTDOWN command). */
void server_request_shutdown(int flags);
/* Checks that a shutdown with these flags can proceed (SAVE needs somewhere
 * to save). Returns 0, or -1 after logging why not. */
int server_prepare_shutdown(int flags);
/* Resets the counters of INFO stats (CONFIG RESETSTAT). */
void server_reset_stats(void);
/* instantaneous_ops_per_sec and the kbps figures (dir 0 = input). */
long long server_instant_ops(void);
double server_instant_kbps(int dir);
/* A key the server removes on its own (expiry, eviction), before or after
 * it is gone: the AOF gets a DEL and WATCH sees a change. */
void server_key_removed(db *d, const char *key, size_t klen);
/* Refreshes server.now_ms and the databases' clock. */
void server_update_time(void);
/* Closes and reopens the listeners after bind/port changed. Returns 0 or -1. */
int server_rebind(const char **err);

/* 1 when protected mode refuses the peer of fd: protected-mode on, no
 * password, and the peer not on loopback (the client and metrics ports). */
int server_protected_refuses(int fd);

/* Bytes allocated now (INFO used_memory); records a new peak. */
size_t server_memory_used(void);

#endif
