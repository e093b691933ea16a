/* fuzz_aof: the AOF loader (aof_load in src/aof.c) on a file holding the fuzz
 * bytes, as they are: a seed or a crash input is itself an AOF file.
 *
 * The file is loaded twice, from empty databases:
 *   1. with aof-load-truncated no: it must load, or refuse with the file left
 *      exactly as it was;
 *   2. with aof-load-truncated yes: a file that loaded in 1 loads again to the
 *      same data and stays untouched; a file refused in 1 only for its torn
 *      tail now loads, the file cut to a prefix and the cut bytes saved
 *      beside it; a file refused in 1 as damaged is refused again, untouched.
 * After a cut, the cut file must load with the option off, to the same data.
 * Every successful load is followed by the database checks and the rewrite
 * round trip of fuzz_env.c. A crash, a hang or a sanitizer report anywhere in
 * this is a bug.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aof.h"
#include "config.h"
#include "fuzz.h"

static char dir[256];
static char path[300];

static int clean_dir(uint8_t **torn, size_t *torn_size);

static void remove_dir(void)
{
    clean_dir(NULL, NULL);
    unlink(path);
    rmdir(dir);
}

static void setup_dir(void)
{
    if (dir[0])
        return;
    fuzz_make_tmpdir("aof", dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/appendonly.aof", dir);
    atexit(remove_dir);
}

static void write_file(const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || close(fd) < 0) {
        perror(path);
        abort();
    }
}

/* The file's bytes (malloc'd) and size. */
static uint8_t *read_file(const char *p, size_t *size)
{
    FILE *f = fopen(p, "rb");
    if (!f) {
        perror(p);
        abort();
    }
    struct stat st;
    if (fstat(fileno(f), &st) < 0)
        abort();
    uint8_t *buf = malloc((size_t)st.st_size + 1);
    size_t n = fread(buf, 1, (size_t)st.st_size, f);
    fclose(f);
    if (n != (size_t)st.st_size)
        abort();
    *size = n;
    return buf;
}

/* Removes everything in dir but the AOF itself; returns the number of
 * torn-tail files found, and the last one's contents in *torn. */
static int clean_dir(uint8_t **torn, size_t *torn_size)
{
    DIR *d = opendir(dir);
    if (!d)
        abort();
    struct dirent *e;
    int found = 0;
    char p[600];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
            !strcmp(e->d_name, "appendonly.aof"))
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        if (torn && !strncmp(e->d_name, "appendonly.aof.torn-", 20)) {
            free(*torn);
            *torn = read_file(p, torn_size);
            found++;
        }
        unlink(p);
    }
    closedir(d);
    return found;
}

static void file_unchanged(const uint8_t *data, size_t size, const char *when)
{
    size_t now;
    uint8_t *buf = read_file(path, &now);
    FUZZ_CHECK(now == size && memcmp(buf, data, size) == 0, "%s: the file changed (%zu -> %zu)",
               when, size, now);
    free(buf);
}

static int load(int truncated, char *err, size_t errlen)
{
    fuzz_env_reset();
    cfg.aof_load_truncated = truncated;
    err[0] = '\0';
    int rc = aof_load(path, err, errlen);
    FUZZ_CHECK(rc == 0 || rc == -1, "aof_load returned %d", rc);
    FUZZ_CHECK(rc == 0 || err[0], "aof_load failed without a message");
    return rc;
}

static void check_loaded(void)
{
    fuzz_check_dbs(0);
    fuzz_check_rewrite();
}

/* Returns 0 when the file loaded whole, 1 when it loaded after its torn tail
 * was cut, 2 when it was refused. */
int fuzz_aof_one(const uint8_t *data, size_t size)
{
    fuzz_env_init();
    setup_dir();
    char err[1024];
    write_file(data, size);
    clean_dir(NULL, NULL);

    int rc1 = load(0, err, sizeof(err));
    file_unchanged(data, size, "load with aof-load-truncated no");
    FUZZ_CHECK(clean_dir(NULL, NULL) == 0, "files left beside a refused AOF");
    uint64_t digest1 = 0;
    if (rc1 == 0) {
        digest1 = fuzz_digest();
        check_loaded();
    }
    /* The message's start says which refusal it is (its end may quote
     * anything from the file). */
    int torn_tail = rc1 < 0 && strncmp(err, "Unexpected end of file", 22) == 0;

    int rc2 = load(1, err, sizeof(err));
    int result;
    if (rc1 == 0) {
        FUZZ_CHECK(rc2 == 0, "loads with the option off, not on: %s", err);
        FUZZ_CHECK(fuzz_digest() == digest1, "the same file loaded to different data");
        file_unchanged(data, size, "loading a whole file");
        result = 0;
    } else if (!torn_tail) {
        FUZZ_CHECK(rc2 < 0, "a damaged file loads once aof-load-truncated is on");
        file_unchanged(data, size, "refusing a damaged file");
        result = 2;
    } else {
        FUZZ_CHECK(rc2 == 0, "a torn tail is refused with aof-load-truncated on: %s", err);
        check_loaded();
        uint64_t digest2 = fuzz_digest();
        size_t cut;
        uint8_t *now = read_file(path, &cut);
        FUZZ_CHECK(cut < size && memcmp(now, data, cut) == 0,
                   "the cut file (%zu bytes) is not a prefix of the %zu loaded", cut, size);
        free(now);
        uint8_t *torn = NULL;
        size_t torn_size = 0;
        /* The cut file must now load as it is; the tail is saved beside it. */
        int rc3 = load(0, err, sizeof(err));
        FUZZ_CHECK(rc3 == 0, "the cut file does not load: %s", err);
        FUZZ_CHECK(fuzz_digest() == digest2, "the cut file loads to different data");
        FUZZ_CHECK(clean_dir(&torn, &torn_size) == 1, "no torn tail saved");
        FUZZ_CHECK(torn_size == size - cut && memcmp(torn, data + cut, torn_size) == 0,
                   "the saved tail is not the bytes cut off");
        free(torn);
        result = 1;
    }
    clean_dir(NULL, NULL);
    fuzz_env_reset();
    return result;
}

#ifdef FUZZ_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_aof_one(data, size);
    return 0;
}
#endif
