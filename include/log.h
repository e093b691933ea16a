/* log: levelled, timestamped lines to stderr or a file, in Redis's format
 * ("pid:role dd Mon yyyy hh:mm:ss.mmm * message").
 *
 * The log file is opened for append and can be reopened (SIGHUP, logrotate).
 * Lines below the configured level are dropped before formatting.
 */
#ifndef RESPD_LOG_H
#define RESPD_LOG_H

enum { LOG_DEBUG = 0, LOG_VERBOSE, LOG_NOTICE, LOG_WARNING, LOG_NOTHING };

void log_set_level(int level);
int log_get_level(void);
/* Directs output to path (empty string or NULL = stderr). Returns 0, or -1 with
 * errno set when the file cannot be opened (output stays where it was). */
int log_set_file(const char *path);
/* Reopens the current log file (after rotation). Returns 0 or -1. */
int log_reopen(void);
/* Parses "debug" "verbose" "notice" "warning" "nothing"; -1 if unknown. */
int log_level_from_name(const char *name);
const char *log_level_name(int level);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_verbose(...) log_msg(LOG_VERBOSE, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)

#endif
