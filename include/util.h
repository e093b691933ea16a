/* util: small pure helpers shared by several modules: strict number parsing
 * and formatting as Redis does it, glob matching, memory-size parsing and a
 * fast non-cryptographic random source.
 */
#ifndef RESPD_UTIL_H
#define RESPD_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Parses s[0..len) as a signed 64-bit integer the way Redis's string2ll does:
 * optional '-', digits, no leading zeros (except "0"), no '+', no spaces, no
 * overflow. Returns 1 and sets *out on success, 0 otherwise. */
int util_str2ll(const char *s, size_t len, long long *out);
/* Like util_str2ll for an unsigned value (no '-'). */
int util_str2ull(const char *s, size_t len, unsigned long long *out);
/* Parses a long double as Redis's string2ld: strtold over the whole string,
 * no leading space, not NaN, length below 5k. Returns 1 on success. */
int util_str2ld(const char *s, size_t len, long double *out);
/* Formats a long double like Redis's ld2string in humanfriendly mode: up to 17
 * significant digits, no exponent, trailing zeros removed. Returns length, or
 * 0 if it does not fit or is not finite. buf must hold at least 5k bytes. */
int util_ld2str(char *buf, size_t size, long double v);
/* Decimal form of v; buf holds at least 21 bytes. Returns length. */
int util_ll2str(char *buf, long long v);

/* Glob match like Redis's stringmatchlen: * ? [abc] [^a-z] and \ escapes. */
int util_glob_match(const char *pat, size_t plen, const char *s, size_t slen, int nocase);

/* Parses a memory amount such as "100", "1k", "1kb", "5mb", "2gb" (k=1000,
 * kb=1024, as redis.conf). Returns 1 and sets *out on success, 0 when s is
 * not a memory value, -1 when it is one too large for a long long. */
int util_parse_memory(const char *s, long long *out);

/* Seeds the random source (called once at start-up). */
void util_seed_random(uint64_t seed);
uint64_t util_random(void);
/* Fills buf with n random bytes from the kernel when possible, or from the
 * fallback source. */
void util_random_bytes(void *buf, size_t n);

/* ASCII case-insensitive equality of s[0..len) and the C string name. */
int util_eq_nocase(const char *s, size_t len, const char *name);

/* Writes all of p to fd, retrying EINTR and short writes. Returns the bytes
 * written, less than n only on error (errno set; ENOSPC for a write of 0). */
size_t util_write_fully(int fd, const char *p, size_t n);
/* fsyncs the directory holding path (best effort), so that a rename or a
 * new file in it survives a crash. */
void util_fsync_dir(const char *path);

/* This process's resident set size in bytes, from /proc/self/statm (0 when
 * it cannot be read). */
size_t util_rss_bytes(void);

/* Writes s[0..n) to dst as Redis quotes strings (sdscatrepr: MONITOR lines,
 * CONFIG REWRITE values): in double quotes, with \\ \" \n \r \t \a \b and
 * \xHH for other bytes outside printable ASCII. dst must hold 4 * n + 2
 * bytes; no NUL is written. Returns the bytes written. */
size_t util_repr(char *dst, const char *s, size_t n);

/* A growable text buffer (INFO, the metrics exposition): zero-initialise,
 * append with util_strbuf_addf, release buf with mem_free. */
typedef struct strbuf {
    char *buf;
    size_t len, cap;
} strbuf;
void util_strbuf_addf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
