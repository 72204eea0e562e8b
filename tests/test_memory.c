/* test_memory.c - core/memory.h: the resident size of the process, the human-readable sizes and the estimate's
 * total and description. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "core/memory.h"

/* Touching 64 MB makes the process that much larger in RAM; freeing is not checked (the allocator may keep it). */
static void test_resident_grows(void **state) {
    (void)state;
    size_t before = memory_resident();
    assert_true(before > 0);
    const size_t n = 64u << 20;
    unsigned char *p = malloc(n);
    assert_non_null(p);
    memset(p, 1, n); /* every page written: resident, not just reserved */
    size_t after = memory_resident();
    assert_true(after >= before + n - (4u << 20)); /* less a little: the allocator may have reused freed pages */
    size_t sum = 0;
    for (size_t i = 0; i < n; i += 4096) sum += p[i];
    assert_int_equal(sum, n / 4096);
    free(p);
}

static void test_format(void **state) {
    (void)state;
    char buf[32];
    memory_format(512, buf, sizeof buf);
    assert_string_equal(buf, "512 B");
    memory_format(12000, buf, sizeof buf);
    assert_string_equal(buf, "12 KB");
    memory_format(350u * 1000 * 1000, buf, sizeof buf);
    assert_string_equal(buf, "350 MB");
    memory_format((size_t)7200 * 1000 * 1000, buf, sizeof buf);
    assert_string_equal(buf, "7.2 GB");
}

static void test_estimate(void **state) {
    (void)state;
    MemoryEstimate e = {.weights = 1000, .gradients = 1000, .optimizer = 2000, .reference = 1000,
                        .kv_cache = 3000000, .activations = 500, .buffers = 12};
    assert_int_equal(memory_estimate_total(&e), 3005512);
    char buf[256];
    memory_estimate_describe(&e, buf, sizeof buf);
    assert_non_null(strstr(buf, "weights 1 KB"));
    assert_non_null(strstr(buf, "KV cache 3 MB"));
    assert_non_null(strstr(buf, "step buffers 12 B"));
    char small[8]; /* cut short, still terminated */
    memory_estimate_describe(&e, small, sizeof small);
    assert_true(strlen(small) < sizeof small);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resident_grows),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_estimate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
