/* resp: the incremental request parser (RESP multibulk and inline).
 *
 * Pure: no I/O, no allocation on the hot path beyond growing its argument
 * arrays, no knowledge of clients. The caller hands it the bytes of one
 * request from its first byte onwards; when they are not yet complete the
 * parser remembers how far it got, so a request arriving one byte at a time
 * costs O(n), not O(n^2). The caller may move the bytes between calls (the
 * query buffer may be reallocated) as long as the request still starts at the
 * beginning of what it passes.
 *
 * On RESP_DONE, argv[i]/argvlen[i] point into the caller's buffer as passed to
 * that call (inline arguments are unescaped in place, which is why the buffer
 * is not const). They stay valid until the caller changes those bytes.
 *
 * Error texts are Redis 7.0's, without the leading "-" and trailing CRLF.
 */
#ifndef RESPD_RESP_H
#define RESPD_RESP_H

#include <stddef.h>

enum {
    RESP_ERROR = -1,    /* protocol error: text in parser->err */
    RESP_DONE = 0,      /* one request parsed: argc/argv/argvlen, *consumed */
    RESP_NEED_MORE = 1, /* the request is incomplete: call again with more bytes */
};

/* Longest inline request and longest multibulk/bulk count line, as in Redis. */
#define RESP_INLINE_MAX (64 * 1024)
/* Largest multibulk count accepted: INT_MAX, what Redis 7.0.15 really checks
 * ("*2147483647" waits for arguments, "*2147483648" is refused). */
#define RESP_MAX_MULTIBULK 2147483647LL

typedef struct resp_parser {
    /* Limits: set by the caller, read on every bulk header. */
    long long max_bulk_len;     /* proto-max-bulk-len; default 512 MB */
    int unauthenticated;        /* set while a password is required and not given:
                                 * counts over 10 and bulks over 16384 bytes are
                                 * refused, as Redis does */

    /* Result of the last RESP_DONE (while a request is only partly parsed,
     * argc is a running count and means nothing to the caller). argc may be 0 for an empty request
     * (an empty inline line, "*0" or "*-1"), which must get no reply. */
    int argc;
    char **argv;
    size_t *argvlen;

    /* Result of the last RESP_ERROR. */
    char err[96];

    /* Private state of a partly parsed request. */
    int kind;                  /* 0 = not started, '*' = multibulk, 'i' = inline */
    long long mbulk_left;      /* bulk strings still to read */
    long long bulk_len;        /* length of the bulk being read, -1 = header next */
    size_t pos;                /* bytes of the request already consumed */
    size_t *off;               /* offsets of the arguments read so far */
    int cap;                   /* capacity of off, argv, argvlen */
} resp_parser;

/* Prepares a parser with default limits. Caller calls resp_fini. */
void resp_init(resp_parser *p);
/* Releases the parser's arrays. */
void resp_fini(resp_parser *p);
/* Forgets any partly parsed request (e.g. after the caller discarded bytes). */
void resp_reset(resp_parser *p);

/* Parses the request that starts at buf[0]; len bytes are available.
 * Returns RESP_DONE with *consumed = the request's size in bytes, RESP_NEED_MORE
 * (nothing to consume yet), or RESP_ERROR (the connection must be closed after
 * replying with p->err). After RESP_DONE or RESP_ERROR the next call starts a
 * new request. */
int resp_parse(resp_parser *p, char *buf, size_t len, size_t *consumed);

/* While a bulk string body is being awaited, returns how many bytes of the
 * request are still missing for it to be complete (body and CRLF); 0 otherwise.
 * Lets the caller size its buffer exactly for large arguments. */
size_t resp_bulk_missing(const resp_parser *p, size_t len);

#endif
