/* reply: encodes replies in RESP2 or RESP3 into a growable byte buffer.
 *
 * Every function appends the exact bytes Redis 7.0 sends for the same reply
 * (networking.c: addReply*), in the protocol version stored in the buffer.
 * Sending the bytes, limiting the output buffer and choosing the protocol
 * (HELLO) are the client module's business.
 *
 * Invariants: len <= cap; buf is NULL exactly when cap is 0. Growth doubles
 * the capacity, so appending n bytes one reply at a time costs O(n) overall.
 */
#include "reply.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"

/* The first allocation: room for a typical small reply and then some. */
#define FIRST_CAP 64
/* "*" or "$", a long long, CRLF. */
#define HEADER_MAX (1 + 20 + 2)

void reply_init(reply_buf *rb)
{
    rb->buf = NULL;
    rb->len = 0;
    rb->cap = 0;
    rb->proto = 2;
}

void reply_fini(reply_buf *rb)
{
    mem_free(rb->buf);
    rb->buf = NULL;
    rb->len = 0;
    rb->cap = 0;
}

char *reply_reserve(reply_buf *rb, size_t n)
{
    if (rb->cap - rb->len < n) {
        /* An overflowing request asks mem_realloc for SIZE_MAX, which aborts
         * like any other allocation failure. */
        size_t need = rb->len + n < rb->len ? SIZE_MAX : rb->len + n;
        size_t cap = rb->cap ? rb->cap : FIRST_CAP;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        rb->buf = mem_realloc(rb->buf, cap);
        rb->cap = cap;
    }
    return rb->buf + rb->len;
}

void reply_commit(reply_buf *rb, size_t n)
{
    assert(n <= rb->cap - rb->len);
    rb->len += n;
}

void reply_consume(reply_buf *rb, size_t n)
{
    if (n >= rb->len) {
        rb->len = 0;
        return;
    }
    memmove(rb->buf, rb->buf + n, rb->len - n);
    rb->len -= n;
}

void reply_shrink(reply_buf *rb, size_t keep)
{
    if (rb->len == 0 && rb->cap > keep) {
        mem_free(rb->buf);
        rb->buf = NULL;
        rb->cap = 0;
    }
}

/* Pairs of digits 00..99, so formatting takes one division per 2 digits. */
static const char digit_pairs[201] = "00010203040506070809"
                                     "10111213141516171819"
                                     "20212223242526272829"
                                     "30313233343536373839"
                                     "40414243444546474849"
                                     "50515253545556575859"
                                     "60616263646566676869"
                                     "70717273747576777879"
                                     "80818283848586878889"
                                     "90919293949596979899";

/* Writes the digits of v at buf (up to 20 bytes, no terminator). */
static int ull2str(char *buf, unsigned long long v)
{
    char tmp[20];
    char *p = tmp + sizeof(tmp);
    while (v >= 100) {
        unsigned i = (unsigned)(v % 100) * 2;
        v /= 100;
        *--p = digit_pairs[i + 1];
        *--p = digit_pairs[i];
    }
    if (v < 10) {
        *--p = (char)('0' + v);
    } else {
        unsigned i = (unsigned)v * 2;
        *--p = digit_pairs[i + 1];
        *--p = digit_pairs[i];
    }
    int n = (int)(tmp + sizeof(tmp) - p);
    memcpy(buf, p, (size_t)n);
    return n;
}

/* Like reply_ll2str without the terminator. LLONG_MIN has no positive
 * counterpart, so the magnitude is taken in unsigned arithmetic. */
static int ll2str_raw(char *buf, long long v)
{
    if (v >= 0)
        return ull2str(buf, (unsigned long long)v);
    buf[0] = '-';
    return 1 + ull2str(buf + 1, 0ULL - (unsigned long long)v);
}

int reply_ll2str(char *buf, long long v)
{
    int n = ll2str_raw(buf, v);
    buf[n] = '\0';
    return n;
}

/* "<prefix><n>\r\n" */
static void add_header(reply_buf *rb, char prefix, long long n)
{
    char *p = reply_reserve(rb, HEADER_MAX);
    p[0] = prefix;
    int k = 1 + ll2str_raw(p + 1, n);
    p[k] = '\r';
    p[k + 1] = '\n';
    reply_commit(rb, (size_t)k + 2);
}

void reply_raw(reply_buf *rb, const void *p, size_t n)
{
    if (n == 0)
        return;
    memcpy(reply_reserve(rb, n), p, n);
    reply_commit(rb, n);
}

/* c, then s[0..n), then CRLF, in one reservation. */
static void add_line(reply_buf *rb, char c, const char *s, size_t n)
{
    char *p = reply_reserve(rb, n + 3);
    p[0] = c;
    memcpy(p + 1, s, n);
    p[n + 1] = '\r';
    p[n + 2] = '\n';
    reply_commit(rb, n + 3);
}

void reply_simple(reply_buf *rb, const char *s)
{
    add_line(rb, '+', s, strlen(s));
}

void reply_ok(reply_buf *rb)
{
    reply_raw(rb, "+OK\r\n", 5);
}

void reply_error(reply_buf *rb, const char *msg)
{
    reply_error_len(rb, msg, strlen(msg));
}

void reply_error_len(reply_buf *rb, const char *msg, size_t n)
{
    add_line(rb, '-', msg, n);
    /* A CR or LF would end the error early and desynchronise the client. */
    char *p = rb->buf + rb->len - n - 2;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\r' || p[i] == '\n')
            p[i] = ' ';
    }
}

void reply_int(reply_buf *rb, long long n)
{
    add_header(rb, ':', n);
}

void reply_bulk(reply_buf *rb, const void *p, size_t n)
{
    char *d = reply_reserve(rb, HEADER_MAX + n + 2);
    d[0] = '$';
    size_t k = 1 + (size_t)ull2str(d + 1, n);
    d[k++] = '\r';
    d[k++] = '\n';
    if (n)
        memcpy(d + k, p, n);
    k += n;
    d[k++] = '\r';
    d[k++] = '\n';
    reply_commit(rb, k);
}

void reply_bulk_cstr(reply_buf *rb, const char *s)
{
    /* As Redis's addReplyBulkCString: no string is a null reply. */
    if (!s) {
        reply_null(rb);
        return;
    }
    reply_bulk(rb, s, strlen(s));
}

void reply_bulk_ll(reply_buf *rb, long long n)
{
    char digits[21];
    int k = ll2str_raw(digits, n);
    reply_bulk(rb, digits, (size_t)k);
}

void reply_null(reply_buf *rb)
{
    if (rb->proto >= 3)
        reply_raw(rb, "_\r\n", 3);
    else
        reply_raw(rb, "$-1\r\n", 5);
}

void reply_null_array(reply_buf *rb)
{
    if (rb->proto >= 3)
        reply_raw(rb, "_\r\n", 3);
    else
        reply_raw(rb, "*-1\r\n", 5);
}

/* The header of an aggregate as the buffer's protocol writes it. RESP2 has
 * only arrays: a map becomes a flat array of keys and values. */
static int format_aggregate(const reply_buf *rb, char type, long long n, char *out)
{
    if (rb->proto < 3) {
        if (type == '%')
            n *= 2;
        type = '*';
    }
    out[0] = type;
    int k = 1 + ll2str_raw(out + 1, n);
    out[k] = '\r';
    out[k + 1] = '\n';
    return k + 2;
}

static void add_aggregate(reply_buf *rb, char type, long long n)
{
    char *p = reply_reserve(rb, HEADER_MAX);
    reply_commit(rb, (size_t)format_aggregate(rb, type, n, p));
}

void reply_array(reply_buf *rb, long long n)
{
    add_header(rb, '*', n);
}

void reply_map(reply_buf *rb, long long n)
{
    add_aggregate(rb, '%', n);
}

void reply_set(reply_buf *rb, long long n)
{
    add_aggregate(rb, '~', n);
}

void reply_push(reply_buf *rb, long long n)
{
    add_aggregate(rb, '>', n);
}

void reply_double(reply_buf *rb, double d)
{
    /* Redis spells infinities itself rather than trust the libc; NaN goes
     * through printf, which on glibc writes "nan" (or "-nan"). */
    char num[40];
    int n;
    if (isinf(d)) {
        n = d > 0 ? 3 : 4;
        memcpy(num, d > 0 ? "inf" : "-inf", (size_t)n);
    } else {
        n = snprintf(num, sizeof(num), "%.17g", d);
    }
    if (rb->proto >= 3) {
        char *p = reply_reserve(rb, (size_t)n + 3);
        p[0] = ',';
        memcpy(p + 1, num, (size_t)n);
        p[n + 1] = '\r';
        p[n + 2] = '\n';
        reply_commit(rb, (size_t)n + 3);
    } else {
        reply_bulk(rb, num, (size_t)n);
    }
}

void reply_bool(reply_buf *rb, int b)
{
    if (rb->proto >= 3)
        reply_raw(rb, b ? "#t\r\n" : "#f\r\n", 4);
    else
        reply_raw(rb, b ? ":1\r\n" : ":0\r\n", 4);
}

void reply_verbatim(reply_buf *rb, const char *p, size_t n, const char *ext)
{
    if (rb->proto < 3) {
        reply_bulk(rb, p, n);
        return;
    }
    char *d = reply_reserve(rb, HEADER_MAX + 4 + n + 2);
    d[0] = '=';
    size_t k = 1 + (size_t)ull2str(d + 1, (unsigned long long)n + 4);
    d[k++] = '\r';
    d[k++] = '\n';
    /* Like addReplyVerbatim, a short extension is padded with spaces. */
    for (int i = 0; i < 3; i++)
        d[k++] = *ext ? *ext++ : ' ';
    d[k++] = ':';
    if (n)
        memcpy(d + k, p, n);
    k += n;
    d[k++] = '\r';
    d[k++] = '\n';
    reply_commit(rb, k);
}

size_t reply_defer(reply_buf *rb)
{
    return rb->len;
}

void reply_defer_set(reply_buf *rb, size_t off, char type, long long n)
{
    assert(off <= rb->len);
    char hdr[HEADER_MAX];
    size_t h = (size_t)format_aggregate(rb, type, n, hdr);
    reply_reserve(rb, h);
    memmove(rb->buf + off + h, rb->buf + off, rb->len - off);
    memcpy(rb->buf + off, hdr, h);
    rb->len += h;
}
