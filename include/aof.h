/* aof: the append-only file. Every command that changed data is appended as
 * RESP to an in-memory buffer; the buffer is written once per loop tick in
 * before-sleep, before any reply of that tick leaves the server, and fsynced
 * according to appendfsync. At start-up the file is replayed through the
 * command table. BGREWRITEAOF forks a child that writes the smallest command
 * list rebuilding the dataset, while the parent keeps serving.
 *
 * File format (checklist: what else must change with it):
 *   - plain RESP multibulk commands, as Redis writes them, so that
 *     redis-check-aof accepts the file and redis-server 7.0 can load it;
 *   - a SELECT precedes the first command of each database run;
 *   - time and randomness are resolved before writing: relative expiries
 *     become absolute (SET ... PXAT, PEXPIREAT), expired keys become DEL;
 *   - the loader (aof_load) must accept everything the writer and the
 *     rewriter produce; the rewriter (rewrite_db, aof_rewrite_key) must
 *     emit, for every value type, commands the loader replays to the same
 *     state;
 *   - new value types need a rewrite callback in their obj_type_ops.
 */
#ifndef RESPD_AOF_H
#define RESPD_AOF_H

#include <stddef.h>

#include "object.h"

typedef struct aof_info {
    int enabled;
    int rewrite_in_progress;
    int rewrite_scheduled;
    long long last_rewrite_time_sec;
    long long current_rewrite_time_sec;
    int last_bgrewrite_ok;
    long long rewrites;
    int last_write_ok;
    long long current_size;
    long long base_size;
    long long buffer_length;
    long long rewrite_buffer_length;
    int pending_fsync;
    long long delayed_fsync;
    int last_write_errno;
    long long total_forks;         /* rewrite children forked */
    long long latest_fork_usec;    /* how long the latest fork() took */
    long long rewrites_consecutive_failures;
} aof_info;

/* Start-up: removes temporary files left by an interrupted rewrite, then, if
 * appendonly is on, loads the file (when it exists) and opens it for
 * appending. Returns 0, or -1 with a message in err (start-up must fail). */
int aof_start(char *err, size_t errlen);

/* Loads an AOF file into the databases. Used by aof_start; exposed for the
 * unit tests and fuzzers. On a torn tail with aof-load-truncated yes, saves
 * the cut bytes beside the file, truncates it and succeeds. Returns 0 or -1. */
int aof_load(const char *path, char *err, size_t errlen);

/* Appends one command, executed in database dbid, to the AOF buffer (and to
 * the rewrite buffer while a rewrite runs). No-op when AOF is off or while
 * loading. */
void aof_feed(int dbid, int argc, char **argv, const size_t *argvlen);
/* Around EXEC's run of a transaction: its writes, if any, go to the file
 * between MULTI and EXEC, so that loading applies all of them or none. */
void aof_multi_begin(void);
void aof_multi_end(void);

/* Before-sleep: writes the buffer, fsyncs for appendfsync always, schedules
 * the background fsync for everysec. Must run before replies are written. */
void aof_before_sleep(void);
/* Cron: reaps a finished rewrite child, starts automatic rewrites. */
void aof_cron(void);

/* BGREWRITEAOF. Returns 0 when a rewrite started, 1 when it was scheduled
 * for the next cron instead (inside EXEC: the child must not snapshot half
 * a transaction), -1 with errno EBUSY when one is already running, or -1 on
 * fork failure. */
int aof_rewrite_start(void);

/* The commands a rewrite writes for key e, whose expire is exp (or
 * OBJ_NO_EXPIRE): SET (with PXAT when it expires) for a string; for a
 * collection its type's batched commands, then PEXPIREAT. The rewrite itself
 * gathers strings with no expire into MSETs instead; exposed for the fuzzer,
 * which replays each key's commands through the command table. */
void aof_rewrite_key(const obj *e, long long exp, obj_emit_fn emit, void *ctx);

/* Shutdown: writes and fsyncs the buffer; stops a rewrite child. Returns 0,
 * or -1 when the data could not be made durable. */
int aof_shutdown(void);

/* CONFIG SET appendonly: turning on writes a full rewrite first, as Redis. */
int aof_apply_appendonly(const char **err);

/* 1 if writes must be refused because the AOF cannot be written (MISCONF). */
int aof_write_error(void);

/* Bytes allocated to the AOF buffers (the write buffer, which keeps its
 * room between flushes, and during a rewrite the diff for the new file):
 * INFO's mem_aof_buffer, the memory maxmemory does not count. */
long long aof_buffered_bytes(void);
void aof_get_info(aof_info *info);
/* CONFIG RESETSTAT: forgets the rewrite and fork counters, as Redis. */
void aof_reset_stats(void);

#endif
