/* slowlog: the slow log, as Redis 7.0 keeps it. Commands that ran for at
 * least slowlog-log-slower-than µs (negative: none; 0: every command) are
 * remembered, newest first, at most slowlog-max-len of them; SLOWLOG GET,
 * LEN, RESET and HELP read and clear the log.
 *
 * An entry holds a unique id (never reused, not even after RESET), the unix
 * time it was logged, the duration in µs, the arguments, the client's
 * address and its name. Arguments are kept as Redis keeps them: at most 32
 * (the 32nd becomes "... (N more arguments)"), each cut to 128 bytes
 * followed by "... (N more bytes)", and secrets replaced by "(redacted)":
 * the arguments of AUTH, the user and password of HELLO ... AUTH, and the
 * value of a sensitive setting (requirepass) in CONFIG SET.
 *
 * Lowering slowlog-max-len trims the log at the next entry, as Redis does.
 */
#ifndef RESPD_SLOWLOG_H
#define RESPD_SLOWLOG_H

#include <stddef.h>

#include "client.h"
#include "command.h"
#include "config.h"

/* 1 when a command that ran for usec µs belongs in the slow log. Inline:
 * it is asked after every command. */
static inline int slowlog_wanted(long long usec)
{
    return cfg.slowlog_log_slower_than >= 0 && usec >= cfg.slowlog_log_slower_than;
}

/* Logs the command c has just run (c->argc, c->argv, with the arguments its
 * handler marked secret as "(redacted)", see monitor_redact), which took
 * usec µs; call it when slowlog_wanted(usec). Copies what it keeps, then
 * trims the log to slowlog-max-len. */
void slowlog_push(client *c, long long usec);
/* Entries in the log. */
size_t slowlog_len(void);
/* Entries ever logged (the next entry's id). */
long long slowlog_logged(void);
/* Frees every entry (SLOWLOG RESET, shutdown); ids go on. */
void slowlog_reset(void);

#endif
