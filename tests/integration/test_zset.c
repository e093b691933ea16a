/* test_zset: the sorted set commands against a real redis-server, reply
 * bytes compared in RESP2 and RESP3 (hdiff.h): every command and option,
 * the error texts, both encodings and the conversion between them; random
 * commands by shape; ZSCAN by full iteration; blocking pops (served,
 * timed out, disconnected while blocked) and what they write to the AOF;
 * and an AOF round trip through BGREWRITEAOF and a restart.
 * Without redis-server the differential tests are skipped.
 */
#include "harness.h"
#include "hdiff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* A script that first fills z (compact) and big (skiplist: 200 members,
 * beyond the default 128) with the same layout, then runs `body` on each. */
#define BIGFILL                                                                                    \
    "ZADD big 0 m000 1 m001 2 m002 3 m003 4 m004 5 m005 6 m006 7 m007 8 m008 9 m009 10 m010 11 "   \
    "m011 12 m012 13 m013 14 m014 15 m015 16 m016 17 m017 18 m018 19 m019 20 m020 21 m021 22 "     \
    "m022 23 m023 24 m024 25 m025 26 m026 27 m027 28 m028 29 m029 30 m030 31 m031 32 m032 33 "     \
    "m033 34 m034 35 m035 36 m036 37 m037 38 m038 39 m039 40 m040 41 m041 42 m042 43 m043 44 "     \
    "m044 45 m045 46 m046 47 m047 48 m048 49 m049 50 m050 51 m051 52 m052 53 m053 54 m054 55 "     \
    "m055 56 m056 57 m057 58 m058 59 m059 60 m060 61 m061 62 m062 63 m063 64 m064 65 m065 66 "     \
    "m066 67 m067 68 m068 69 m069 70 m070 71 m071 72 m072 73 m073 74 m074 75 m075 76 m076 77 "     \
    "m077 78 m078 79 m079 80 m080 81 m081 82 m082 83 m083 84 m084 85 m085 86 m086 87 m087 88 "     \
    "m088 89 m089 90 m090 91 m091 92 m092 93 m093 94 m094 95 m095 96 m096 97 m097 98 m098 99 "     \
    "m099 100 m100 101 m101 102 m102 103 m103 104 m104 105 m105 106 m106 107 m107 108 m108 109 "   \
    "m109 110 m110 111 m111 112 m112 113 m113 114 m114 115 m115 116 m116 117 m117 118 m118 119 "   \
    "m119 120 m120 121 m121 122 m122 123 m123 124 m124 125 m125 126 m126 127 m127 128 m128 129 "   \
    "m129 130 m130 131 m131 132 m132 133 m133 134 m134 135 m135 136 m136 137 m137 138 m138 139 "   \
    "m139 140 m140 141 m141 142 m142 143 m143 144 m144 145 m145 146 m146 147 m147 148 m148 149 "   \
    "m149 1.5 x1 1.5 x2 1.5 x3 -inf ninf +inf pinf 0.1 tenth -0 negzero 1e300 huge"

static void test_zset_zadd_options(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "ZADD z 1 a 2 b 3 c", "ZADD z 1 a", "ZADD z 5 a", "ZRANGE z 0 -1 WITHSCORES",
        "ZADD z NX 10 a 4 d", "ZADD z XX 10 a 4 e", "ZADD z XX CH 11 a 4 e",
        "ZADD z CH 11 a 12 b 1 f", "ZADD z GT 1 a 20 b", "ZADD z GT CH 1 a 21 b 5 g",
        "ZADD z LT CH 100 a 0 b", "ZADD z LT 50 newlt", "ZRANGE z 0 -1 WITHSCORES",
        "ZADD z INCR 5 a", "ZADD z INCR NX 5 a", "ZADD z INCR XX 5 nomember",
        "ZADD z INCR GT -1 a", "ZADD z INCR LT -1 a", "ZADD z INCR 0 a",
        "ZADD z INCR 1 a 2 b", "ZADD z NX XX 1 a", "ZADD z GT LT 1 a", "ZADD z GT NX 1 a",
        "ZADD z LT NX 1 a", "ZADD z 1", "ZADD z 1 a 2", "ZADD z", "ZADD z nx",
        "ZADD z abc a", "ZADD z 1 a abc b", "ZADD z nan a", "ZADD z 1e400 a", "ZADD z 1e-400 a",
        "ZADD z ' 1' a", "ZADD z '1 ' a", "ZADD z '' a", "ZADD z 0x10 hex", "ZADD z +5 plus",
        "ZADD z inf pi -inf ni", "ZADD z INCR -inf pi", "ZADD z INCR inf ni", "ZSCORE z pi",
        "ZADD z -0 nz", "ZSCORE z nz", "ZADD z 0.1 tenth 1.5 half 1e17 big 123456789012345678 b2",
        "ZRANGE z 0 -1 WITHSCORES", "ZADD nokey XX 1 a", "EXISTS nokey", "ZADD nokey XX INCR 1 a",
        "ZINCRBY z 2.5 a", "ZINCRBY z 1 newm", "ZINCRBY z abc a", "ZINCRBY z nx a",
        "ZINCRBY nokey2 3 m", "ZRANGE nokey2 0 -1 WITHSCORES", "SET s x", "ZADD s 1 a",
        "ZINCRBY s 1 a", "ZADD z xx 1", "ZADD z Nx cH 7 q", "ZCARD z", "ZCARD nokey", "ZCARD s",
        NULL};
    RUN(steps);
}

static void test_zset_read_commands(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "ZADD z 1 a 2 b 3 c 3 cc -1 neg 1.5 x inf i",
        "ZSCORE z a", "ZSCORE z x", "ZSCORE z i", "ZSCORE z nope", "ZSCORE nokey a",
        "ZMSCORE z a nope x i", "ZMSCORE nokey a b", "ZMSCORE z", "ZRANK z a", "ZRANK z neg",
        "ZRANK z i", "ZRANK z nope", "ZRANK nokey a", "ZREVRANK z a", "ZREVRANK z i",
        "ZREVRANK z nope", "ZREM z a nope", "ZREM z nope", "ZREM nokey a", "ZCARD z",
        "ZREM z b c cc neg x i", "EXISTS z", "SET s v", "ZSCORE s a", "ZMSCORE s a", "ZRANK s a",
        "ZREM s a", "ZCOUNT s 0 1", "ZLEXCOUNT s - +", "ZRANGE s 0 1", "ZRANDMEMBER s",
        "ZPOPMIN s", "ZSCAN s 0", "ZREMRANGEBYRANK s 0 1", NULL};
    RUN(steps);
}

/* The same range queries on a compact and a skiplist zset. */
#define RANGE_STEPS(K)                                                                             \
    "ZRANGE " K " 0 -1", "ZRANGE " K " 0 -1 WITHSCORES", "ZRANGE " K " 2 5 withscores",          \
        "ZRANGE " K " -3 -1", "ZRANGE " K " -1000 2", "ZRANGE " K " 5 2", "ZRANGE " K " 500 600", \
        "ZRANGE " K " 0 0 REV WITHSCORES", "ZRANGE " K " 1 4 REV", "ZREVRANGE " K " 0 3",         \
        "ZREVRANGE " K " -2 -1 WITHSCORES", "ZREVRANGE " K " 0 3 LIMIT 0 1",                       \
        "ZRANGE " K " 0 1 LIMIT 0 1", "ZRANGE " K " a 1", "ZRANGE " K " 0 1 BYLEX WITHSCORES",    \
        "ZRANGE " K " 0 1 foo", "ZRANGE " K " 0 1 BYSCORE BYLEX",                                  \
        "ZRANGE " K " 1 5 BYSCORE", "ZRANGE " K " (1 5 BYSCORE WITHSCORES",                      \
        "ZRANGE " K " 1 (5 BYSCORE", "ZRANGE " K " (1 (2 BYSCORE", "ZRANGE " K " -inf +inf BYSCORE LIMIT 2 3", \
        "ZRANGE " K " -inf +inf BYSCORE LIMIT 2 -1", "ZRANGE " K " -inf +inf BYSCORE LIMIT -1 5", \
        "ZRANGE " K " -inf +inf BYSCORE LIMIT 0 0", "ZRANGE " K " -inf +inf BYSCORE LIMIT 1000 1", \
        "ZRANGE " K " 5 1 BYSCORE REV WITHSCORES", "ZRANGE " K " (5 1 BYSCORE REV LIMIT 1 2",     \
        "ZRANGE " K " 5 5 BYSCORE", "ZRANGE " K " (5 5 BYSCORE", "ZRANGE " K " 5 (5 BYSCORE",      \
        "ZRANGE " K " 6 5 BYSCORE", "ZRANGE " K " inf inf BYSCORE WITHSCORES",                     \
        "ZRANGE " K " -inf -inf BYSCORE WITHSCORES", "ZRANGE " K " abc 1 BYSCORE",                \
        "ZRANGE " K " 1 (abc BYSCORE", "ZRANGE " K " '' 1 BYSCORE", "ZRANGE " K " ( 2 BYSCORE",   \
        "ZRANGE " K " ' 1' 2 BYSCORE", "ZRANGE " K " nan 2 BYSCORE", "ZRANGE " K " 0x2 3 BYSCORE", \
        "ZRANGEBYSCORE " K " 1 3", "ZRANGEBYSCORE " K " 1 3 WITHSCORES LIMIT 1 1",                \
        "ZRANGEBYSCORE " K " 1 3 REV", "ZRANGEBYSCORE " K " 1 3 BYSCORE",                         \
        "ZREVRANGEBYSCORE " K " 3 1", "ZREVRANGEBYSCORE " K " +inf -inf LIMIT 0 3 WITHSCORES",    \
        "ZREVRANGEBYSCORE " K " (3 (1", "ZRANGEBYSCORE " K " 1 3 LIMIT 1", "ZRANGEBYSCORE " K " 1 3 LIMIT a 1", \
        "ZCOUNT " K " -inf +inf", "ZCOUNT " K " 1 3", "ZCOUNT " K " (1 (3", "ZCOUNT " K " 3 1",    \
        "ZCOUNT " K " 1.5 1.5", "ZCOUNT " K " (1.5 1.5", "ZCOUNT " K " a b", "ZCOUNT " K " 1000 2000", \
        "ZRANGESTORE dst " K " 0 2", "ZRANGE dst 0 -1 WITHSCORES", "OBJECT ENCODING dst",         \
        "ZRANGESTORE dst " K " 0 -1", "OBJECT ENCODING dst", "ZCARD dst",                         \
        "ZRANGESTORE dst " K " 1 3 BYSCORE REV", "ZRANGESTORE dst " K " 3 1 BYSCORE REV LIMIT 0 1", \
        "ZRANGE dst 0 -1 WITHSCORES", "ZRANGESTORE dst " K " 100 200", "EXISTS dst",              \
        "ZRANGESTORE dst " K " 0 1 WITHSCORES", "ZRANGESTORE dst nokey 0 1", "ZRANGESTORE dst " K " [a [b BYLEX", \
        "ZRANGE nokey 0 -1", "ZRANGE nokey 0 -1 BYSCORE", "ZRANGE nokey a b",                     \
        "OBJECT ENCODING " K

static void test_zset_ranges_compact(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "ZADD z 0 m0 1 m1 2 m2 3 m3 4 m4 5 m5 6 m6 7 m7 1.5 x1 1.5 x2 1.5 x3 -inf ninf +inf pinf",
        RANGE_STEPS("z"), NULL};
    RUN(steps);
}

static void test_zset_ranges_skiplist(void **state)
{
    (void)state;
    static const char *const steps[] = {BIGFILL, RANGE_STEPS("big"), NULL};
    RUN(steps);
}

#define LEX_STEPS(K)                                                                               \
    "ZRANGEBYLEX " K " - +", "ZRANGEBYLEX " K " [b [d", "ZRANGEBYLEX " K " (b (d",                 \
        "ZRANGEBYLEX " K " [b +", "ZRANGEBYLEX " K " - (c", "ZRANGEBYLEX " K " + -",               \
        "ZRANGEBYLEX " K " - -", "ZRANGEBYLEX " K " + +", "ZRANGEBYLEX " K " [d [b",              \
        "ZRANGEBYLEX " K " [c [c", "ZRANGEBYLEX " K " (c [c", "ZRANGEBYLEX " K " [ +",             \
        "ZRANGEBYLEX " K " ( +", "ZRANGEBYLEX " K " - + LIMIT 1 2", "ZRANGEBYLEX " K " - + LIMIT 0 -1", \
        "ZRANGEBYLEX " K " - + LIMIT -1 2", "ZRANGEBYLEX " K " - + LIMIT 100 2",                   \
        "ZRANGEBYLEX " K " b d", "ZRANGEBYLEX " K " [b d", "ZRANGEBYLEX " K " +x -",              \
        "ZRANGEBYLEX " K " '' +", "ZRANGEBYLEX " K " - + WITHSCORES",                             \
        "ZREVRANGEBYLEX " K " + -", "ZREVRANGEBYLEX " K " [d [b", "ZREVRANGEBYLEX " K " (d - LIMIT 1 2", \
        "ZREVRANGEBYLEX " K " [b [d", "ZRANGE " K " [b [e BYLEX", "ZRANGE " K " [e [b BYLEX REV LIMIT 0 2", \
        "ZLEXCOUNT " K " - +", "ZLEXCOUNT " K " [b [d", "ZLEXCOUNT " K " (b (d", "ZLEXCOUNT " K " + -", \
        "ZLEXCOUNT " K " [zz +", "ZLEXCOUNT " K " a b", "ZLEXCOUNT nokey - +", "ZRANGEBYLEX nokey - +"

static void test_zset_lex(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "ZADD z 0 a 0 b 0 bb 0 c 0 d 0 e 0 f 0 ''", LEX_STEPS("z"),
        "ZADD big 0 a 0 b 0 bb 0 c 0 d 0 e 0 f 0 '' 0 g1 0 g2 0 g3 0 g4 0 g5 0 g6 0 g7 0 g8 0 g9 "
        "0 h1 0 h2 0 h3 0 h4 0 h5 0 h6 0 h7 0 h8 0 h9 0 i1 0 i2 0 i3",
        "CONFIG SET zset-max-listpack-entries 4", "ZADD big 0 j1", "OBJECT ENCODING big",
        LEX_STEPS("big"), "CONFIG SET zset-max-listpack-entries 128", NULL};
    RUN(steps);
}

static void test_zset_remrange(void **state)
{
    (void)state;
    static const char *const steps[] = {
        BIGFILL, "ZADD z 0 a 1 b 2 c 3 d 4 e 5 f 6 g",
        "ZREMRANGEBYRANK z 1 2", "ZRANGE z 0 -1", "ZREMRANGEBYRANK z -2 -1", "ZRANGE z 0 -1",
        "ZREMRANGEBYRANK z 5 3", "ZREMRANGEBYRANK z 100 200", "ZREMRANGEBYRANK z a 1",
        "ZREMRANGEBYSCORE z (0 4", "ZRANGE z 0 -1 WITHSCORES", "ZREMRANGEBYSCORE z x 1",
        "ZREMRANGEBYSCORE z -inf +inf", "EXISTS z", "ZREMRANGEBYRANK nokey 0 1",
        "ZREMRANGEBYSCORE nokey 0 1", "ZREMRANGEBYLEX nokey - +",
        "ZADD l 0 a 0 b 0 c 0 d 0 e", "ZREMRANGEBYLEX l [b (d", "ZRANGE l 0 -1",
        "ZREMRANGEBYLEX l x y", "ZREMRANGEBYLEX l - +", "EXISTS l",
        "ZREMRANGEBYRANK big 10 19", "ZCARD big", "ZRANGE big 8 12 WITHSCORES",
        "ZREMRANGEBYSCORE big (100 120", "ZRANGE big 85 95 WITHSCORES", "ZCARD big",
        "ZREMRANGEBYSCORE big -inf -inf", "ZREMRANGEBYRANK big -1 -1", "ZRANGE big -3 -1 WITHSCORES",
        "ZREMRANGEBYLEX big [m130 [m140", "ZCARD big", "OBJECT ENCODING big",
        "ZREMRANGEBYRANK big 0 -1", "EXISTS big", NULL};
    RUN(steps);
}

static void test_zset_pops(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "ZADD z 1 a 2 b 3 c 4 d 5 e", "ZPOPMIN z", "ZPOPMAX z", "ZPOPMIN z 2", "ZPOPMAX z 0",
        "ZPOPMIN z 10", "EXISTS z", "ZPOPMIN z", "ZPOPMIN z 3", "ZPOPMIN nokey 0",
        "ZPOPMIN z -1", "ZPOPMIN z abc", "ZPOPMIN z 1 2", "ZADD z 1 a", "ZPOPMAX z 1",
        BIGFILL, "ZPOPMIN big", "ZPOPMAX big 3", "ZPOPMIN big 5", "ZCARD big",
        "ZMPOP 1 big MIN", "ZMPOP 1 big MAX COUNT 3", "ZMPOP 2 nokey big MIN COUNT 2",
        "ZMPOP 2 nokey nokey2 MIN", "ZMPOP 0 big MIN", "ZMPOP -1 big MIN", "ZMPOP a big MIN",
        "ZMPOP 1 big", "ZMPOP 1 big FOO", "ZMPOP 1 big MIN COUNT 0", "ZMPOP 1 big MIN COUNT -1",
        "ZMPOP 1 big MIN COUNT", "ZMPOP 1 big MIN COUNT 1 COUNT 1", "ZMPOP 5 big MIN",
        "ZMPOP 1 big max count 1000", "EXISTS big", "SET s x", "ZMPOP 2 nokey s MIN",
        "ZMPOP 2 s nokey MIN", "BZPOPMIN s 0", "BZPOPMIN nokey s 0",
        "ZADD z2 1 a 2 b", "BZPOPMIN nokey z2 0", "BZPOPMAX z2 0", "BZPOPMIN z2 abc",
        "BZPOPMIN z2 -1", "ZADD z2 3 c 4 d 5 e", "BZMPOP 0 1 z2 MIN", "BZMPOP 0 2 nokey z2 MAX COUNT 2",
        "BZMPOP 0 0 z2 MIN", "BZMPOP x 1 z2 MIN", "BZMPOP 0 1 z2 FOO", "BZMPOP 0.01 1 nokey MIN",
        "BZPOPMIN nokey 0.01", "BZPOPMAX nokey 0.01", NULL};
    RUN(steps);
}

static void test_zset_setops(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "ZADD a 1 x 2 y 3 z", "ZADD b 10 y 20 z 30 w", "ZADD c 100 z 200 q",
        "ZUNION 2 a b", "ZUNION 2 a b WITHSCORES", "ZUNION 3 a b c WITHSCORES",
        "ZUNION 2 a b WEIGHTS 2 3 WITHSCORES", "ZUNION 2 a b AGGREGATE MIN WITHSCORES",
        "ZUNION 2 a b AGGREGATE max WITHSCORES", "ZUNION 2 a b WEIGHTS 1 WITHSCORES",
        "ZUNION 2 a b WEIGHTS 1 x", "ZUNION 2 a b AGGREGATE foo", "ZUNION 2 a b AGGREGATE",
        "ZUNION 2 a nokey WITHSCORES", "ZUNION 0 a", "ZUNION -1 a", "ZUNION x a", "ZUNION 3 a b",
        "ZUNION 1 a WITHSCORES foo", "ZINTER 2 a b WITHSCORES", "ZINTER 3 a b c WITHSCORES",
        "ZINTER 2 a b WEIGHTS 0.5 -1 AGGREGATE SUM WITHSCORES", "ZINTER 2 a nokey",
        "ZINTER 2 a a WITHSCORES", "ZINTER 2 a b AGGREGATE MAX", "ZDIFF 2 a b WITHSCORES",
        "ZDIFF 3 b a c WITHSCORES", "ZDIFF 2 a a", "ZDIFF 1 a", "ZDIFF 2 a b WEIGHTS 1 2",
        "ZDIFF 2 a b AGGREGATE SUM", "ZDIFF 2 nokey a",
        "ZUNIONSTORE d 2 a b", "ZRANGE d 0 -1 WITHSCORES", "OBJECT ENCODING d",
        "ZUNIONSTORE d 2 a b WEIGHTS 1 2 AGGREGATE MAX", "ZRANGE d 0 -1 WITHSCORES",
        "ZUNIONSTORE d 2 a b WITHSCORES", "ZINTERSTORE d 2 a b", "ZRANGE d 0 -1 WITHSCORES",
        "ZINTERSTORE d 2 a c", "ZRANGE d 0 -1 WITHSCORES", "ZINTERSTORE d 2 a nokey", "EXISTS d",
        "ZDIFFSTORE d 2 a b", "ZRANGE d 0 -1 WITHSCORES", "ZDIFFSTORE d 2 a a", "EXISTS d",
        "ZUNIONSTORE a 2 a b", "ZRANGE a 0 -1 WITHSCORES", "ZUNIONSTORE d 0 a",
        "ZINTERSTORE d 0 a", "ZDIFFSTORE d 0 a",
        "ZADD inf1 inf x -inf y", "ZADD inf2 -inf x inf y", "ZUNION 2 inf1 inf2 WITHSCORES",
        "ZINTER 2 inf1 inf2 WITHSCORES", "ZUNION 2 inf1 inf2 WEIGHTS 0 1 WITHSCORES",
        "ZINTERCARD 2 a b", "ZINTERCARD 3 a b c", "ZINTERCARD 2 a b LIMIT 1",
        "ZINTERCARD 2 a b LIMIT 0", "ZINTERCARD 2 a b LIMIT -1", "ZINTERCARD 2 a b LIMIT x",
        "ZINTERCARD 0 a", "ZINTERCARD -1 a", "ZINTERCARD 3 a b", "ZINTERCARD 2 a b WEIGHTS 1 1",
        "ZINTERCARD 1 nokey", "SET s x", "ZUNION 2 a s", "ZINTERCARD 2 s a",
        "ZUNIONSTORE s 1 a", "TYPE s", "SET s2 x", "EXPIRE d 100", "ZUNIONSTORE d 1 b", "TTL d",
        NULL};
    RUN(steps);
}

static void test_zset_setops_big(void **state)
{
    (void)state;
    static const char *const steps[] = {
        BIGFILL, "ZADD small 1000 m001 2000 m002 3 newmember",
        "ZUNIONSTORE u 2 big small", "OBJECT ENCODING u", "ZCARD u", "ZRANGE u 0 10 WITHSCORES",
        "ZRANGE u -5 -1 WITHSCORES", "ZINTERSTORE i 2 big small WEIGHTS 1 0.5", "OBJECT ENCODING i",
        "ZRANGE i 0 -1 WITHSCORES", "ZDIFFSTORE df 2 big small", "OBJECT ENCODING df", "ZCARD df",
        "ZINTER 2 small big WITHSCORES", "ZDIFF 2 small big WITHSCORES",
        "ZADD longm 1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "OBJECT ENCODING longm", "ZUNIONSTORE u2 2 longm small", "OBJECT ENCODING u2",
        "ZRANGESTORE r2 longm 0 -1", "OBJECT ENCODING r2", NULL};
    RUN(steps);
}

/* Plain sets count as sorted sets with every score 1, in every set
 * encoding (intset, listpack, hashtable). */
static void test_zset_setops_with_plain_sets(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "SADD si 1 2 3 40", "SADD sl a b c 2", "ZADD z 5 a 7 2 9 zz",
        "SADD sh h0 h1 h2 h3 h4 h5 h6 h7 h8 h9 h10 h11 h12 h13 h14 h15 h16 h17 h18 h19 h20 h21 "
        "h22 h23 h24 h25 h26 h27 h28 h29 h30 h31 h32 h33 h34 h35 h36 h37 h38 h39 h40 h41 h42 h43 "
        "h44 h45 h46 h47 h48 h49 h50 h51 h52 h53 h54 h55 h56 h57 h58 h59 h60 h61 h62 h63 h64 h65 "
        "h66 h67 h68 h69 h70 h71 h72 h73 h74 h75 h76 h77 h78 h79 h80 h81 h82 h83 h84 h85 h86 h87 "
        "h88 h89 h90 h91 h92 h93 h94 h95 h96 h97 h98 h99 h100 h101 h102 h103 h104 h105 h106 h107 "
        "h108 h109 h110 h111 h112 h113 h114 h115 h116 h117 h118 h119 h120 h121 h122 h123 h124 "
        "h125 h126 h127 h128 a",
        "ZUNION 3 si sl z WITHSCORES", "ZUNION 2 si sl WEIGHTS 2 3 WITHSCORES",
        "ZINTER 2 sl z WITHSCORES", "ZINTER 2 z sl AGGREGATE MAX WITHSCORES",
        "ZDIFF 2 sl z WITHSCORES", "ZDIFF 2 z si WITHSCORES", "ZINTERCARD 2 sl si",
        "ZINTER 2 sh z WITHSCORES", "ZUNIONSTORE d 2 sh z", "ZCARD d", "OBJECT ENCODING d",
        "ZRANGE d 0 3 WITHSCORES", "ZINTERSTORE d 2 si sl", "ZRANGE d 0 -1 WITHSCORES",
        "OBJECT ENCODING d", "ZDIFFSTORE d 2 sh z", "ZCARD d", "ZUNION 1 si WITHSCORES", NULL};
    RUN(steps);
}

static void test_zset_encoding_conversion(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "ZADD z 1 a", "OBJECT ENCODING z",
        "ZADD z 2 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "OBJECT ENCODING z",
        "ZREM z aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "OBJECT ENCODING z",
        "ZADD y 1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "OBJECT ENCODING y",
        "CONFIG SET zset-max-listpack-entries 3", "ZADD w 1 a 2 b 3 c", "OBJECT ENCODING w",
        "ZADD w 4 d", "OBJECT ENCODING w", "ZRANGE w 0 -1 WITHSCORES", "ZADD w2 1 a 2 b 3 c",
        "ZADD w2 XX 4 d", "ZADD w2 4 c", "OBJECT ENCODING w2",
        "CONFIG SET zset-max-listpack-entries 0", "ZADD v 1 a", "OBJECT ENCODING v",
        "CONFIG SET zset-max-listpack-entries 128", "CONFIG SET zset-max-listpack-value 2",
        "ZADD u 1 abc", "OBJECT ENCODING u", "ZADD u2 1 ab 2 abc", "OBJECT ENCODING u2",
        "CONFIG SET zset-max-listpack-value 64", "ZINCRBY t 1 a", "OBJECT ENCODING t", NULL};
    RUN(steps);
}

static void test_zset_random_by_shape(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "ZADD one 5 only", "ZRANDMEMBER one", "ZRANDMEMBER one 1", "ZRANDMEMBER one 1 WITHSCORES",
        "ZRANDMEMBER one -3 WITHSCORES", "ZRANDMEMBER one 5 WITHSCORES", "ZRANDMEMBER nokey",
        "ZRANDMEMBER nokey 5", "ZRANDMEMBER one 0", "ZRANDMEMBER one x",
        "ZRANDMEMBER one 1 foo", "ZRANDMEMBER one 1 WITHSCORES x",
        "ZRANDMEMBER one -9223372036854775808", "ZRANDMEMBER one 9223372036854775807 WITHSCORES",
        "ZRANDMEMBER one -4611686018427387904 WITHSCORES",
        "ZADD z 1 a 2 b 3 c 4 d 5 e 6 f", "ZRANDMEMBER z 10 WITHSCORES", "ZRANDMEMBER z 6",
        "%s ZRANDMEMBER z", "%s ZRANDMEMBER z 3", "%s ZRANDMEMBER z 2 WITHSCORES",
        "%s ZRANDMEMBER z -20 WITHSCORES", "%s ZRANDMEMBER z 5", BIGFILL,
        "%s ZRANDMEMBER big 10 WITHSCORES", "%s ZRANDMEMBER big 100", "%s ZRANDMEMBER big -5",
        "ZRANDMEMBER big 1000 WITHSCORES", "%s ZRANDMEMBER big", NULL};
    RUN(steps);
}

static void test_zset_scan_compact(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "ZADD z 1 a 2.5 b inf c -0 d 0.1 e 1e100 f", "ZSCAN z 0", "ZSCAN z 0 COUNT 1",
        "ZSCAN z 0 MATCH [ab]", "ZSCAN z 0 MATCH * COUNT 100", "ZSCAN z 0 COUNT 0",
        "ZSCAN z 0 COUNT x", "ZSCAN z 0 TYPE zset", "ZSCAN z 0 MATCH", "ZSCAN z x",
        "ZSCAN z -1", "ZSCAN nokey 0", "ZSCAN nokey 0 FOO", NULL};
    RUN(steps);
}

/* The replies of a skiplist ZSCAN depend on hash order: iterate to the end
 * and check that every member came back with its score. */
static void test_zset_scan_skiplist_full_iteration(void **state)
{
    (void)state;
    h_conn *c = h_connect(respd_srv.port, 2000);
    assert_non_null(c);
    free(h_call(c, "DEL bigscan"));
    for (int i = 0; i < 500; i++)
        free(h_callf(c, "ZADD bigscan %d.5 mem%d", i, i));
    char *enc = h_call(c, "OBJECT ENCODING bigscan");
    assert_string_equal(enc, "$8\r\nskiplist\r\n");
    free(enc);
    char seen[500] = {0};
    char cursor[32] = "0";
    int rounds = 0;
    do {
        char *r = h_callf(c, "ZSCAN bigscan %s COUNT 20", cursor);
        assert_non_null(r);
        /* *2 $n cursor *m ... */
        char *p = strstr(r, "\r\n") + 2;
        p = strstr(p, "\r\n") + 2;
        char *e = strstr(p, "\r\n");
        snprintf(cursor, sizeof(cursor), "%.*s", (int)(e - p), p);
        p = e + 2;
        long n = strtol(p + 1, &p, 10);
        p += 2;
        for (long i = 0; i < n; i += 2) {
            long l = strtol(p + 1, &p, 10);
            p += 2;
            int idx = atoi(p + 3);
            char member[32], score[32];
            snprintf(member, sizeof(member), "%.*s", (int)l, p);
            p += l + 2;
            long sl = strtol(p + 1, &p, 10);
            p += 2;
            snprintf(score, sizeof(score), "%.*s", (int)sl, p);
            p += sl + 2;
            char want[32];
            snprintf(want, sizeof(want), "%d.5", idx);
            assert_string_equal(score, want);
            seen[idx] = 1;
        }
        free(r);
        assert_true(++rounds < 10000);
    } while (strcmp(cursor, "0") != 0);
    for (int i = 0; i < 500; i++)
        assert_int_equal(seen[i], 1);
    free(h_call(c, "ZSCAN bigscan 0 MATCH mem1?? COUNT 1000"));
    h_close(c);
}

static void test_zset_wrongtype_and_arity(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "LPUSH l a", "ZADD l 1 a", "ZINCRBY l 1 a", "ZRANGE l 0 1", "ZRANGESTORE d l 0 1",
        "ZCARD l", "ZUNION 1 l", "ZINTERSTORE d 1 l", "ZDIFF 1 l", "ZMPOP 1 l MIN",
        "ZREMRANGEBYLEX l - +", "ZRANDMEMBER l", "ZRANDMEMBER l 2", "ZPOPMAX l",
        "ZADD", "ZADD k", "ZADD k 1", "ZCARD", "ZSCORE k", "ZRANGE k 0", "ZRANGESTORE d k 0",
        "ZPOPMIN", "BZPOPMIN k", "ZMPOP 1 k", "BZMPOP 0 1 k", "ZUNION 1", "ZUNIONSTORE d 1",
        "ZINTERCARD 1", "ZSCAN k", "ZRANDMEMBER", "ZREMRANGEBYRANK k 0",
        "COMMAND GETKEYS ZUNIONSTORE d 2 a b", "COMMAND GETKEYS ZUNION 2 a b WITHSCORES",
        "COMMAND GETKEYS ZMPOP 2 a b MIN", "COMMAND GETKEYS BZMPOP 0 2 a b MIN",
        "COMMAND GETKEYS BZPOPMIN a b c 0", "COMMAND GETKEYS ZRANGESTORE d s 0 1",
        "COMMAND GETKEYS ZINTERCARD 2 a b", NULL};
    RUN(steps);
}

static void test_zset_binary_and_scores(void **state)
{
    (void)state;
    static const char *const steps[] = {
        "ZADD z 1 \"a\\x00b\" 1 \"a\\x00a\" 1 a 1 \"\" 1 \"\\xff\"", "ZRANGE z 0 -1",
        "ZRANGEBYLEX z \"[a\\x00\" +", "ZSCORE z \"a\\x00b\"", "ZRANK z \"\\xff\"",
        "ZADD s 3.14159265358979 pi 2.718281828459045 e 1e-10 tiny -1e-300 ntiny 4503599627370496 p52 "
        "9007199254740993 p53 123456789.123456789 mixed",
        "ZRANGE s 0 -1 WITHSCORES", "ZSCAN s 0", "ZINCRBY s 0.1 e", "ZINCRBY s 1e308 p52",
        "ZINCRBY s 1e308 p52", "ZINCRBY s -inf p52", "ZADD s INCR inf p52", "ZSCORE s p52",
        "ZRANGEBYSCORE z \"1\\x00junk\" 1", NULL};
    RUN(steps);
}

/* ---- blocking ------------------------------------------------------------------ */

static char *call_on(int port, const char *line)
{
    h_conn *c = h_connect(port, 2000);
    char *r = h_call(c, line);
    h_close(c);
    return r;
}

/* A client blocked by BZPOPMIN on two keys is served by a ZADD from
 * another client, with the same bytes as Redis, in both protocols. */
static void test_zset_bzpop_served(void **state)
{
    (void)state;
    if (!have_redis)
        skip();
    const char *cmds[] = {"BZPOPMIN bk1 bk2 5", "BZPOPMAX bk1 bk2 5", "BZMPOP 5 2 bk1 bk2 MAX COUNT 2"};
    for (int proto = 2; proto <= 3; proto++) {
        for (size_t k = 0; k < 3; k++) {
            char *out[2];
            int ports[2] = {respd_srv.port, redis_srv.port};
            for (int s = 0; s < 2; s++) {
                free(call_on(ports[s], "DEL bk1 bk2"));
                h_conn *b = h_connect(ports[s], 2000);
                if (proto == 3)
                    free(h_call(b, "HELLO 3"));
                size_t n;
                char *req = h_request(cmds[k], &n);
                assert_non_null(req);
                assert_int_equal(h_send(b, req, n), 0);
                free(req);
                assert_true(h_no_data(b, 100));
                free(call_on(ports[s], "ZADD bk2 1 a 2 b 3 c"));
                assert_int_equal(h_read_reply(b, 2000, &out[s], &n), 0);
                h_close(b);
            }
            if (strcmp(out[0], out[1]) != 0)
                fail_msg("%s resp%d: respd %s redis %s", cmds[k], proto, out[0], out[1]);
            free(out[0]);
            free(out[1]);
        }
    }
}

static void test_zset_bzpop_timeout(void **state)
{
    (void)state;
    h_conn *b = h_connect(respd_srv.port, 2000);
    free(h_call(b, "DEL tk"));
    long long t0 = h_now_ms();
    char *r = h_call(b, "BZPOPMIN tk 0.2");
    long long dt = h_now_ms() - t0;
    assert_string_equal(r, "*-1\r\n");
    free(r);
    assert_true(dt >= 150 && dt < 2000);
    free(h_call(b, "HELLO 3"));
    r = h_call(b, "BZMPOP 0.1 1 tk MIN");
    assert_string_equal(r, "_\r\n");
    free(r);
    h_close(b);
}

/* A blocked client that disconnects leaves no trace: the next ZADD stays. */
static void test_zset_bzpop_disconnect_while_blocked(void **state)
{
    (void)state;
    h_conn *b = h_connect(respd_srv.port, 2000);
    free(h_call(b, "DEL dk"));
    assert_int_equal(h_send_str(b, "*3\r\n$8\r\nBZPOPMIN\r\n$2\r\ndk\r\n$1\r\n0\r\n"), 0);
    assert_true(h_no_data(b, 100));
    h_close(b);
    h_sleep_ms(100);
    h_conn *c = h_connect(respd_srv.port, 2000);
    free(h_call(c, "ZADD dk 1 a"));
    char *r = h_call(c, "ZCARD dk");
    assert_string_equal(r, ":1\r\n");
    free(r);
    r = h_call(c, "INFO clients");
    assert_non_null(strstr(r, "blocked_clients:0"));
    free(r);
    free(h_call(c, "DEL dk"));
    h_close(c);
}

/* ---- AOF ------------------------------------------------------------------------ */

static int file_contains(const char *path, const char *needle)
{
    size_t n;
    char *buf = h_read_file(path, &n);
    int found = buf && memmem(buf, n, needle, strlen(needle)) != NULL;
    free(buf);
    return found;
}

static char *dump(h_conn *c)
{
    /* Both encodings, every score exactly (RESP3 doubles). */
    size_t cap = 1 << 16, len = 0;
    char *out = calloc(1, cap);
    const char *keys[] = {"a", "b", "c", "p", "e"};
    for (int i = 0; i < 5; i++) {
        char *r = h_callf(c, "ZRANGE %s 0 -1 WITHSCORES", keys[i]);
        char *enc = h_callf(c, "OBJECT ENCODING %s", keys[i]);
        size_t need = strlen(r) + strlen(enc) + 1;
        if (len + need >= cap)
            out = realloc(out, cap = (len + need) * 2);
        len += (size_t)sprintf(out + len, "%s%s", r, enc);
        free(r);
        free(enc);
    }
    return out;
}

static void test_zset_aof_round_trip(void **state)
{
    (void)state;
    char dir[128];
    assert_int_equal(h_mktempdir(dir, sizeof(dir)), 0);
    const char *extra[] = {"--appendonly", "yes", "--dir", dir, "--appendfsync", "always", NULL};
    h_server s;
    assert_int_equal(h_respd_start(&s, NULL, extra), 0);
    h_conn *c = h_connect(s.port, 2000);
    free(h_call(c, "ZADD a 0.1 x 1e-300 y 3.141592653589793 z inf i -inf ni -0 nz"));
    for (int i = 0; i < 300; i++)
        free(h_callf(c, "ZADD b %d.25 m%d", i, i));
    free(h_call(c, "ZINCRBY a 0.2 x"));
    free(h_call(c, "ZADD c 1 a 2 b 3 c 4 d"));
    free(h_call(c, "ZPOPMIN c"));
    free(h_call(c, "ZMPOP 1 c MAX COUNT 1"));
    free(h_call(c, "ZADD p 5 five 6 six"));
    free(h_call(c, "BZPOPMAX p 0"));
    free(h_call(c, "ZREMRANGEBYSCORE b 10 20"));
    free(h_call(c, "ZUNIONSTORE e 2 a c WEIGHTS 2 3"));
    char *before = dump(c);
    char path[256];
    snprintf(path, sizeof(path), "%s/appendonly.aof", dir);
    /* The blocking pop was written as the plain pop it performed. */
    assert_true(file_contains(path, "ZPOPMAX\r\n$1\r\np\r\n"));
    assert_false(file_contains(path, "BZPOPMAX"));
    assert_false(file_contains(path, "ZMPOP"));
    h_close(c);
    h_server_stop_keep(&s);

    /* Replay of the command log. */
    assert_int_equal(h_respd_start(&s, NULL, extra), 0);
    c = h_connect(s.port, 2000);
    char *after = dump(c);
    assert_string_equal(before, after);
    free(after);
    /* Rewrite, then replay of the rewritten file. */
    free(h_call(c, "BGREWRITEAOF"));
    for (int i = 0; i < 100; i++) {
        char *info = h_call(c, "INFO persistence");
        int done = strstr(info, "aof_rewrite_in_progress:0") && !strstr(info, "aof_rewrite_scheduled:1");
        free(info);
        if (done)
            break;
        h_sleep_ms(50);
    }
    h_sleep_ms(100);
    assert_true(file_contains(path, "ZADD"));
    h_close(c);
    h_server_stop_keep(&s);
    assert_int_equal(h_respd_start(&s, NULL, extra), 0);
    c = h_connect(s.port, 2000);
    after = dump(c);
    assert_string_equal(before, after);
    free(after);
    free(before);
    h_close(c);
    h_server_stop(&s);
    h_server_cleanup(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zset_zadd_options),
        cmocka_unit_test(test_zset_read_commands),
        cmocka_unit_test(test_zset_ranges_compact),
        cmocka_unit_test(test_zset_ranges_skiplist),
        cmocka_unit_test(test_zset_lex),
        cmocka_unit_test(test_zset_remrange),
        cmocka_unit_test(test_zset_pops),
        cmocka_unit_test(test_zset_setops),
        cmocka_unit_test(test_zset_setops_big),
        cmocka_unit_test(test_zset_setops_with_plain_sets),
        cmocka_unit_test(test_zset_encoding_conversion),
        cmocka_unit_test(test_zset_random_by_shape),
        cmocka_unit_test(test_zset_scan_compact),
        cmocka_unit_test(test_zset_scan_skiplist_full_iteration),
        cmocka_unit_test(test_zset_wrongtype_and_arity),
        cmocka_unit_test(test_zset_binary_and_scores),
        cmocka_unit_test(test_zset_bzpop_served),
        cmocka_unit_test(test_zset_bzpop_timeout),
        cmocka_unit_test(test_zset_bzpop_disconnect_while_blocked),
        cmocka_unit_test(test_zset_aof_round_trip),
    };
    return cmocka_run_group_tests(tests, hdiff_group_setup, hdiff_group_teardown);
}
