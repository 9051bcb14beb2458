/*
 * The prometheus sources' cache of last good answers (src/source/promcache.c):
 * an object the answer does not name takes no entry (and forgets the one it
 * had), the entries are bounded, and every entry's label arrays are aligned
 * for struct cm_label (UBSan, in the sanitizer build, checks the accesses).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promcache.h"
#include "promsrc.h"

#define NOW 1795640400
#define MAX_AGE 300

static struct cm_arena arena;

/* Sample i: {namespace: default, pod: NAME} and extra labels, value v. */
static void
sample(struct cm_prom_sample *s, const char *name, const char *extra_key, const char *extra_val,
       double v)
{
    struct cm_label *l = cm_arena_alloc(&arena, 3 * sizeof(*l));
    size_t n = 0;

    if (extra_key != NULL)
        l[n++] = (struct cm_label){ extra_key, extra_val };
    l[n++] = (struct cm_label){ "namespace", "default" };
    l[n++] = (struct cm_label){ "pod", cm_arena_strdup(&arena, name) };
    cm_labels_sort(l, n);
    s->labels.n = n;
    s->labels.v = l;
    s->value = v;
    s->timestamp = NOW;
}

static const struct cm_prom_answer *
answer(struct cm_prom_sample *v, size_t n)
{
    struct cm_prom_result res = { n, v };

    return cm_promsrc_answer(&res, "default", "namespace", "pod", &arena);
}

/* Two series of one object whose first holds strings of odd lengths: both label arrays aligned. */
static void
test_label_arrays_are_aligned(void **state)
{
    struct cm_prom_cache *c = cm_prom_cache_new(MAX_AGE);
    struct cm_prom_sample v[3];
    const char *names[] = { "web-1" };
    const struct cm_prom_result *got;
    size_t i;

    (void)state;
    sample(&v[0], "web-1", "a", "xyz", 1);       /* "a\0xyz\0namespace\0default\0pod\0web-1\0": 35 bytes */
    sample(&v[1], "web-1", "verb", "GET", 2);
    sample(&v[2], "web-1", NULL, NULL, 3);
    cm_prom_cache_store(c, answer(v, 3), "default", names, 1, NOW);
    got = cm_prom_cache_get(c, "default", "web-1");
    assert_non_null(got);
    assert_int_equal(got->n, 3);
    for (i = 0; i < got->n; i++) {
        assert_int_equal((uintptr_t)got->v[i].labels.v % _Alignof(struct cm_label), 0);
        assert_int_equal((uintptr_t)&got->v[i] % _Alignof(struct cm_prom_sample), 0);
        assert_string_equal(cm_labels_get(&got->v[i].labels, "pod"), "web-1");
        assert_true(got->v[i].value == (double)(i + 1));
    }
    assert_string_equal(cm_labels_get(&got->v[0].labels, "a"), "xyz");
    assert_string_equal(cm_labels_get(&got->v[1].labels, "verb"), "GET");
    assert_int_equal(got->v[2].labels.n, 2);
    cm_prom_cache_free(c);
}

/*
 * Without --objects or a cluster every name "exists": requests for names
 * Prometheus knows nothing of must not grow the cache.  An object the
 * answer stops naming is forgotten.
 */
static void
test_empty_answers_are_not_stored(void **state)
{
    struct cm_prom_cache *c = cm_prom_cache_new(MAX_AGE);
    struct cm_prom_sample v[1];
    const char *names[1];
    char name[32];
    int i;

    (void)state;
    for (i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "ghost-%d", i);
        names[0] = name;
        cm_prom_cache_store(c, answer(NULL, 0), "default", names, 1, NOW);
    }
    assert_int_equal(cm_prom_cache_count(c), 0);
    assert_null(cm_prom_cache_get(c, "default", "ghost-1"));

    names[0] = "web-1";
    sample(&v[0], "web-1", NULL, NULL, 1);
    cm_prom_cache_store(c, answer(v, 1), "default", names, 1, NOW);
    assert_int_equal(cm_prom_cache_count(c), 1);
    assert_non_null(cm_prom_cache_get(c, "default", "web-1"));
    /* the next good answer does not name it: forgotten, not kept empty */
    cm_prom_cache_store(c, answer(NULL, 0), "default", names, 1, NOW + 1);
    assert_int_equal(cm_prom_cache_count(c), 0);
    assert_null(cm_prom_cache_get(c, "default", "web-1"));
    cm_prom_cache_free(c);
}

/* n samples for pods pod-0 ... pod-<n-1>, of value i each; their names in *names_out (arena). */
static struct cm_prom_sample *
pods(int n, const char ***names_out)
{
    struct cm_prom_sample *v = cm_arena_alloc(&arena, (size_t)n * sizeof(*v));
    const char **names = cm_arena_alloc(&arena, (size_t)n * sizeof(*names));
    char name[32];
    int i;

    for (i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "pod-%d", i);
        names[i] = cm_arena_strdup(&arena, name);
        sample(&v[i], names[i], NULL, NULL, i);
    }
    *names_out = names;
    return v;
}

/* Entries forgotten in the middle of probe chains: every other one is still found. */
static void
test_forgetting_keeps_the_others(void **state)
{
    enum { N = 3000 };
    struct cm_prom_cache *c = cm_prom_cache_new(MAX_AGE);
    const char **names;
    struct cm_prom_sample *v = pods(N, &names);
    int i;

    (void)state;
    cm_prom_cache_store(c, answer(v, N), "default", names, N, NOW);
    assert_int_equal(cm_prom_cache_count(c), N);
    for (i = 0; i < N; i += 3)               /* each third one: answered with nothing */
        cm_prom_cache_store(c, answer(NULL, 0), "default", &names[i], 1, NOW);
    assert_int_equal(cm_prom_cache_count(c), N - N / 3);
    for (i = 0; i < N; i++) {
        const struct cm_prom_result *got = cm_prom_cache_get(c, "default", names[i]);

        if (i % 3 == 0) {
            assert_null(got);
        } else {
            assert_non_null(got);
            assert_true(got->v[0].value == (double)i);
        }
    }
    cm_prom_cache_free(c);
}

/*
 * At most CM_PROM_CACHE_MAX objects: beyond, new objects are not
 * remembered (the ones cached are still replaced), until cached ones age
 * past max_age.
 */
static void
test_entries_are_bounded(void **state)
{
    enum { N = CM_PROM_CACHE_MAX + 500 };
    struct cm_prom_cache *c = cm_prom_cache_new(MAX_AGE);
    const char **names;
    struct cm_prom_sample *v = pods(N, &names);

    (void)state;
    cm_prom_cache_store(c, answer(v, N), "default", names, N, NOW);
    assert_int_equal(cm_prom_cache_count(c), CM_PROM_CACHE_MAX);
    assert_non_null(cm_prom_cache_get(c, "default", "pod-0"));
    assert_null(cm_prom_cache_get(c, "default", names[N - 1]));
    /* one cached is replaced with its new series */
    v[0].value = 42;
    cm_prom_cache_store(c, answer(v, 1), "default", names, 1, NOW + 1);
    assert_true(cm_prom_cache_get(c, "default", "pod-0")->v[0].value == 42);
    assert_int_equal(cm_prom_cache_count(c), CM_PROM_CACHE_MAX);
    /* past max_age the old ones go, and new ones are remembered */
    cm_prom_cache_store(c, answer(&v[N - 1], 1), "default", &names[N - 1], 1,
                        NOW + MAX_AGE + 1);
    assert_non_null(cm_prom_cache_get(c, "default", names[N - 1]));
    assert_true(cm_prom_cache_count(c) <= 2);
    cm_prom_cache_free(c);
}

static int
reset(void **state)
{
    (void)state;
    cm_arena_reset(&arena);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_label_arrays_are_aligned, reset),
        cmocka_unit_test_setup(test_empty_answers_are_not_stored, reset),
        cmocka_unit_test_setup(test_forgetting_keeps_the_others, reset),
        cmocka_unit_test_setup(test_entries_are_bounded, reset),
    };
    int rc;

    cm_arena_init(&arena, 0);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    cm_arena_free(&arena);
    return rc;
}
