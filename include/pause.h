/* pause: CLIENT PAUSE and CLIENT UNPAUSE, as Redis 7.0 does them.
 *
 * While a pause is on, the commands it covers wait, in arrival order, and
 * run when it ends (they are not refused):
 *   - PAUSE_ALL: every command of every client, checked right after the
 *     name lookup, so even an unknown command waits;
 *   - PAUSE_WRITE: commands that may change the dataset (CMD_WRITE or
 *     CMD_MAY_REPLICATE), checked after the arity, auth and MISCONF checks,
 *     so a malformed SET is still answered at once.
 * A waiting client also stops processing the requests behind the one that
 * waits (CLIENT LIST shows it with flag b, INFO counts it in
 * blocked_clients). Monitors, the AOF loader and the re-execution of a
 * blocked command are never held.
 *
 * A later CLIENT PAUSE never shortens or weakens the pause in force: the end
 * is the later of the two and the type the stronger (ALL over WRITE).
 * During any pause keys do not expire: lazy expiry treats an expired key as
 * missing without deleting it and the active cycle stands still, so that
 * nothing is written (Redis's rule, meant for failovers).
 *
 * The end is a reactor timer (no polling). Held commands then run from a
 * timer callback, never nested inside another client's command: CLIENT
 * UNPAUSE schedules them for the next loop iteration.
 */
#ifndef RESPD_PAUSE_H
#define RESPD_PAUSE_H

#include <stddef.h>

#include "client.h"

struct cmd_def;

enum { PAUSE_OFF = 0, PAUSE_WRITE = 1, PAUSE_ALL = 2 };

/* Starts a pause of type PAUSE_WRITE or PAUSE_ALL for timeout_ms
 * milliseconds (>= 0), or extends the one in force. A timeout so large
 * that the end time would overflow ends the pause at once, as it does in
 * Redis. */
void pause_start(int type, long long timeout_ms);
/* Ends the pause now (CLIENT UNPAUSE); held commands run in the next loop
 * iteration. */
void pause_stop(void);

/* Called by cmd_execute for c's current request. stage PAUSE_ALL: right
 * after the lookup; stage PAUSE_WRITE: after the checks, just before the
 * handler, with the request's command flags (EXEC's include those of the
 * commands it queued). Returns 1 when the request must wait: then a copy of
 * its arguments is kept, c is flagged CLIENT_POSTPONED and the caller
 * returns without replying. Returns 0 when it runs now. */
int pause_hold(client *c, int cmd_flags, int stage);
/* Forgets c's held request (the client is being freed). */
void pause_forget(client *c);
/* 1 while a pause (of either type) is in force. */
int pause_active(void);
/* Number of clients with a held request. */
size_t pause_waiting(void);
/* Bytes of the arguments held for c (CLIENT LIST argv-mem), 0 if none. */
size_t pause_argv_mem(const client *c);

#endif
