/* metav1.Status bodies, byte for byte as the Go apiserver writes them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "status.h"

static struct cm_buf body;
static struct cm_response res;
static struct cm_ctx ctx;

static int
setup(void **state)
{
    (void)state;
    cm_buf_init(&body, 1 << 16);
    memset(&res, 0, sizeof(res));
    res.body = &body;
    memset(&ctx, 0, sizeof(ctx));
    ctx.res = &res;
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    cm_buf_free(&body);
    return 0;
}

static void
test_failure_compact(void **state)
{
    (void)state;
    cm_buf_adds(&body, "half-written answer");     /* replaced, not appended to */
    cm_status_write(&ctx, 404, "NotFound", 0, "the server could not find the metric %s for %s",
                    "m", "pods");
    assert_int_equal(res.status, 404);
    assert_string_equal(res.content_type, "application/json");
    assert_string_equal(body.data,
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
        "\"message\":\"the server could not find the metric m for pods\",\"reason\":\"NotFound\","
        "\"code\":404}\n");
}

static void
test_generic_not_found_has_details(void **state)
{
    (void)state;
    cm_status_not_found(&ctx);
    assert_string_equal(body.data,
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
        "\"message\":\"the server could not find the requested resource\",\"reason\":\"NotFound\","
        "\"details\":{},\"code\":404}\n");
}

static void
test_unknown_reason_and_pretty(void **state)
{
    (void)state;
    ctx.pretty = 1;
    cm_status_write(&ctx, 500, NULL, 0, "bad \"selector\"");
    ctx.pretty = 0;
    assert_int_equal(res.status, 500);
    assert_string_equal(body.data,
        "{\n"
        "  \"kind\": \"Status\",\n"
        "  \"apiVersion\": \"v1\",\n"
        "  \"metadata\": {},\n"
        "  \"status\": \"Failure\",\n"
        "  \"message\": \"bad \\\"selector\\\"\",\n"
        "  \"code\": 500\n"
        "}");                                       /* pretty output has no trailing newline */
}

static void
test_method_not_supported(void **state)
{
    (void)state;
    cm_status_method_not_supported(&ctx, "external.metrics.k8s.io", "*", "watch");
    assert_int_equal(res.status, 405);
    assert_string_equal(body.data,
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
        "\"message\":\"watch is not supported on resources of kind \\\"*.external.metrics.k8s.io\\\"\","
        "\"reason\":\"MethodNotAllowed\",\"details\":{\"group\":\"external.metrics.k8s.io\","
        "\"kind\":\"*\"},\"code\":405}\n");
}

static void
test_success(void **state)
{
    (void)state;
    cm_status_success(&ctx, "wrote %d values", 3);
    assert_int_equal(res.status, 200);
    assert_string_equal(body.data,
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Success\","
        "\"message\":\"wrote 3 values\",\"code\":200}\n");
}

static void
test_status_text(void **state)
{
    (void)state;
    assert_string_equal(cm_status_text(200), "200 OK");
    assert_string_equal(cm_status_text(403), "403 Forbidden");
    assert_string_equal(cm_status_text(507), "507 Insufficient Storage");
    assert_string_equal(cm_status_text(429), "429 Too Many Requests");   /* the guard's busy answer */
    assert_string_equal(cm_status_text(299), "500 Internal Server Error");   /* unknown codes */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_failure_compact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generic_not_found_has_details, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_reason_and_pretty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_method_not_supported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_text, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
