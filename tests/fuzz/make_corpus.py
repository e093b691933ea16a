#!/usr/bin/env python3
"""Writes the hand-made seeds of tests/fuzz/corpus/ (resp, aof, exec) and the
regression inputs of tests/fuzz/regress/.

    python3 tests/fuzz/make_corpus.py            # (re)write the seeds
    python3 tests/fuzz/make_corpus.py --exec FILE.txt OUT   # encode one script

Seeds are written as seed-<name>; files the fuzzers added (merged, with hash
names) are left alone. The exec seeds are written in the stable named form
of fuzz_exec.c's input format, from scripts of one step per line:

    set a 1                 a command, by name ("config|get" for a subcommand);
                            arguments split on spaces, \\xHH for any byte, ""
                            for an empty argument
    @client 1               the next commands come from client 1
    @ms 1500 / @sec 20      advance the clock (then blocked clients time out)
    @expire @reconnect @rehash
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def resp_cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


# ---- resp: header byte, cut offsets, then the stream ----------------------

def resp_seed(stream, cuts=(), unauth=False, small_bulk=False):
    hdr = len(cuts) | (8 if unauth else 0) | (16 if small_bulk else 0)
    out = bytes([hdr])
    for c in cuts:
        out += bytes([c & 0xFF, (c >> 8) & 0xFF])
    return out + stream


RESP_SEEDS = {
    "multibulk": resp_seed(resp_cmd("SET", "key", "value"), cuts=(1, 5, 12)),
    "pipeline": resp_seed(resp_cmd("PING") + resp_cmd("GET", "a") + resp_cmd("MSET", "a", "1", "b", "2"),
                          cuts=(3, 14, 30, 31)),
    "inline": resp_seed(b"SET a 1\r\nGET a\nPING\r\n\r\n\n", cuts=(4, 9)),
    "inline-quotes": resp_seed(b'SET "a b" \'c d\' "\\x41\\n\\t" x"y z"w\r\n', cuts=(6,)),
    "inline-unbalanced": resp_seed(b'SET "a b\r\n'),
    "empty-requests": resp_seed(b"*0\r\n*-1\r\n\r\n*1\r\n$0\r\n\r\n", cuts=(2, 7)),
    "binary-bulk": resp_seed(resp_cmd("SET", b"k\x00\r\n", b"\x00\xff\r\n\r\n"), cuts=(10, 20)),
    "big-count": resp_seed(b"*2147483647\r\n$1\r\na\r\n"),
    "count-too-big": resp_seed(b"*2147483648\r\n"),
    "bad-dollar": resp_seed(b"*2\r\n$3\r\nGET\r\n:1\r\n"),
    "negative-bulk": resp_seed(b"*1\r\n$-1\r\n"),
    "bulk-limit": resp_seed(b"*1\r\n$65\r\n" + b"x" * 65 + b"\r\n", small_bulk=True),
    "bulk-missing": resp_seed(b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$100\r\nabc", cuts=(20, 30)),
    "unauth": resp_seed(b"*11\r\n" + b"$1\r\nx\r\n" * 11 + b"*1\r\n$16385\r\n", unauth=True),
    "nul-in-line": resp_seed(b"*1\x00\r\n$1\r\na\r\n", cuts=(2,)),
    "cr-without-lf": resp_seed(b"*1\rX$4\rXPING\r\n*1\r\n$4\r\nPING\r\n", cuts=(3, 9)),
    "mixed": resp_seed(b"PING\r\n" + resp_cmd("ECHO", "hi") + b"GET a\r\n" + resp_cmd("PING"),
                       cuts=(1, 2, 6, 7, 20, 40, 41)),
}


# ---- aof: AOF files as respd writes them ----------------------------------

def aof(*cmds):
    return b"".join(resp_cmd(*c) for c in cmds)


ALL_TYPES = aof(
    ("SELECT", "0"),
    ("SET", "s", "hello"), ("SET", "n", "12345"),
    ("SET", "e", "v", "PXAT", "9999999999999"),
    ("RPUSH", "l", "a", "b", "1", "2", "c"),
    ("SADD", "si", "1", "2", "3"), ("SADD", "ss", "x", "y", "z"),
    ("HSET", "h", "f1", "v1", "f2", "2"),
    ("ZADD", "z", "1", "a", "2.5", "b", "-inf", "c"),
    ("PEXPIREAT", "h", "9999999999999"),
    ("SELECT", "3"),
    ("MSET", "x", "1", "y", "2"),
    ("INCR", "x"), ("APPEND", "y", "tail"),
    ("LPOP", "l"), ("SREM", "ss", "x"), ("HDEL", "h", "f1"), ("ZREM", "z", "c"),
)

AOF_SEEDS = {
    "all-types": ALL_TYPES,
    "torn-tail": ALL_TYPES + b"*3\r\n$3\r\nSET\r\n$1\r\nq",
    # A transaction's writes framed by MULTI/EXEC, SELECT inside; and a file
    # that ends inside a transaction (none of it may load).
    "transaction": aof(("SET", "x", "1"), ("MULTI",), ("SET", "a", "1"), ("SELECT", "2"),
                       ("INCR", "a"), ("EXEC",), ("DEL", "x")),
    "torn-transaction": aof(("SET", "x", "1"), ("MULTI",), ("SET", "a", "1"), ("INCR", "x")),
    "zero-tail": ALL_TYPES + b"\x00" * 64,
    "expired": aof(("SELECT", "0"), ("SET", "a", "1", "PXAT", "1000"),
                   ("RPUSH", "b", "x"), ("PEXPIREAT", "b", "1000"), ("DEL", "a")),
    # Past the listpack limits (128 entries, 64-byte values): each type
    # converts to its large encoding while loading.
    "large-values": aof(("SELECT", "1"), ("RPUSH", "l", *["e%d" % i for i in range(130)]),
                        ("HSET", "h", *[x for i in range(130) for x in ("f%d" % i, "v")]),
                        ("HSET", "h2", "f", "v" * 70),
                        ("SADD", "s", *[str(i) for i in range(130)]), ("SADD", "s", "x"),
                        ("ZADD", "z", *[x for i in range(130) for x in (str(i / 3), "m%d" % i)])),
    "moves": aof(("SELECT", "0"), ("SET", "a", "1"), ("MOVE", "a", "2"), ("SWAPDB", "0", "2"),
                 ("COPY", "a", "b", "DB", "5"), ("RENAME", "a", "c"), ("FLUSHDB",),
                 ("SELECT", "5"), ("LMOVE", "nope", "x", "LEFT", "RIGHT")),
    "bad-type-byte": ALL_TYPES + b"+OK\r\n" + ALL_TYPES,
    "corrupt-length": aof(("SET", "a", "1")) + b"*3\r\n$3\r\nSET\r\n$400\r\nx\r\n$1\r\n1\r\n" +
                      aof(("SET", "b", "2")),
    "unknown-command": aof(("SET", "a", "1"), ("NOPE", "x")),
    "wrong-arity": aof(("SET", "a", "1"), ("SET", "b")),
    "blocking-forms": aof(("RPUSH", "l", "a"), ("BLPOP", "l", "0"), ("BLPOP", "l", "0"),
                          ("ZADD", "z", "1", "m"), ("BZPOPMIN", "z", "0")),
}


# ---- exec: scripts in the named form --------------------------------------

def unescape(tok):
    if tok == '""':
        return b""
    out = bytearray()
    i = 0
    while i < len(tok):
        if tok[i] == "\\" and i + 3 < len(tok) + 0 and tok[i + 1] == "x":
            out.append(int(tok[i + 2:i + 4], 16))
            i += 4
        else:
            out += tok[i].encode()
            i += 1
    return bytes(out)


def literal(arg):
    if len(arg) <= 31:
        return bytes([0xE0 + len(arg)]) + arg
    return bytes([0xDE, len(arg) & 0xFF, len(arg) >> 8]) + arg


def encode_exec(text):
    out = bytearray()
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split()
        if words[0] == "@client":
            out += bytes([0xF2, int(words[1])])
        elif words[0] in ("@ms", "@sec"):
            v = int(words[1])
            v = v if words[0] == "@ms" else 0x8000 | v
            assert (words[0] == "@ms" and v < 0x8000) or (words[0] == "@sec" and v < 0x10000)
            out += bytes([0xF1, v & 0xFF, v >> 8])
        elif words[0] == "@expire":
            out.append(0xF3)
        elif words[0] == "@reconnect":
            out.append(0xF4)
        elif words[0] == "@rehash":
            out.append(0xF5)
        else:
            name = words[0].lower().encode()
            args = [unescape(w) for w in words[1:]]
            assert len(args) < 128
            out += bytes([0xF0, len(name)]) + name + bytes([0x80 | len(args)])
            for a in args:
                out += literal(a)
    return bytes(out)


EXEC_SEEDS = {
    "eviction": """
        set a 1
        set b 2 EX 100
        rpush l x y z
        hset h f v
        zadd z 1 m
        sadd s 1 2 3
        watch a
        config|set maxmemory-policy volatile-lru
        config|set maxmemory 1
        set c 3
        get a
        multi
        get a
        exec
        config|set maxmemory-policy allkeys-lfu
        object|freq a
        config|set lfu-log-factor 0
        lpush l2 q
        config|set maxmemory-policy volatile-ttl
        config|set maxmemory 0
        set t1 v EX 10
        set t2 v EX 20
        config|set maxmemory 1
        get t1
        config|set maxmemory-policy allkeys-random
        dbsize
        config|set maxmemory-policy allkeys-lru
        config|set maxmemory 0
        set n 1
        object|idletime n
        config|set maxmemory-eviction-tenacity 0 maxmemory-samples 1
        config|set maxmemory 1
        sadd s2 x
    """,
    "transactions": """
        watch a
        @client 1
        set a 1
        @client 0
        multi
        set a 2
        incr a
        blpop q 1
        lpush q x
        rpop q
        exec
        multi
        get
        exec
        watch b
        multi
        sadd s m
        discard
        multi
        set c 1 PX 10
        select 1
        zadd z 1 m
        exec
        select 0
        @client 1
        blpop l 0
        @client 0
        multi
        rpush l a
        lpop l
        rpush l b
        exec
        set e 1 PX 50
        watch e
        @ms 100
        multi
        ping
        exec
        unwatch
    """,
    "strings": """
        set a 1
        incr a
        incrbyfloat a 1.5
        append a xyz
        setrange b 5 hello
        getrange b 0 -1
        set c v EX 10 GET
        getex c PERSIST
        psetex d 100 x
        mset a 1 b 2 e 3
        msetnx x 1 a 2
        getdel e
        strlen b
        @ms 200
        get d
        set a 12345678901234567890
        decrby a 1
    """,
    "lists": """
        rpush a x y z 1 2 3
        lpush a 0
        linsert a BEFORE z q
        lset a 0 first
        lrem a 0 y
        ltrim a 1 -2
        lpos a 2 RANK -1 COUNT 0
        lmove a b LEFT RIGHT
        rpoplpush a a
        lmpop 2 a b RIGHT COUNT 2
        lrange b 0 -1
        lindex a -1
        lpop a 100
        llen b
    """,
    "list-encodings": """
        config|set list-max-listpack-size 4
        rpush a 1 2 3 4 5 6 7 8 9 10
        object encoding a
        lrem a 0 5
        ltrim a 0 1
        object encoding a
        config|set list-max-listpack-size -1
        rpush b %s
        object encoding b
    """ % ("x" * 5000),
    "hashes": """
        hset a f1 v1 f2 v2 n 5
        hsetnx a f1 no
        hincrby a n 10
        hincrbyfloat a n 0.5
        hmget a f1 nope n
        hdel a f2
        hstrlen a f1
        hrandfield a -5 WITHVALUES
        hscan a 0 MATCH f* COUNT 10
        hset a big %s
        object encoding a
        hgetall a
        hkeys a
        hvals a
    """ % ("v" * 80),
    "sets": """
        sadd a 1 2 3
        object encoding a
        sadd a x
        object encoding a
        sadd b 3 4 5
        sinter a b
        sunionstore c a b
        sdiffstore d a b
        sintercard 2 a b LIMIT 1
        smove a b x
        spop c 2
        srandmember a -3
        smismember a 1 9
        sscan b 0 COUNT 100
        srem a 1 2 3
    """,
    "zsets": """
        zadd a 1 x 2 y 3 z
        zadd a GT CH 5 x 0 y
        zincrby a 2.5 z
        zrangebyscore a (1 +inf WITHSCORES LIMIT 0 2
        zrange a [a (z BYLEX
        zrange a 0 -1 REV WITHSCORES
        zrangestore b a 0 1
        zunionstore c 2 a b WEIGHTS 1 2 AGGREGATE MAX
        zinterstore d 2 a b
        zdiff 2 a b WITHSCORES
        zrank a y
        zmscore a x q
        zpopmin a 1
        zremrangebyscore c -inf 2
        zremrangebylex a - +
        zmpop 2 a c MAX COUNT 5
        zlexcount b - +
        zrandmember b -4 WITHSCORES
    """,
    "sort": """
        rpush l 3 1 2
        set w_1 30
        set w_2 10
        set w_3 20
        hset h_1 f one
        sort l BY w_* GET # GET h_*->f
        sort l ALPHA DESC LIMIT 0 2 STORE out
        sadd s c a b
        sort s ALPHA STORE s
        zadd z 3 a 1 b
        sort_ro z BY nosort
    """,
    "keyspace": """
        set a 1
        rpush b x
        copy a c
        copy b d DB 3
        rename a e
        renamenx b e
        move e 2
        select 2
        swapdb 0 2
        dbsize
        keys *
        scan 0 MATCH * COUNT 5 TYPE string
        randomkey
        touch a b c
        exists a b c
        unlink c
        flushdb
        select 0
        flushall
    """,
    "expiry": """
        set a 1 PX 100
        rpush b x
        expire b 1
        pexpire b 500 GT
        expireat c 1
        sadd d 1
        pexpireat d 1700000000300
        ttl b
        pexpiretime d
        persist b
        @ms 400
        @expire
        get a
        @sec 5
        debug set-active-expire 0
        dbsize
        @rehash
    """,
    "blocking": """
        @client 1
        blpop a b 1
        @client 0
        rpush b x
        @client 1
        bzpopmin z 0.5
        @ms 600
        blmove a c LEFT RIGHT 0
        @client 0
        lpush a y
        @client 1
        brpoplpush q r 0
        @reconnect
        bzmpop 0 1 z MIN
        @client 0
        zadd z 1 m
        @client 1
        blmpop 2 2 a b LEFT
        @sec 3
    """,
    "connection": """
        hello 3
        hgetall nope
        zadd z 1 a
        zscore z a
        zrange z 0 -1 WITHSCORES
        config|get *max*
        client|setname fuzz
        client|list
        client|info
        client|reply skip
        ping
        client|reply off
        ping
        client|reply on
        reset
        echo done
        command|count
        command|info get set
        command|getkeys sort l STORE x
        object|help
        info keyspace
        client|kill SKIPME no
        quit
        ping
    """,
    "errors": """
        set a 1
        lpush a x
        hset a f
        zadd a NX XX 1 m
        incr a
        incrby a 9223372036854775807
        set b x
        incr b
        nosuchcommand 1 2
        config|set nope 1
        expire a nan
        blpop a -1
        lrange
        select 99
    """,
}


# ---- regression inputs: what the fuzzers found, reduced by hand ------------
# tests/unit/test_fuzz_regress.c replays them and asserts each one's result.

REGRESS_EXEC = {
    # ZMPOP/BZMPOP added numkeys to an index before comparing it with argc:
    # signed overflow, then argv read at a negative index.
    "zmpop-numkeys-overflow": """
        zmpop 9223372036854775807 a MIN
        bzmpop 0 9223372036854775807 a MIN
        zmpop 9223372036854775806 a b MAX
    """,
}

REGRESS_EXEC["keys-glob-exponential"] = """
        # KEYS and SCAN MATCH took time exponential in the pattern's stars:
        # about 4.5 s for this one at -O2, minutes for a few more stars.
        set %s 1
        keys %s
    """ % ("a" * 32, "*a" * 11 + "*b")

REGRESS_AOF = {
    # The loader replayed any command: DEBUG SLEEP stalled start-up (the
    # fuzzer's timeout), SHUTDOWN stopped the server right after loading,
    # CONFIG SET changed settings mid-load. Now refused as damage.
    "debug-sleep-replayed": aof(("SET", "a", "1"), ("DEBUG", "SLEEP", "1")),
    "shutdown-replayed": aof(("SET", "a", "1"), ("SHUTDOWN", "NOSAVE")),
    "config-set-replayed": aof(("CONFIG", "SET", "hz", "11"), ("SET", "a", "1")),
}


def write_files(d, files, prefix="", encode=lambda x: x):
    os.makedirs(d, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(d, prefix + name), "wb") as f:
            f.write(encode(data))


def write_seeds(target, seeds, encode=lambda x: x):
    write_files(os.path.join(CORPUS, target), seeds, "seed-", encode)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--exec":
        with open(sys.argv[2]) as f, open(sys.argv[3], "wb") as out:
            out.write(encode_exec(f.read()))
        return
    write_seeds("resp", RESP_SEEDS)
    write_seeds("aof", AOF_SEEDS)
    write_seeds("exec", EXEC_SEEDS, encode_exec)
    regress = os.path.join(HERE, "regress")
    write_files(os.path.join(regress, "exec"), REGRESS_EXEC, encode=encode_exec)
    write_files(os.path.join(regress, "aof"), REGRESS_AOF)


if __name__ == "__main__":
    main()
