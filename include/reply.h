/* reply: encodes replies in RESP2 or RESP3 into a growable byte buffer.
 *
 * Pure: it appends bytes and knows nothing of sockets or clients. The
 * protocol version in the buffer decides how types RESP2 lacks are written
 * (maps as flat arrays, doubles as bulk strings, booleans as integers, nulls
 * as $-1 or *-1), exactly as Redis 7.0 writes them.
 */
#ifndef RESPD_REPLY_H
#define RESPD_REPLY_H

#include <stddef.h>

typedef struct reply_buf {
    char *buf;
    size_t len;   /* bytes written */
    size_t cap;   /* bytes allocated */
    int proto;    /* 2 or 3 */
} reply_buf;

/* Prepares an empty RESP2 buffer. reply_fini releases it. */
void reply_init(reply_buf *rb);
void reply_fini(reply_buf *rb);
/* Makes room for n more bytes and returns where they go; the caller must then
 * call reply_commit(rb, n) with the number actually written. */
char *reply_reserve(reply_buf *rb, size_t n);
void reply_commit(reply_buf *rb, size_t n);
/* Drops the first n bytes (already sent) and keeps the rest. */
void reply_consume(reply_buf *rb, size_t n);
/* Releases the allocation if it is larger than keep bytes and empty. */
void reply_shrink(reply_buf *rb, size_t keep);

void reply_raw(reply_buf *rb, const void *p, size_t n);
/* "+s\r\n". s must not contain CR or LF. */
void reply_simple(reply_buf *rb, const char *s);
void reply_ok(reply_buf *rb);
/* "-msg\r\n". msg normally starts with an error code ("ERR ...",
 * "WRONGTYPE ..."); CR and LF inside it are turned into spaces, as Redis does. */
void reply_error(reply_buf *rb, const char *msg);
void reply_error_len(reply_buf *rb, const char *msg, size_t n);
/* ":n\r\n" */
void reply_int(reply_buf *rb, long long n);
/* "$n\r\n<bytes>\r\n" */
void reply_bulk(reply_buf *rb, const void *p, size_t n);
void reply_bulk_cstr(reply_buf *rb, const char *s);
/* A bulk string holding the decimal form of n. */
void reply_bulk_ll(reply_buf *rb, long long n);
/* A null bulk: "$-1\r\n" in RESP2, "_\r\n" in RESP3. */
void reply_null(reply_buf *rb);
/* A null array: "*-1\r\n" in RESP2, "_\r\n" in RESP3. */
void reply_null_array(reply_buf *rb);
/* Aggregate headers; the caller then writes the elements. */
void reply_array(reply_buf *rb, long long n);
/* n key/value pairs: "%n" in RESP3, "*2n" in RESP2. */
void reply_map(reply_buf *rb, long long n);
/* "~n" in RESP3, "*n" in RESP2. */
void reply_set(reply_buf *rb, long long n);
/* ">n" in RESP3, "*n" in RESP2. */
void reply_push(reply_buf *rb, long long n);
/* RESP3 ",<d>\r\n"; RESP2 a bulk string. Formatted like Redis's
 * addReplyDouble: %.17g, with "inf", "-inf" and "nan". */
void reply_double(reply_buf *rb, double d);
/* RESP3 "#t"/"#f"; RESP2 ":1"/":0". */
void reply_bool(reply_buf *rb, int b);
/* RESP3 verbatim string "=<n+4>\r\n<ext>:<bytes>\r\n" (ext is 3 chars, e.g.
 * "txt"); RESP2 a plain bulk string. */
void reply_verbatim(reply_buf *rb, const char *p, size_t n, const char *ext);

/* Deferred aggregate length, for replies whose element count is known only
 * after the elements are written: off = reply_defer(rb); ...elements...;
 * reply_defer_set(rb, off, '*', count). The header is inserted at off and the
 * elements after it are moved. type is one of '*', '%', '~' (translated for
 * RESP2 as reply_map and reply_set do). The offset stays valid only if
 * nothing is consumed (reply_consume) in between. */
size_t reply_defer(reply_buf *rb);
void reply_defer_set(reply_buf *rb, size_t off, char type, long long n);

/* Writes the decimal form of v into buf (at least 21 bytes); returns length. */
int reply_ll2str(char *buf, long long v);

#endif
