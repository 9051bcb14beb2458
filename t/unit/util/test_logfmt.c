/*
 * Log records in the three formats: the exact lines, escapes that keep a
 * record on one line whatever the message holds, a JSON record that
 * json-c parses back to the same fields, a cut record that is still closed,
 * and request ids: nginx's adopted when well formed, refused otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <string.h>
#include <unistd.h>
#include <stdio.h>

#include "log.h"
#include "logfmt.h"

#define T 1795640400                    /* 2026-11-25T21:00:00Z */

static void
test_formats(void **state)
{
    char out[512];

    (void)state;
    cm_logfmt_record(out, sizeof(out), CM_LOG_TEXT, T, 42, "warn", NULL, "hello");
    assert_string_equal(out, "2026-11-25T21:00:00Z custom-metrics-fcgi[42] warn: hello");
    cm_logfmt_record(out, sizeof(out), CM_LOG_TEXT, T, 42, "warn", "42-7", "hello");
    assert_string_equal(out, "2026-11-25T21:00:00Z custom-metrics-fcgi[42] warn: request 42-7: hello");
    cm_logfmt_record(out, sizeof(out), CM_LOG_LOGFMT, T, 42, "info", NULL, "started");
    assert_string_equal(out, "ts=2026-11-25T21:00:00Z level=info pid=42 msg=started");
    cm_logfmt_record(out, sizeof(out), CM_LOG_LOGFMT, T, 42, "info", "abc123", "a b=\"c\"\\");
    assert_string_equal(out, "ts=2026-11-25T21:00:00Z level=info pid=42 request_id=abc123 "
                             "msg=\"a b=\\\"c\\\"\\\\\"");
    cm_logfmt_record(out, sizeof(out), CM_LOG_LOGFMT, T, 42, "info", NULL, "");
    assert_string_equal(out, "ts=2026-11-25T21:00:00Z level=info pid=42 msg=\"\"");
    cm_logfmt_record(out, sizeof(out), CM_LOG_JSON, T, 42, "error", "abc", "x \"y\"\n");
    assert_string_equal(out, "{\"ts\":\"2026-11-25T21:00:00Z\",\"level\":\"error\",\"pid\":42,"
                             "\"request_id\":\"abc\",\"msg\":\"x \\\"y\\\"\\n\"}");
}

static void
test_one_line_whatever_the_message(void **state)
{
    static const char msg[] = "a\nb\rc\td\001e\177f";
    enum cm_log_format f;
    char out[512];
    json_object *doc;

    (void)state;
    for (f = CM_LOG_TEXT; f <= CM_LOG_JSON; f++) {
        size_t n = cm_logfmt_record(out, sizeof(out), f, T, 1, "info", NULL, msg), i;

        assert_int_equal(n, strlen(out));
        for (i = 0; i < n; i++)
            assert_true((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
    }
    cm_logfmt_record(out, sizeof(out), CM_LOG_TEXT, T, 1, "info", NULL, msg);
    assert_non_null(strstr(out, "info: a\\x0ab\\x0dc\\x09d\\x01e\\x7ff"));
    cm_logfmt_record(out, sizeof(out), CM_LOG_LOGFMT, T, 1, "info", NULL, msg);
    assert_non_null(strstr(out, "msg=\"a\\nb\\rc\\td\\x01e\\x7ff\""));
    cm_logfmt_record(out, sizeof(out), CM_LOG_JSON, T, 1, "info", NULL, msg);
    doc = json_tokener_parse(out);
    assert_non_null(doc);
    assert_string_equal(json_object_get_string(json_object_object_get(doc, "msg")), msg);
    assert_string_equal(json_object_get_string(json_object_object_get(doc, "level")), "info");
    assert_int_equal(json_object_get_int(json_object_object_get(doc, "pid")), 1);
    assert_null(json_object_object_get(doc, "request_id"));
    json_object_put(doc);
}

static void
test_cut_record_is_closed(void **state)
{
    char out[96], big[400];
    json_object *doc;
    size_t n;

    (void)state;
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    big[70] = '"';                           /* an escape straddling the cut */
    n = cm_logfmt_record(out, sizeof(out), CM_LOG_JSON, T, 1, "info", "r", big);
    assert_true(n < sizeof(out));
    doc = json_tokener_parse(out);
    assert_non_null(doc);
    json_object_put(doc);
    n = cm_logfmt_record(out, sizeof(out), CM_LOG_LOGFMT, T, 1, "info", NULL, "a b");
    assert_string_equal(out + n - 5, "\"a b\"");
    memset(big, ' ', sizeof(big) - 1);
    n = cm_logfmt_record(out, sizeof(out), CM_LOG_LOGFMT, T, 1, "info", NULL, big);
    assert_true(n < sizeof(out));
    assert_int_equal(out[n - 1], '"');
}

static void
test_parse_and_request_ids(void **state)
{
    enum cm_log_format f;
    enum cm_log_level l;
    char want[64];

    (void)state;
    assert_int_equal(cm_logfmt_parse("json", &f), 0);
    assert_int_equal(f, CM_LOG_JSON);
    assert_int_equal(cm_logfmt_parse("logfmt", &f), 0);
    assert_int_equal(f, CM_LOG_LOGFMT);
    assert_int_equal(cm_logfmt_parse("text", &f), 0);
    assert_int_equal(cm_logfmt_parse("JSON", &f), -1);
    assert_int_equal(cm_log_level_parse("debug", &l), 0);
    assert_int_equal(l, CM_LOG_DEBUG);
    assert_int_equal(cm_log_level_parse("trace", &l), -1);

    cm_log_request_begin();
    snprintf(want, sizeof(want), "%ld-1", (long)getpid());
    assert_string_equal(cm_log_request_id(), want);   /* no nginx id: the worker's own */
    cm_log_request_begin();
    cm_log_request_adopt("4f1c7ab0e3d24b6d9a0c1e2f3a4b5c6d");
    assert_string_equal(cm_log_request_id(), "4f1c7ab0e3d24b6d9a0c1e2f3a4b5c6d");
    cm_log_request_begin();                            /* the next request forgets it */
    snprintf(want, sizeof(want), "%ld-3", (long)getpid());
    assert_string_equal(cm_log_request_id(), want);
    /* ids that could forge a record, or too long, are refused */
    cm_log_request_begin();
    cm_log_request_adopt("x msg=forged");
    cm_log_request_adopt("a\nb");
    cm_log_request_adopt("");
    cm_log_request_adopt("0123456789012345678901234567890123456789012345678");
    snprintf(want, sizeof(want), "%ld-4", (long)getpid());
    assert_string_equal(cm_log_request_id(), want);
    cm_log_request_end();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_one_line_whatever_the_message),
        cmocka_unit_test(test_cut_record_is_closed),
        cmocka_unit_test(test_parse_and_request_ids),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
