/* fuzz: the shared part of the libFuzzer targets (tests/fuzz/fuzz_*.c) and of
 * their regression test (tests/unit/test_fuzz_regress.c).
 *
 * Each target is one function that takes the fuzz bytes, drives the server
 * code with them and checks invariants with FUZZ_CHECK:
 *   fuzz_resp_one  the request parser, whole and cut at fuzz-chosen points;
 *   fuzz_aof_one   the AOF loader on a file holding the bytes;
 *   fuzz_exec_one  a sequence of commands decoded from the bytes, run through
 *                  the command table by clients with no socket.
 * Built with -DFUZZ_ENTRY, a target's file also defines
 * LLVMFuzzerTestOneInput; the regression test links all three without it.
 *
 * A failed check calls the fail hook: by default it prints the message and
 * aborts (libFuzzer then saves the input); the unit test installs one that
 * fails the cmocka test instead.
 */
#ifndef RESPD_FUZZ_H
#define RESPD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* A fail hook must not return (cmocka's fail_msg jumps out of the test);
 * if it does, the process aborts all the same. */
typedef void (*fuzz_fail_fn)(const char *file, int line, const char *what);
void fuzz_set_fail_hook(fuzz_fail_fn fn);
void fuzz_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define FUZZ_CHECK(cond, ...)                                                                     \
    do {                                                                                          \
        if (!(cond))                                                                              \
            fuzz_fail(__FILE__, __LINE__, __VA_ARGS__);                                           \
    } while (0)

/* The fixed "now" every input starts at (unix ms): expiry depends only on
 * the input, never on the wall clock. */
#define FUZZ_EPOCH_MS 1700000000000LL

/* Sets up what the server would have after start-up, minus sockets and the
 * event loop: config defaults, 16 databases, the command table, a fixed hash
 * seed, logging off. Idempotent. */
void fuzz_env_init(void);
/* Puts the global state back to the start of an input: empty databases,
 * default config, the clock at FUZZ_EPOCH_MS, the random source reseeded. */
void fuzz_env_reset(void);
/* Creates a fresh directory for a target's files ("respd-fuzz-<what>-<pid>-
 * XXXXXX" in /dev/shm, else /tmp) into out, after removing those of fuzzer
 * processes that no longer exist. */
void fuzz_make_tmpdir(const char *what, char *out, size_t size);
/* Sets the clock the commands see (server.now_ms, LRU clock, db time). */
void fuzz_set_time(long long unix_ms);

/* Checks every database: DBSIZE equals the keys an iteration finds, the
 * expires index agrees with the entries, each key's TYPE and encoding fit its
 * value, no collection is empty, LLEN/HLEN/SCARD/ZCARD/STRLEN equal what
 * iterating the value yields, ranges come back whole and in order, compact
 * encodings respect their limits (unless limits_changed). */
void fuzz_check_dbs(int limits_changed);
/* Rebuilds every live key from the commands the AOF rewrite emits for it,
 * replayed through the command table by a socket-less client into a scratch
 * database, and checks that each value comes back equal. */
void fuzz_check_rewrite(void);
/* A digest of all databases' contents (keys, types, values, expires),
 * independent of iteration order and encodings; the _live variant leaves
 * out keys whose expire time has passed. */
uint64_t fuzz_digest(void);
uint64_t fuzz_digest_live(void);

/* The AOF as the server writes it, for the exec target: fuzz_aof_enable
 * turns appendonly on for the rest of the process (a file in a temporary
 * directory, appendfsync no); fuzz_aof_begin empties the file at the start
 * of an input; fuzz_check_aof loads what the input's commands appended into
 * empty databases and checks that it rebuilds exactly the live keys. */
void fuzz_aof_enable(void);
void fuzz_aof_begin(void);
void fuzz_check_aof(void);

/* Validates out[0..len) as a sequence of whole replies in protocol proto (2
 * or 3). Returns the number of replies, or -1 (with *why set) when malformed
 * or cut short. */
long fuzz_count_replies(const char *out, size_t len, int proto, const char **why);

/* The targets. Each returns a small summary of what happened (documented
 * with the function) for the regression test to assert on. With FUZZ_TRACE
 * set in the environment, fuzz_exec_one prints each command it runs and the
 * replies, for reading a crash input. */
int fuzz_resp_one(const uint8_t *data, size_t size);
int fuzz_aof_one(const uint8_t *data, size_t size);
int fuzz_exec_one(const uint8_t *data, size_t size);

#endif
