/* notify: the systemd notify protocol, spoken directly (no libsystemd).
 *
 * When supervised by systemd (supervised systemd, or auto with
 * $NOTIFY_SOCKET set), state changes are sent as datagrams to the socket
 * named by $NOTIFY_SOCKET, a filesystem path or, with a leading '@', an
 * abstract socket: STATUS= lines while loading, READY=1 once the AOF is
 * loaded and the listeners are open, STOPPING=1 at shutdown, and
 * WATCHDOG=1 at half of $WATCHDOG_USEC when the unit sets a watchdog.
 */
#ifndef RESPD_NOTIFY_H
#define RESPD_NOTIFY_H

/* Decides from cfg.supervised and the environment whether to notify.
 * Returns 1 when notifications will be sent. */
int notify_init(void);
/* Sends one notification (several "KEY=value" lines may be joined with
 * '\n'). A no-op when not supervised. Returns 0, or -1 if sending failed. */
int notify_send(const char *msg);
/* The watchdog period in ms (half of $WATCHDOG_USEC), or 0 when none is
 * set for this process. */
long long notify_watchdog_ms(void);

#endif
