/* test_optim.c - AdamW against values worked out by hand (torch.optim.AdamW's update), clipping, schedules. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include "core/config.h"
#include "core/optim.h"

static void test_adamw_two_steps(void **state) {
    (void)state;
    AdamW o;
    assert_int_equal(adamw_init(&o, 2), 0);
    float p[2] = {1.0f, -2.0f}, g[2] = {0.5f, -0.1f};
    /* step 1: m = 0.1 g, v = 0.001 g^2, mhat = g, vhat = g^2 -> update = lr * g / (|g| + eps) = lr * sign(g) */
    adamw_step(&o, p, g, 0.01f, 0.9f, 0.999f, 1e-8f, 0.1f);
    assert_float_equal(p[0], 1.0 * (1 - 0.001) - 0.01, 1e-6);
    assert_float_equal(p[1], -2.0 * (1 - 0.001) + 0.01, 1e-6);
    /* step 2 with g = 0: m = 0.09 g1, v = 0.000999 g1^2; mhat = m / 0.19, vhat = v / 0.001999 */
    float z[2] = {0, 0}, p0 = p[0];
    adamw_step(&o, p, z, 0.01f, 0.9f, 0.999f, 1e-8f, 0.0f);
    double mhat = 0.09 * 0.5 / 0.19, vhat = 0.000999 * 0.25 / 0.001999;
    assert_float_equal(p[0], p0 - 0.01 * mhat / (sqrt(vhat) + 1e-8), 1e-6);
    assert_int_equal(o.t, 2);
    adamw_free(&o);
    adamw_free(&o); /* free twice is harmless */
}

static void test_clip(void **state) {
    (void)state;
    float g[2] = {3, 4};
    assert_float_equal(grad_clip_norm(g, 2, 10.0f), 5.0, 1e-6);
    assert_float_equal(g[0], 3.0, 0); /* under the limit: untouched */
    assert_float_equal(grad_clip_norm(g, 2, 1.0f), 5.0, 1e-6);
    assert_float_equal(sqrt(g[0] * g[0] + g[1] * g[1]), 1.0, 1e-5);
    assert_float_equal(g[0] / g[1], 0.75, 1e-6);
}

static void test_schedules(void **state) {
    (void)state;
    assert_float_equal(lr_schedule(0, 1.0f, 4, 100, SCHED_CONSTANT, 0.1f), 0.25, 1e-7);
    assert_float_equal(lr_schedule(3, 1.0f, 4, 100, SCHED_CONSTANT, 0.1f), 1.0, 1e-7);
    assert_float_equal(lr_schedule(50, 1.0f, 4, 100, SCHED_CONSTANT, 0.1f), 1.0, 1e-7);
    assert_float_equal(lr_schedule(4, 1.0f, 4, 104, SCHED_COSINE, 0.1f), 1.0, 1e-6);
    assert_float_equal(lr_schedule(54, 1.0f, 4, 104, SCHED_COSINE, 0.1f), 0.55, 1e-6);
    assert_float_equal(lr_schedule(104, 1.0f, 4, 104, SCHED_COSINE, 0.1f), 0.1, 1e-6);
    assert_float_equal(lr_schedule(54, 1.0f, 4, 104, SCHED_LINEAR, 0.0f), 0.5, 1e-6);
    assert_float_equal(lr_schedule(500, 1.0f, 4, 104, SCHED_LINEAR, 0.0f), 0.0, 1e-6);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adamw_two_steps),
        cmocka_unit_test(test_clip),
        cmocka_unit_test(test_schedules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
