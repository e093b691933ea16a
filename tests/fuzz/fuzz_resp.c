/* fuzz_resp: the request parser (src/resp.c) on arbitrary bytes.
 *
 * Input: a header, then the bytes a client sends.
 *   byte 0     bits 0-2: number of cut points k (0-7); bit 3: the client is
 *              not authenticated; bit 4: proto-max-bulk-len is 64 bytes
 *   2k bytes   cut offsets (little-endian 16 bits, modulo the stream length)
 *   the rest   the stream
 *
 * The stream is parsed twice: once whole, and once arriving in pieces at the
 * cut points the way the client module feeds the parser (the unparsed bytes
 * of the current request are kept and handed over again, from the request's
 * first byte, each time more arrive). Every buffer handed to the parser is
 * a fresh allocation of exactly the bytes that have arrived, so reading one
 * byte too far is an AddressSanitizer report, and moving the bytes between
 * calls is part of what is tested. Checks:
 *   - both runs give the same transcript: each request's size and arguments,
 *     then the same end (waiting for more bytes, or the same error text);
 *   - a request's arguments lie inside the bytes it consumed;
 *   - resp_bulk_missing never claims more bytes than the request really
 *     took to complete.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "resp.h"

typedef struct transcript {
    unsigned char *p;
    size_t len, cap;
} transcript;

static void tr_add(transcript *t, const void *p, size_t n)
{
    if (t->cap - t->len < n) {
        size_t cap = t->cap ? t->cap : 1024;
        while (cap - t->len < n)
            cap *= 2;
        t->p = realloc(t->p, cap);
        if (!t->p)
            abort();
        t->cap = cap;
    }
    memcpy(t->p + t->len, p, n);
    t->len += n;
}

static void tr_size(transcript *t, char tag, size_t v)
{
    tr_add(t, &tag, 1);
    tr_add(t, &v, sizeof(v));
}

/* Requests completed in the whole run: where each started and its size. */
typedef struct done_list {
    size_t *start, *size;
    size_t n, cap;
} done_list;

static void done_add(done_list *d, size_t start, size_t size)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 64;
        d->start = realloc(d->start, d->cap * sizeof(size_t));
        d->size = realloc(d->size, d->cap * sizeof(size_t));
        if (!d->start || !d->size)
            abort();
    }
    d->start[d->n] = start;
    d->size[d->n] = size;
    d->n++;
}

static void setup_parser(resp_parser *p, int unauth, int small_bulk)
{
    resp_init(p);
    p->unauthenticated = unauth;
    if (small_bulk)
        p->max_bulk_len = 64;
}

/* Records a completed request and checks its arguments' bounds. */
static void record_done(transcript *t, const resp_parser *p, const char *buf, size_t len,
                        size_t consumed)
{
    FUZZ_CHECK(consumed > 0 && consumed <= len, "consumed %zu of %zu bytes", consumed, len);
    FUZZ_CHECK(p->argc >= 0, "argc %d", p->argc);
    tr_size(t, 'D', consumed);
    tr_size(t, 'n', (size_t)p->argc);
    for (int i = 0; i < p->argc; i++) {
        FUZZ_CHECK(p->argv[i] >= buf && p->argvlen[i] <= consumed &&
                       (size_t)(p->argv[i] - buf) <= consumed - p->argvlen[i],
                   "argument %d outside the request", i);
        tr_size(t, 'a', p->argvlen[i]);
        tr_add(t, p->argv[i], p->argvlen[i]);
    }
}

static void record_error(transcript *t, const resp_parser *p)
{
    size_t n = strnlen(p->err, sizeof(p->err));
    FUZZ_CHECK(n > 0 && n < sizeof(p->err), "error text of %zu bytes", n);
    tr_size(t, 'E', n);
    tr_add(t, p->err, n);
}

/* The whole stream in one buffer. Returns 1 if it ended in an error. */
static int run_whole(const uint8_t *s, size_t n, int unauth, int small_bulk, transcript *t,
                     done_list *done)
{
    char *buf = malloc(n ? n : 1);
    if (!buf)
        abort();
    memcpy(buf, s, n);
    resp_parser p;
    setup_parser(&p, unauth, small_bulk);
    size_t pos = 0;
    int failed = 0;
    for (;;) {
        size_t consumed = 0;
        int rc = resp_parse(&p, buf + pos, n - pos, &consumed);
        if (rc == RESP_DONE) {
            record_done(t, &p, buf + pos, n - pos, consumed);
            done_add(done, pos, consumed);
            pos += consumed;
            continue;
        }
        FUZZ_CHECK(consumed == 0, "consumed %zu without a request", consumed);
        if (rc == RESP_ERROR) {
            record_error(t, &p);
            failed = 1;
        } else {
            FUZZ_CHECK(rc == RESP_NEED_MORE, "resp_parse returned %d", rc);
            tr_size(t, 'M', n - pos);
        }
        break;
    }
    resp_fini(&p);
    free(buf);
    return failed;
}

/* A claim that the request starting at `start` needs at least `need` bytes. */
typedef struct claim {
    size_t start, need;
} claim;

/* The stream arriving in pieces, ending at cuts[0..k) then at n. */
static void run_cut(const uint8_t *s, size_t n, const size_t *cuts, int k, int unauth,
                    int small_bulk, transcript *t, claim *claims, size_t *nclaims)
{
    resp_parser p;
    setup_parser(&p, unauth, small_bulk);
    size_t start = 0; /* first byte of the current request */
    int stop = 0;
    for (int c = 0; c <= k && !stop; c++) {
        size_t recv = c < k ? cuts[c] : n;
        if (recv < start)
            recv = start; /* already parsed past this cut */
        size_t len = recv - start;
        char *buf = malloc(len ? len : 1);
        if (!buf)
            abort();
        memcpy(buf, s + start, len);
        size_t pos = 0;
        for (;;) {
            size_t consumed = 0;
            int rc = resp_parse(&p, buf + pos, len - pos, &consumed);
            if (rc == RESP_DONE) {
                record_done(t, &p, buf + pos, len - pos, consumed);
                pos += consumed;
                continue;
            }
            if (rc == RESP_ERROR) {
                record_error(t, &p);
                stop = 1;
            } else {
                size_t missing = resp_bulk_missing(&p, len - pos);
                if (missing > 0 && *nclaims < 64) {
                    claims[*nclaims].start = start + pos;
                    claims[*nclaims].need = len - pos + missing;
                    (*nclaims)++;
                }
                if (c == k)
                    tr_size(t, 'M', len - pos);
            }
            break;
        }
        start += pos;
        free(buf);
    }
    resp_fini(&p);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Returns 1 when the stream ends in a protocol error, 0 when it ends waiting
 * for more bytes (or is empty). */
int fuzz_resp_one(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int k = data[0] & 7;
    int unauth = (data[0] >> 3) & 1;
    int small_bulk = (data[0] >> 4) & 1;
    size_t hdr = 1 + 2 * (size_t)k;
    if (size < hdr)
        return 0;
    const uint8_t *s = data + hdr;
    size_t n = size - hdr;
    size_t cuts[8];
    for (int i = 0; i < k; i++)
        cuts[i] = (size_t)(data[1 + 2 * i] | data[2 + 2 * i] << 8) % (n + 1);
    qsort(cuts, (size_t)k, sizeof(cuts[0]), cmp_size);

    transcript whole = {0}, cut = {0};
    done_list done = {0};
    claim claims[64];
    size_t nclaims = 0;
    int failed = run_whole(s, n, unauth, small_bulk, &whole, &done);
    run_cut(s, n, cuts, k, unauth, small_bulk, &cut, claims, &nclaims);
    FUZZ_CHECK(whole.len == cut.len && memcmp(whole.p, cut.p, whole.len) == 0,
               "cutting the stream changed the parse (%zu vs %zu transcript bytes)", whole.len,
               cut.len);
    for (size_t i = 0; i < nclaims; i++)
        for (size_t j = 0; j < done.n; j++)
            if (done.start[j] == claims[i].start)
                FUZZ_CHECK(done.size[j] >= claims[i].need,
                           "resp_bulk_missing claimed %zu bytes for a request of %zu",
                           claims[i].need, done.size[j]);
    free(whole.p);
    free(cut.p);
    free(done.start);
    free(done.size);
    return failed;
}

#ifdef FUZZ_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_resp_one(data, size);
    return 0;
}
#endif
