/*
 * The push store's record format: keys and values round-trip, malformed
 * records are refused rather than read past their end, the header check,
 * the scope/name hash split, and the two-copy versioning.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "pushrec.h"

static void
test_key_round_trip(void **s)
{
    struct cm_push_key k = { "backlog", "pods", "default", "web-1" }, out;
    struct cm_pushrec *r = calloc(1, sizeof(*r));
    char buf[CM_PUSHSTORE_KEY_MAX];
    size_t len;

    (void)s;
    len = cm_pushrec_encode_key(&k, buf);
    assert_int_equal(len, sizeof("backlog") + sizeof("pods") + sizeof("default") + sizeof("web-1"));
    assert_memory_equal(buf, "backlog\0pods\0default\0web-1\0", len);
    memcpy(r->key, buf, len);
    r->key_len = (uint16_t)len;
    assert_int_equal(cm_pushrec_decode_key(r, buf, &out), 0);
    assert_string_equal(out.metric, "backlog");
    assert_string_equal(out.resource, "pods");
    assert_string_equal(out.ns, "default");
    assert_string_equal(out.name, "web-1");

    /* external series: empty resource and namespace */
    k.resource = "";
    k.ns = "";
    len = cm_pushrec_encode_key(&k, buf);
    assert_int_equal(len, sizeof("backlog") + 2 + sizeof("web-1"));
    free(r);
}

static void
test_malformed_keys_are_refused(void **s)
{
    struct cm_pushrec *r = calloc(1, sizeof(*r));
    char buf[CM_PUSHSTORE_KEY_MAX];
    struct cm_push_key out;

    (void)s;
    r->key_len = 0;
    assert_int_equal(cm_pushrec_decode_key(r, buf, &out), -1);
    memcpy(r->key, "a\0b\0c\0d", 7);   /* no final NUL */
    r->key_len = 7;
    assert_int_equal(cm_pushrec_decode_key(r, buf, &out), -1);
    memcpy(r->key, "a\0b\0c\0", 6);    /* three parts */
    r->key_len = 6;
    assert_int_equal(cm_pushrec_decode_key(r, buf, &out), -1);
    memcpy(r->key, "a\0b\0c\0d\0e\0", 10);  /* five */
    r->key_len = 10;
    assert_int_equal(cm_pushrec_decode_key(r, buf, &out), -1);
    r->key_len = CM_PUSHSTORE_KEY_MAX + 1;
    assert_int_equal(cm_pushrec_decode_key(r, buf, &out), -1);
    free(r);
}

static void
test_value_round_trip_and_damage(void **s)
{
    struct cm_label l[2] = { { "a", "1" }, { "zone", "eu-west" } };
    struct cm_push_value v = { "300m", 1700000000, { 2, l } }, out;
    struct cm_pushrec_copy c;
    char err[128];
    void *block;
    size_t size;

    (void)s;
    assert_int_equal(cm_pushrec_encode_value(&v, &c, err, sizeof(err)), 0);
    size = cm_pushrec_decoded_size(&c);
    assert_int_equal(size, 2 * sizeof(struct cm_label) + sizeof("300m") + sizeof("a") +
                     sizeof("1") + sizeof("zone") + sizeof("eu-west"));
    block = malloc(size);
    assert_int_equal(cm_pushrec_decode_value(&c, block, &out), 0);
    assert_string_equal(out.text, "300m");
    assert_int_equal(out.timestamp, 1700000000);
    assert_int_equal(out.labels.n, 2);
    assert_string_equal(out.labels.v[1].key, "zone");
    assert_string_equal(out.labels.v[1].value, "eu-west");

    /* a label count the bytes do not hold */
    free(block);
    c.nlabels = 3;
    block = malloc(cm_pushrec_decoded_size(&c));
    assert_int_equal(cm_pushrec_decode_value(&c, block, &out), -1);
    free(block);
    /* lengths past the copy, or text without its NUL */
    c.nlabels = 2;
    c.labels_len = CM_PUSHREC_COPY_DATA;
    assert_int_equal(cm_pushrec_decoded_size(&c), 0);
    assert_int_equal(cm_pushrec_encode_value(&v, &c, err, sizeof(err)), 0);
    c.data[c.text_len] = 'x';
    assert_int_equal(cm_pushrec_decoded_size(&c), 0);
}

static void
test_values_that_do_not_fit(void **s)
{
    char big[CM_PUSHREC_COPY_DATA + 8];
    struct cm_label l = { "k", big };
    struct cm_push_value v = { big, 0, { 0, NULL } };
    struct cm_pushrec_copy c;
    char err[128];

    (void)s;
    memset(big, '1', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(cm_pushrec_encode_value(&v, &c, err, sizeof(err)), -1);
    assert_string_equal(err, "the value is too long");
    v.text = "1";
    v.labels.n = 1;
    v.labels.v = &l;
    assert_int_equal(cm_pushrec_encode_value(&v, &c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "the labels take more than"));
}

static void
test_header_check(void **s)
{
    struct cm_pushrec_header h;

    (void)s;
    cm_pushrec_header_init(&h, 16);
    assert_int_equal(cm_pushrec_header_check(&h, CM_PUSHREC_FILE_SIZE(16)), 0);
    assert_int_equal(cm_pushrec_header_check(&h, CM_PUSHREC_FILE_SIZE(16) - 1), -1);
    assert_int_equal(cm_pushrec_header_check(&h, 0), -1);
    h.count = 17;
    assert_int_equal(cm_pushrec_header_check(&h, CM_PUSHREC_FILE_SIZE(16)), -1);
    cm_pushrec_header_init(&h, 16);
    h.magic[7] = '9';
    assert_int_equal(cm_pushrec_header_check(&h, CM_PUSHREC_FILE_SIZE(16)), -1);
    cm_pushrec_header_init(&h, 0);
    assert_int_equal(cm_pushrec_header_check(&h, CM_PUSHREC_FILE_SIZE(0)), -1);
    assert_int_equal(CM_PUSHREC_OFFSET(3), 4096 + 3 * 2048);
}

static void
test_hash_is_scope_then_name(void **s)
{
    static const char key[] = "m\0pods\0ns\0name";
    size_t scope = sizeof("m") + sizeof("pods") + sizeof("ns");

    (void)s;
    assert_int_equal(cm_pushrec_hash_key(key, sizeof(key)),
                     cm_pushrec_hash_combine(cm_hash_bytes(key, scope),
                                             cm_hash_bytes(key + scope, sizeof(key) - scope)));
}

static void
test_write_alternates_copies(void **s)
{
    struct cm_pushrec *r = calloc(1, sizeof(*r));
    struct cm_push_value a = { "1", 1, { 0, NULL } }, b = { "2", 2, { 0, NULL } };
    struct cm_pushrec_copy ca, cb, got;
    uint32_t version;
    char err[64];

    (void)s;
    cm_pushrec_encode_value(&a, &ca, err, sizeof(err));
    cm_pushrec_encode_value(&b, &cb, err, sizeof(err));
    cm_pushrec_fill(r, "m\0\0\0x", 6, &ca);
    assert_int_equal(cm_pushrec_read(r, &got, &version), 0);
    assert_int_equal(version, 0);
    assert_string_equal(got.data, "1");
    cm_pushrec_write(r, &cb);
    assert_int_equal(r->version, 2);
    assert_string_equal(r->copy[1].data, "2");
    assert_string_equal(r->copy[0].data, "1");     /* the previous value, still whole */
    assert_int_equal(cm_pushrec_read(r, &got, &version), 0);
    assert_string_equal(got.data, "2");
    /* a writer that died mid-write (odd version): the current copy is still read */
    r->version = 3;
    assert_int_equal(cm_pushrec_read(r, &got, NULL), 0);
    assert_string_equal(got.data, "2");
    cm_pushrec_write(r, &ca);
    assert_int_equal(r->version, 4);
    assert_int_equal(cm_pushrec_read(r, &got, NULL), 0);
    assert_string_equal(got.data, "1");
    free(r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_round_trip),
        cmocka_unit_test(test_malformed_keys_are_refused),
        cmocka_unit_test(test_value_round_trip_and_damage),
        cmocka_unit_test(test_values_that_do_not_fit),
        cmocka_unit_test(test_header_check),
        cmocka_unit_test(test_hash_is_scope_then_name),
        cmocka_unit_test(test_write_alternates_copies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
