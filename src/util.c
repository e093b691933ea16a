/* util: see util.h. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "mem.h"

int util_str2ull(const char *s, size_t len, unsigned long long *out)
{
    if (len == 0 || len > 20)
        return 0;
    if (len == 1 && s[0] == '0') {
        *out = 0;
        return 1;
    }
    if (s[0] < '1' || s[0] > '9')
        return 0;
    unsigned long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

int util_str2ll(const char *s, size_t len, long long *out)
{
    if (len == 0)
        return 0;
    int neg = s[0] == '-';
    unsigned long long v;
    if (neg && (len < 2 || s[1] == '0'))
        return 0; /* "-0" and "-" are not integers to Redis */
    if (!util_str2ull(s + neg, len - (size_t)neg, &v))
        return 0;
    if (neg) {
        if (v > (unsigned long long)LLONG_MAX + 1)
            return 0;
        *out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
    } else {
        if (v > (unsigned long long)LLONG_MAX)
            return 0;
        *out = (long long)v;
    }
    return 1;
}

int util_str2ld(const char *s, size_t len, long double *out)
{
    char buf[5120];
    if (len == 0 || len >= sizeof(buf))
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (isspace((unsigned char)buf[0]))
        return 0;
    char *end;
    errno = 0;
    long double v = strtold(buf, &end);
    if ((size_t)(end - buf) != len || isnan(v))
        return 0;
    if (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO))
        return 0;
    *out = v;
    return 1;
}

int util_ld2str(char *buf, size_t size, long double v)
{
    if (!isfinite(v))
        return 0;
    /* %.17Lf prints no exponent; then trailing zeros (and a bare '.') go. */
    int n = snprintf(buf, size, "%.17Lf", v);
    if (n < 0 || (size_t)n >= size)
        return 0;
    if (strchr(buf, '.')) {
        while (n > 0 && buf[n - 1] == '0')
            n--;
        if (n > 0 && buf[n - 1] == '.')
            n--;
        buf[n] = '\0';
    }
    if (n == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        buf[1] = '\0';
        n = 1;
    }
    return n;
}

int util_ll2str(char *buf, long long v)
{
    char tmp[24];
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    int n = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    int len = 0;
    if (v < 0)
        buf[len++] = '-';
    while (n)
        buf[len++] = tmp[--n];
    buf[len] = '\0';
    return len;
}

static int fold(int c, int nocase)
{
    return nocase ? tolower(c) : c;
}

/* Matches a [...] class starting after '['. On return *pp points at the
 * closing ']' (or the end). */
static int match_class(const char **pp, const char *pend, int c, int nocase)
{
    const char *p = *pp;
    int neg = 0, hit = 0;
    if (p < pend && *p == '^') {
        neg = 1;
        p++;
    }
    while (p < pend && *p != ']') {
        if (*p == '\\' && p + 1 < pend) {
            p++;
            if (fold((unsigned char)*p, nocase) == fold(c, nocase))
                hit = 1;
        } else if (p + 2 < pend && p[1] == '-') {
            int lo = fold((unsigned char)p[0], nocase), hi = fold((unsigned char)p[2], nocase);
            if (lo > hi) {
                int t = lo;
                lo = hi;
                hi = t;
            }
            int x = fold(c, nocase);
            if (x >= lo && x <= hi)
                hit = 1;
            p += 2;
        } else if (fold((unsigned char)*p, nocase) == fold(c, nocase)) {
            hit = 1;
        }
        p++;
    }
    *pp = p;
    return neg ? !hit : hit;
}

/* *dead is set once a '*' has found that the rest of the pattern matches no
 * suffix of the string from its position on. Every '*' further out can then
 * stop too: trying it further along only hands the inner '*' a later start,
 * whose suffixes have all failed already (the pattern between two stars
 * matches a fixed number of bytes). Without this, patterns such as
 * "*a*a*a*a*a*b" take time exponential in their stars (Redis fixed the same
 * in 7.0.9, CVE-2022-36021). */
static int glob(const char *p, const char *pend, const char *s, const char *send, int nocase,
                int depth, int *dead)
{
    if (depth > 1000)
        return 0; /* pathological pattern: refuse rather than recurse forever */
    while (p < pend) {
        switch (*p) {
        case '*':
            while (p + 1 < pend && p[1] == '*')
                p++;
            if (p + 1 == pend)
                return 1;
            for (; s <= send; s++) {
                if (glob(p + 1, pend, s, send, nocase, depth + 1, dead))
                    return 1;
                if (*dead)
                    return 0;
            }
            *dead = 1;
            return 0;
        case '?':
            if (s == send)
                return 0;
            s++;
            break;
        case '[': {
            if (s == send)
                return 0;
            p++;
            if (!match_class(&p, pend, (unsigned char)*s, nocase))
                return 0;
            if (p == pend)
                p--; /* unterminated class: treat the end as its close */
            s++;
            break;
        }
        case '\\':
            if (p + 1 < pend)
                p++;
            /* fall through */
        default:
            if (s == send || fold((unsigned char)*p, nocase) != fold((unsigned char)*s, nocase))
                return 0;
            s++;
            break;
        }
        p++;
    }
    return s == send;
}

int util_glob_match(const char *pat, size_t plen, const char *s, size_t slen, int nocase)
{
    int dead = 0;
    return glob(pat, pat + plen, s, s + slen, nocase, 0, &dead);
}

int util_parse_memory(const char *s, long long *out)
{
    /* Redis's memtoull: digits (leading zeros allowed, none at all means 0),
     * then an optional unit; no sign, no spaces. */
    size_t digits = strspn(s, "0123456789");
    const char *unit = s + digits;
    static const struct {
        const char *suf;
        unsigned long long mul;
    } units[] = {{"", 1}, {"b", 1}, {"k", 1000}, {"kb", 1024}, {"m", 1000000},
                 {"mb", 1024ULL * 1024}, {"g", 1000000000}, {"gb", 1024ULL * 1024 * 1024}};
    unsigned long long mul = 0;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strcasecmp(unit, units[i].suf) == 0)
            mul = units[i].mul;
    if (mul == 0 || digits > 127) /* Redis copies the digits to a 128-byte buffer */
        return 0;
    unsigned long long v = 0;
    for (size_t i = 0; i < digits; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10)
            return -1; /* past ULLONG_MAX: out of range, as strtoull saturates */
        v = v * 10 + d;
    }
    if (v > (unsigned long long)LLONG_MAX / mul)
        return -1;
    *out = (long long)(v * mul);
    return 1;
}

static uint64_t rng_state[2] = {0x9E3779B97F4A7C15ULL, 0xD1B54A32D192ED03ULL};

void util_seed_random(uint64_t seed)
{
    rng_state[0] = seed ^ 0x9E3779B97F4A7C15ULL;
    rng_state[1] = (seed * 0xD1B54A32D192ED03ULL) | 1;
    for (int i = 0; i < 8; i++)
        (void)util_random();
}

/* xorshift128+: fast, and good enough for sampling and RANDOMKEY. */
uint64_t util_random(void)
{
    uint64_t a = rng_state[0];
    uint64_t b = rng_state[1];
    rng_state[0] = b;
    a ^= a << 23;
    rng_state[1] = a ^ b ^ (a >> 17) ^ (b >> 26);
    return rng_state[1] + b;
}

void util_random_bytes(void *buf, size_t n)
{
    unsigned char *p = buf;
    ssize_t got = getrandom(p, n, GRND_NONBLOCK);
    size_t i = got > 0 ? (size_t)got : 0;
    for (; i < n; i++)
        p[i] = (unsigned char)util_random();
}

int util_eq_nocase(const char *s, size_t len, const char *name)
{
    return strlen(name) == len && strncasecmp(s, name, len) == 0;
}

void util_strbuf_addf(strbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->buf ? b->buf + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        b->cap = (b->cap + (size_t)n + 1) * 2;
        b->buf = mem_realloc(b->buf, b->cap);
    }
}

size_t util_write_fully(int fd, const char *p, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, p + done, n - done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (w == 0) {
            errno = ENOSPC;
            break;
        }
        done += (size_t)w;
    }
    return done;
}

void util_fsync_dir(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[slash == dir ? 1 : 0] = '\0'; /* "/file" lives in "/" */
    int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

size_t util_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

size_t util_repr(char *dst, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char *p = dst;
    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        switch (ch) {
        case '\\': *p++ = '\\'; *p++ = '\\'; break;
        case '"': *p++ = '\\'; *p++ = '"'; break;
        case '\n': *p++ = '\\'; *p++ = 'n'; break;
        case '\r': *p++ = '\\'; *p++ = 'r'; break;
        case '\t': *p++ = '\\'; *p++ = 't'; break;
        case '\a': *p++ = '\\'; *p++ = 'a'; break;
        case '\b': *p++ = '\\'; *p++ = 'b'; break;
        default:
            /* Printable ASCII as it is (the C locale's isprint). */
            if (ch >= 0x20 && ch <= 0x7e) {
                *p++ = (char)ch;
            } else {
                *p++ = '\\';
                *p++ = 'x';
                *p++ = hex[ch >> 4];
                *p++ = hex[ch & 15];
            }
        }
    }
    *p++ = '"';
    return (size_t)(p - dst);
}
