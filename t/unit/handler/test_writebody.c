/* What a write sends, decoded (src/handler/writebody.c): strict JSON, no NUL cut short. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "writebody.h"

static struct cm_arena arena;

static struct cm_request
body(const char *text, size_t len)
{
    struct cm_request r;

    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.body = text;
    r.body_len = len;
    return r;
}

#define BODY(lit) body(lit, sizeof(lit) - 1)

static void
test_value(void **state)
{
    struct cm_write_failure f;
    struct cm_write_item it;
    struct cm_request r;

    (void)state;
    memset(&it, 0, sizeof(it));
    r = BODY("\"300m\"");
    assert_int_equal(cm_write_body_value(&r, &arena, &it, &f), 0);
    assert_string_equal(it.value, "300m");
    r = BODY(" 1.5e3\n");                       /* a bare number keeps its own text */
    assert_int_equal(cm_write_body_value(&r, &arena, &it, &f), 0);
    assert_string_equal(it.value, "1.5e3");
    r = BODY("\"1\\u0000x\"");                   /* never read as "1" */
    assert_int_equal(cm_write_body_value(&r, &arena, &it, &f), -1);
    assert_int_equal(f.code, 400);
    /* two values are refused (json-c's strict mode, or the check after it) */
    r = BODY("\"1\" \"2\"");
    assert_int_equal(cm_write_body_value(&r, &arena, &it, &f), -1);
    assert_int_equal(f.code, 400);
    assert_non_null(strstr(f.msg, "the body "));
    r = BODY("1 2");
    assert_int_equal(cm_write_body_value(&r, &arena, &it, &f), -1);
    assert_int_equal(f.code, 400);
    r = BODY("");
    assert_int_equal(cm_write_body_value(&r, &arena, &it, &f), -1);
    assert_string_equal(f.msg, "the body is not JSON: it is empty");
    r = BODY("{}");
    assert_int_equal(cm_write_body_value(&r, &arena, &it, &f), -1);
    assert_non_null(strstr(f.msg, "the body is a quantity"));
}

static void
test_batch(void **state)
{
    struct cm_write_failure f;
    struct cm_write_item *items = NULL;
    struct cm_request r;
    size_t n = 0;

    (void)state;
    r = BODY("[{\"metric\":\"m\",\"resource\":\"pods\",\"namespace\":\"default\",\"name\":\"web\","
             "\"value\":\"2\",\"labels\":{\"zone\":\"b\",\"app\":\"x\"}},"
             "{\"metric\":\"q\",\"external\":true,\"value\":7}]");
    assert_int_equal(cm_write_body_batch(&r, &arena, &items, &n, &f), 0);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].resource, "pods");
    assert_string_equal(items[0].labels.v[0].key, "app");      /* sorted */
    assert_null(items[1].resource);
    assert_string_equal(items[1].ns, "");
    assert_string_equal(items[1].value, "7");

    r = BODY("{\"metric\":\"m\"}");
    assert_int_equal(cm_write_body_batch(&r, &arena, &items, &n, &f), -1);
    assert_string_equal(f.msg, "a batch is a JSON array of items");
    r = BODY("[{\"metric\":\"m\",\"resource\":\"pods\",\"name\":\"a\",\"colour\":1}]");
    assert_int_equal(cm_write_body_batch(&r, &arena, &items, &n, &f), -1);
    assert_non_null(strstr(f.msg, "item 0: unknown field \"colour\""));
    r = BODY("[{\"metric\":\"m\",\"external\":true,\"name\":\"a\"}]");
    assert_int_equal(cm_write_body_batch(&r, &arena, &items, &n, &f), -1);
    assert_string_equal(f.msg, "item 0: an external series has no resource or name");
    r = BODY("[{\"metric\":\"m\\u0000x\",\"resource\":\"pods\",\"name\":\"a\"}]");
    assert_int_equal(cm_write_body_batch(&r, &arena, &items, &n, &f), -1);
    assert_non_null(strstr(f.msg, "without NUL bytes"));
    r = BODY("[{\"metric\":\"m\",\"resource\":\"pods\",\"name\":\"a\",\"labels\":{\"a\":\"b\\u0000c\"}}]");
    assert_int_equal(cm_write_body_batch(&r, &arena, &items, &n, &f), -1);
    assert_non_null(strstr(f.msg, "cannot contain a NUL byte"));
}

static void
test_labels_param(void **state)
{
    struct cm_write_failure f;
    struct cm_labels l;

    (void)state;
    assert_int_equal(cm_write_body_labels("zone=b,app=x", 12, &arena, &l, &f), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0].key, "app");
    assert_int_equal(cm_write_body_labels("", 0, &arena, &l, &f), 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(cm_write_body_labels("a=b\0c,zz=top", 12, &arena, &l, &f), -1);
    assert_non_null(strstr(f.msg, "NUL byte"));
    assert_int_equal(cm_write_body_labels("a=b,a=c", 7, &arena, &l, &f), -1);
    assert_string_equal(f.msg, "label 'a' is given twice");
    assert_int_equal(cm_write_body_labels("novalue", 7, &arena, &l, &f), -1);
    assert_non_null(strstr(f.msg, "each label is name=value"));
    assert_int_equal(cm_write_body_labels("-a=b", 4, &arena, &l, &f), -1);
    assert_non_null(strstr(f.msg, "bad label name '-a'"));
}

static int
setup(void **state)
{
    (void)state;
    cm_arena_init(&arena, 4096);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    cm_arena_free(&arena);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_labels_param),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
