/*
 * The push store with real processes: several writers at once, writers
 * killed with SIGKILL in the middle of writing, reopening after every
 * process has closed it, compaction when full, and damaged files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pushrec.h"
#include "pushstore.h"
#include "fixture_tmpdir.h"

static char dir[64];
static struct cm_arena arena;
static int in_child;                   /* a forked writer: exits on failure, never returns to cmocka */

#define PAD 600

static int
setup_dir(void **s)
{
    (void)s;
    if (fixture_tmpdir_make(dir, sizeof(dir), "cm-push") < 0)
        return -1;
    cm_arena_init(&arena, 0);
    return 0;
}

static int
teardown_dir(void **s)
{
    (void)s;
    cm_arena_free(&arena);
    return fixture_tmpdir_remove(dir);
}

static int
keep_all(const struct cm_push_key *k, int64_t t, void *arg)
{
    (void)k; (void)t; (void)arg;
    return 1;
}

/* Keeps the records stamped at or after *(int64_t *)arg. */
static int
keep_newer(const struct cm_push_key *k, int64_t t, void *arg)
{
    (void)k;
    return t >= *(int64_t *)arg;
}

static struct cm_pushstore *
open_store(uint32_t capacity)
{
    struct cm_pushstore *ps = NULL;
    char err[512];

    if (cm_pushstore_open(&ps, dir, capacity, 0, err, sizeof(err)) < 0) {
        if (in_child)
            _exit(4);
        fail_msg("open: %s", err);
    }
    return ps;
}

/*
 * Writes value under key with two labels a reader can check it against: seq
 * (the value again) and pad (PAD copies of its last character), which makes
 * a torn copy likely to show.
 */
static void
put(struct cm_pushstore *ps, const char *ns, const char *name, const char *value,
    int64_t timestamp)
{
    char pad[PAD + 1];
    struct cm_label l[2] = { { "pad", pad }, { "seq", value } };
    struct cm_push_key k = { "m", "pods", ns, name };
    struct cm_push_value v = { value, timestamp, { 2, l } };
    char err[512];

    memset(pad, value[strlen(value) - 1], PAD);
    pad[PAD] = '\0';
    if (cm_pushstore_lock(ps, err, sizeof(err)) < 0) {
        if (in_child)
            _exit(2);
        fail_msg("lock: %s", err);
    }
    if (cm_pushstore_put(ps, &k, &v, keep_all, NULL, err, sizeof(err)) < 0) {
        if (in_child)
            _exit(3);
        fail_msg("put: %s", err);
    }
    cm_pushstore_unlock(ps);
}

/* The value under (ns, name), or NULL; checks that it is whole (its labels match it). */
static const char *
get(struct cm_pushstore *ps, const char *ns, const char *name)
{
    struct cm_push_key k = { "m", "pods", ns, name };
    struct cm_push_value v;
    char err[512];

    if (cm_pushstore_refresh(ps, err, sizeof(err)) < 0)
        fail_msg("refresh: %s", err);
    if (!cm_pushstore_get(ps, &k, &v))
        return NULL;
    assert_int_equal(v.labels.n, 2);
    assert_string_equal(v.labels.v[1].key, "seq");
    assert_string_equal(v.labels.v[1].value, v.text);
    assert_int_equal(strlen(v.labels.v[0].value), PAD);
    assert_int_equal(strspn(v.labels.v[0].value, v.text + strlen(v.text) - 1), PAD);
    return v.text;
}

static void
test_values_and_labels_round_trip(void **s)
{
    struct cm_pushstore *ps = open_store(64), *other = open_store(64);
    struct cm_label labels[2] = { { "a", "1" }, { "b", "" } };
    struct cm_push_key k = { "queue", "", "shop", "a=1,b=" };
    struct cm_push_value v = { "12", 100, { 2, labels } }, got;
    char err[512];

    (void)s;
    put(ps, "default", "web-1", "5", 100);
    put(ps, "default", "web-1", "6", 101);          /* replaces, in place */
    put(ps, "shop", "web-1", "7", 102);             /* another namespace: another key */
    assert_int_equal(cm_pushstore_count(ps), 2);
    /* another handle (as another worker would have) sees both at once */
    assert_string_equal(get(other, "default", "web-1"), "6");
    assert_string_equal(get(other, "shop", "web-1"), "7");
    assert_null(get(other, "default", "web-2"));

    assert_int_equal(cm_pushstore_lock(ps, err, sizeof(err)), 0);
    assert_int_equal(cm_pushstore_put(ps, &k, &v, keep_all, NULL, err, sizeof(err)), 0);
    cm_pushstore_unlock(ps);
    assert_int_equal(cm_pushstore_refresh(other, err, sizeof(err)), 0);
    assert_int_equal(cm_pushstore_get(other, &k, &got), 1);
    assert_string_equal(got.text, "12");
    assert_int_equal(got.timestamp, 100);
    assert_int_equal(got.labels.n, 2);
    assert_string_equal(got.labels.v[1].key, "b");
    assert_string_equal(got.labels.v[1].value, "");
    cm_pushstore_close(ps);
    cm_pushstore_close(other);

    /* every process gone: a new one reads the same values */
    ps = open_store(64);
    assert_string_equal(get(ps, "default", "web-1"), "6");
    assert_int_equal(cm_pushstore_count(ps), 3);
    cm_pushstore_close(ps);
}

static int
count_external(const struct cm_push_key *k, const struct cm_push_value *v, void *arg)
{
    (void)v;
    assert_string_equal(k->resource, "");
    (*(int *)arg)++;
    return 0;
}

static void
test_external_series_are_listed(void **s)
{
    struct cm_pushstore *ps = open_store(64);
    struct cm_push_value v = { "1", 1, { 0, NULL } };
    struct cm_push_key k1 = { "ext", "", "", "q=a" }, k2 = { "ext", "", "shop", "q=b" },
                       k3 = { "other", "", "", "" };
    char err[512];
    int n = 0;

    (void)s;
    assert_int_equal(cm_pushstore_lock(ps, err, sizeof(err)), 0);
    assert_int_equal(cm_pushstore_put(ps, &k1, &v, keep_all, NULL, err, sizeof(err)), 0);
    assert_int_equal(cm_pushstore_put(ps, &k2, &v, keep_all, NULL, err, sizeof(err)), 0);
    assert_int_equal(cm_pushstore_put(ps, &k3, &v, keep_all, NULL, err, sizeof(err)), 0);
    cm_pushstore_unlock(ps);
    put(ps, "default", "pod", "1", 1);              /* not external */
    cm_pushstore_each_external(ps, "ext", &arena, count_external, &n);
    assert_int_equal(n, 2);
    cm_pushstore_close(ps);
}

/* Puts n external series of metric, named prefix-0..n-1, in one lock session. */
static void
put_external(struct cm_pushstore *ps, const char *metric, const char *prefix, int n)
{
    struct cm_push_value v = { "1", 1, { 0, NULL } };
    char err[512], name[32];
    int i;

    assert_int_equal(cm_pushstore_lock(ps, err, sizeof(err)), 0);
    for (i = 0; i < n; i++) {
        struct cm_push_key k = { metric, "", "", name };

        snprintf(name, sizeof(name), "%s-%d", prefix, i);
        assert_int_equal(cm_pushstore_put(ps, &k, &v, keep_all, NULL, err, sizeof(err)), 0);
    }
    cm_pushstore_unlock(ps);
}

/* The arena bytes one listing of metric's series takes (after a refresh). */
static size_t
listing_cost(struct cm_pushstore *ps, const char *metric, int *n)
{
    struct cm_arena a;
    char err[512];
    size_t used;

    assert_int_equal(cm_pushstore_refresh(ps, err, sizeof(err)), 0);
    cm_arena_init(&a, 0);
    *n = 0;
    cm_pushstore_each_external(ps, metric, &a, count_external, n);
    used = a.used_total;
    cm_arena_free(&a);
    return used;
}

/*
 * Listing one metric's external series costs the request's arena what that
 * metric's values take, however many series other metrics have: the keys
 * are decoded on the stack, and other metrics' records are skipped unread.
 */
static void
test_external_listing_costs_only_its_own_series(void **s)
{
    struct cm_pushstore *ps = open_store(4096);
    size_t alone, crowded;
    int n;

    (void)s;
    put_external(ps, "ext", "q", 3);
    alone = listing_cost(ps, "ext", &n);
    assert_int_equal(n, 3);
    put_external(ps, "other", "x", 2000);
    crowded = listing_cost(ps, "ext", &n);
    assert_int_equal(n, 3);
    assert_int_equal(crowded, alone);
    assert_true(alone < 3 * 256);           /* a decoded value each, no 640-byte keys */
    assert_int_equal(listing_cost(ps, "none", &n), 0);
    assert_int_equal(n, 0);
    cm_pushstore_close(ps);
}

/*
 * Inside one lock session the store's write count (the readers' cache
 * epoch) is the one read at lock time, so a value cached before a put must
 * not be handed out after it: the replicator reads, writes, reads again.
 */
static void
test_get_after_put_in_one_lock_session(void **s)
{
    struct cm_pushstore *ps = open_store(64);
    struct cm_push_key k = { "m", "pods", "default", "web-1" };
    struct cm_push_value v1 = { "1", 100, { 0, NULL } }, v2 = { "2", 100, { 0, NULL } }, got;
    char err[512];

    (void)s;
    assert_int_equal(cm_pushstore_lock(ps, err, sizeof(err)), 0);
    assert_int_equal(cm_pushstore_put(ps, &k, &v1, keep_all, NULL, err, sizeof(err)), 0);
    assert_int_equal(cm_pushstore_get(ps, &k, &got), 1);
    assert_string_equal(got.text, "1");
    assert_int_equal(cm_pushstore_put(ps, &k, &v2, keep_all, NULL, err, sizeof(err)), 0);
    assert_int_equal(cm_pushstore_get(ps, &k, &got), 1);
    assert_string_equal(got.text, "2");
    v1.timestamp = 101;
    assert_int_equal(cm_pushstore_put(ps, &k, &v1, keep_all, NULL, err, sizeof(err)), 0);
    assert_int_equal(cm_pushstore_get(ps, &k, &got), 1);
    assert_string_equal(got.text, "1");
    assert_int_equal(got.timestamp, 101);
    cm_pushstore_unlock(ps);
    /* and after the session, as another request would read it */
    assert_int_equal(cm_pushstore_refresh(ps, err, sizeof(err)), 0);
    assert_int_equal(cm_pushstore_get(ps, &k, &got), 1);
    assert_string_equal(got.text, "1");
    assert_int_equal(got.timestamp, 101);
    cm_pushstore_close(ps);
}

#define WRITERS 4
#define KEYS_PER_WRITER 300
#define ROUNDS 5

/*
 * WRITERS processes write their own keys and one shared key, ROUNDS times
 * each, while this process reads: no value is ever torn, and at the end every
 * key holds its writer's last value.
 */
static void
test_concurrent_writers_lose_nothing(void **s)
{
    struct cm_pushstore *ps = open_store(4096);
    pid_t pids[WRITERS];
    int w, i, status, reads = 0;

    (void)s;
    for (w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        assert_true(pids[w] >= 0);
        if (pids[w] == 0) {
            in_child = 1;
            struct cm_pushstore *mine = open_store(4096);
            char name[32], value[32];
            int r;

            for (r = 1; r <= ROUNDS; r++) {
                for (i = 0; i < KEYS_PER_WRITER; i++) {
                    snprintf(name, sizeof(name), "w%d-%d", w, i);
                    snprintf(value, sizeof(value), "%d", r * 100000 + i);
                    put(mine, "default", name, value, r);
                    snprintf(value, sizeof(value), "%d", w * 1000000 + r * 1000 + i);
                    put(mine, "default", "shared", value, r);
                }
            }
            cm_pushstore_close(mine);
            _exit(0);
        }
    }
    /* read while they write: get() fails the test on a torn value */
    for (;;) {
        int running = 0;

        for (w = 0; w < WRITERS; w++)
            running += pids[w] > 0 && waitpid(pids[w], &status, WNOHANG) == 0;
        if (!running)
            break;
        for (i = 0; i < 50; i++, reads++) {
            char name[32];
            snprintf(name, sizeof(name), "w%d-%d", reads % WRITERS, i);
            get(ps, "default", name);
            get(ps, "default", "shared");
        }
        cm_arena_reset(&arena);
    }
    for (w = 0; w < WRITERS; w++) {
        waitpid(pids[w], &status, 0);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    for (w = 0; w < WRITERS; w++) {
        for (i = 0; i < KEYS_PER_WRITER; i++) {
            char name[32], want[32];
            snprintf(name, sizeof(name), "w%d-%d", w, i);
            snprintf(want, sizeof(want), "%d", ROUNDS * 100000 + i);
            assert_non_null(get(ps, "default", name));
            assert_string_equal(get(ps, "default", name), want);
        }
    }
    assert_int_equal(cm_pushstore_count(ps), WRITERS * KEYS_PER_WRITER + 1);
    cm_pushstore_close(ps);
}

/*
 * The seed of a random test: $CM_TEST_SEED when it is set (to replay a
 * failure), else a new one.  Printed as a TAP comment either way, before
 * the test can fail, so that every failure can be replayed.
 */
static unsigned
test_seed(const char *test)
{
    const char *env = getenv("CM_TEST_SEED");
    unsigned long seed;
    char *end;

    if (env != NULL && *env != '\0') {
        seed = strtoul(env, &end, 10);
        if (*end != '\0' || seed > 0xffffffffUL)
            fail_msg("CM_TEST_SEED='%s' is not a number up to 4294967295", env);
    } else {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        seed = ((unsigned long)now.tv_nsec ^ ((unsigned long)getpid() << 16)) & 0xffffffffUL;
    }
    printf("# %s: seed %lu (CM_TEST_SEED=%lu replays it)\n", test, seed, seed);
    fflush(stdout);                    /* before fork(): no child repeats it */
    return (unsigned)seed;
}

/*
 * A writer killed at a random moment (from test_seed()), 30 times over:
 * every value written before stays whole and readable, and the next writer
 * carries on.
 */
static void
test_writer_killed_mid_write(void **s)
{
    struct cm_pushstore *ps = open_store(1024);
    int round, i;

    (void)s;
    srand(test_seed("test_writer_killed_mid_write"));
    for (i = 0; i < 100; i++) {
        char name[32];
        snprintf(name, sizeof(name), "p%d", i);
        put(ps, "default", name, "0", 1);
    }
    for (round = 0; round < 30; round++) {
        struct timespec nap = { 0, (rand() % 3000) * 1000L };
        pid_t pid = fork();
        int status;

        assert_true(pid >= 0);
        if (pid == 0) {
            in_child = 1;
            struct cm_pushstore *mine = open_store(1024);
            char name[32], value[32];
            long n;

            for (n = 1;; n++) {
                snprintf(name, sizeof(name), "p%ld", n % 100);
                snprintf(value, sizeof(value), "%ld", n);
                put(mine, "default", name, value, 2);
            }
        }
        nanosleep(&nap, NULL);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        for (i = 0; i < 100; i++) {
            char name[32];
            snprintf(name, sizeof(name), "p%d", i);
            assert_non_null(get(ps, "default", name));
        }
        put(ps, "default", "p0", "after", 3);      /* the lock was released by the kill */
        assert_string_equal(get(ps, "default", "p0"), "after");
        cm_arena_reset(&arena);
    }
    cm_pushstore_close(ps);
}

/* A full store is compacted: stale records go, and every handle moves to the new file. */
static void
test_full_store_is_compacted(void **s)
{
    struct cm_pushstore *ps = open_store(16), *reader = open_store(16);
    char pad[PAD + 1];
    struct cm_label l[2] = { { "pad", pad }, { "seq", "x" } };
    struct cm_push_key k = { "m", "pods", "default", "fresh" };
    struct cm_push_value v = { "x", 50, { 2, l } };
    int64_t cutoff = 50;
    char err[512], name[32];
    int i;

    (void)s;
    memset(pad, 'x', PAD);
    pad[PAD] = '\0';
    for (i = 0; i < 16; i++) {
        snprintf(name, sizeof(name), "old-%d", i);
        put(ps, "default", name, "1", i < 4 ? 60 : 10);   /* 4 fresh, 12 stale */
    }
    assert_string_equal(get(reader, "default", "old-0"), "1");
    assert_int_equal(cm_pushstore_lock(ps, err, sizeof(err)), 0);
    assert_int_equal(cm_pushstore_put(ps, &k, &v, keep_newer, &cutoff, err, sizeof(err)), 0);
    cm_pushstore_unlock(ps);
    assert_int_equal(cm_pushstore_count(ps), 5);

    /* the reader still had the old file mapped: it moves to the new one */
    assert_string_equal(get(reader, "default", "fresh"), "x");
    assert_string_equal(get(reader, "default", "old-3"), "1");
    assert_null(get(reader, "default", "old-4"));
    /* and a writer on the old file writes into the new one */
    put(reader, "default", "from-reader", "2", 70);
    assert_string_equal(get(ps, "default", "from-reader"), "2");

    /* full of fresh values: the write is refused, and nothing is lost */
    for (i = 0; cm_pushstore_count(ps) < 16; i++) {
        snprintf(name, sizeof(name), "new-%d", i);
        put(ps, "default", name, "3", 80);
    }
    k.name = "one-too-many";
    assert_int_equal(cm_pushstore_lock(ps, err, sizeof(err)), 0);
    assert_int_equal(cm_pushstore_put(ps, &k, &v, keep_all, NULL, err, sizeof(err)), -2);
    cm_pushstore_unlock(ps);
    assert_non_null(strstr(err, "full"));
    assert_string_equal(get(ps, "default", "fresh"), "x");
    cm_pushstore_close(ps);
    cm_pushstore_close(reader);
}

/* The inode and size of dir/push.db: a compaction renames a new file there. */
static void
store_file(struct stat *st)
{
    char path[128];

    snprintf(path, sizeof(path), "%s/%s", dir, CM_PUSHSTORE_FILE);
    assert_int_equal(stat(path, st), 0);
}

/*
 * Full of fresh values, a new key is refused without rewriting the file:
 * the count pass keeps every record, so a new file would be as full (and
 * the copy, up to GiBs under the writers' lock, would be for nothing).
 */
static void
test_full_of_fresh_values_refuses_without_rewriting(void **s)
{
    struct cm_pushstore *ps = open_store(8), *reader = open_store(8);
    struct cm_push_key k = { "m", "pods", "default", "one-too-many" };
    struct cm_push_value v = { "9", 90, { 0, NULL } };
    struct stat before, after;
    char err[512], name[32];
    int i;

    (void)s;
    for (i = 0; i < 8; i++) {
        snprintf(name, sizeof(name), "fresh-%d", i);
        put(ps, "default", name, "1", 80);
    }
    assert_string_equal(get(reader, "default", "fresh-7"), "1");
    store_file(&before);
    for (i = 0; i < 3; i++) {               /* again and again: never a rewrite */
        assert_int_equal(cm_pushstore_lock(ps, err, sizeof(err)), 0);
        assert_int_equal(cm_pushstore_put(ps, &k, &v, keep_all, NULL, err, sizeof(err)),
                         CM_PUSHSTORE_FULL);
        cm_pushstore_unlock(ps);
        assert_non_null(strstr(err, "full"));
    }
    store_file(&after);
    assert_int_equal(after.st_ino, before.st_ino);
    assert_int_equal(after.st_dev, before.st_dev);
    assert_int_equal(cm_pushstore_count(ps), 8);
    /* the file was not replaced: the reader keeps it, and every value */
    assert_string_equal(get(reader, "default", "fresh-0"), "1");
    assert_null(get(reader, "default", "one-too-many"));
    /* a stored key is still rewritten in place */
    put(ps, "default", "fresh-3", "2", 81);
    assert_string_equal(get(reader, "default", "fresh-3"), "2");

    /* a store opened with a larger capacity still grows by compacting */
    cm_pushstore_close(ps);
    ps = open_store(16);
    assert_int_equal(cm_pushstore_capacity(ps), 8);
    assert_int_equal(cm_pushstore_lock(ps, err, sizeof(err)), 0);
    assert_int_equal(cm_pushstore_put(ps, &k, &v, keep_all, NULL, err, sizeof(err)), 0);
    cm_pushstore_unlock(ps);
    assert_int_equal(cm_pushstore_capacity(ps), 16);
    assert_int_equal(cm_pushstore_count(ps), 9);
    cm_pushstore_close(ps);
    cm_pushstore_close(reader);
}

static void
test_damaged_file_is_refused_or_moved_aside(void **s)
{
    struct cm_pushstore *ps = NULL;
    char path[128], err[512];
    FILE *f;

    (void)s;
    snprintf(path, sizeof(path), "%s/%s", dir, CM_PUSHSTORE_FILE);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("not a push store\n", f);
    fclose(f);
    assert_int_equal(cm_pushstore_open(&ps, dir, 64, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a push store"));
    assert_int_equal(cm_pushstore_open(&ps, dir, 64, 1, err, sizeof(err)), 0);
    assert_int_equal(cm_pushstore_count(ps), 0);
    assert_int_equal(cm_pushstore_capacity(ps), 64);
    cm_pushstore_close(ps);
    snprintf(path, sizeof(path), "%s/%s.bad", dir, CM_PUSHSTORE_FILE);
    assert_int_equal(access(path, F_OK), 0);
}

/*
 * A header whose count drops below the records this process has indexed
 * (a damaged file, another program's write) is refused: a put would index
 * the record after idx.n, maybe one past the mapping, and fill another.
 */
static void
test_count_below_the_indexed_records_is_damage(void **s)
{
    struct cm_pushstore *ps = open_store(3);
    uint32_t one = 1;
    char path[128], err[512];
    int fd;

    (void)s;
    put(ps, "default", "a", "1", 10);
    put(ps, "default", "b", "1", 10);
    put(ps, "default", "c", "1", 10);
    snprintf(path, sizeof(path), "%s/%s", dir, CM_PUSHSTORE_FILE);
    fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, &one, sizeof(one), offsetof(struct cm_pushrec_header, count)),
                     (ssize_t)sizeof(one));
    close(fd);
    assert_int_equal(cm_pushstore_count(ps), 1);
    assert_int_equal(cm_pushstore_refresh(ps, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "damaged"));
    assert_int_equal(cm_pushstore_lock(ps, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "damaged"));
    /* and nothing was written past what the header says */
    assert_int_equal(cm_pushstore_count(ps), 1);
    cm_pushstore_close(ps);
}

static void
test_oversized_keys_and_labels_do_not_fit(void **s)
{
    char big[700], err[256];
    struct cm_label l = { "k", big };
    struct cm_push_key k = { "m", "pods", "default", big };
    struct cm_push_value v = { "1", 1, { 0, NULL } };

    (void)s;
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(cm_pushstore_fits(&k, &v, err, sizeof(err)), -1);
    k.name = "ok";
    v.labels.n = 1;
    v.labels.v = &l;
    assert_int_equal(cm_pushstore_fits(&k, &v, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "labels"));
    big[200] = '\0';
    assert_int_equal(cm_pushstore_fits(&k, &v, err, sizeof(err)), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_values_and_labels_round_trip, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_external_series_are_listed, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_external_listing_costs_only_its_own_series, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_get_after_put_in_one_lock_session, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_concurrent_writers_lose_nothing, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_writer_killed_mid_write, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_full_store_is_compacted, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_full_of_fresh_values_refuses_without_rewriting,
                                        setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_damaged_file_is_refused_or_moved_aside, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_count_below_the_indexed_records_is_damage, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_oversized_keys_and_labels_do_not_fit, setup_dir,
                                        teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
