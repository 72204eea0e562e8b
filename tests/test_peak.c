/* test_peak.c - the fp32 peak probe (core/peak.h): every kernel the CPU can run computes the same chains as a
 * scalar loop and as their closed forms, and the measurement returns positive finite figures. No timing
 * assertion: the machine may be shared. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include "core/kernels.h"
#include "core/peak.h"

static const PeakIsa ISAS[] = {PEAK_GENERIC, PEAK_SSE, PEAK_AVX2, PEAK_AVX512};
#define N_ISAS (sizeof ISAS / sizeof ISAS[0])

/* sum over the chains (start k + 1) of f(k + 1), times the lanes */
static double chains_sum(PeakIsa isa, double (*f)(double x0, void *arg), void *arg) {
    double s = 0;
    for (int k = 0; k < PEAK_CHAINS; k++) s += f(k + 1.0, arg);
    return s * peak_isa_lanes(isa);
}

static double start(double x0, void *arg) { return x0; }
static double plus_half_n(double x0, void *arg) { return x0 + 0.5 * *(long *)arg; }
static double alternate_odd(double x0, void *arg) { return 1 - x0; }
static double one(double x0, void *arg) { return 1; }

/* x = a x + b in float, with one rounding per update as FMA does */
static double scalar_fma(double x0, void *arg) {
    const float *ab = arg;
    float x = (float)x0;
    for (int i = 0; i < (int)ab[2]; i++) x = fmaf(x, ab[0], ab[1]);
    return x;
}

/* the same with two roundings, a multiply then an add (volatile: the compiler may not fuse them) */
static double scalar_mul_add(double x0, void *arg) {
    const float *ab = arg;
    float x = (float)x0;
    for (int i = 0; i < (int)ab[2]; i++) {
        volatile float m = x * ab[0];
        x = m + ab[1];
    }
    return x;
}

static void test_isa_table(void **state) {
    (void)state;
    assert_true(peak_isa_supported(PEAK_GENERIC));
    PeakIsa best = peak_isa_best();
    assert_true(peak_isa_supported(best));
    for (size_t i = 0; i < N_ISAS; i++) /* nothing wider than the best is supported */
        if (ISAS[i] > best) assert_false(peak_isa_supported(ISAS[i]));
    assert_int_equal(peak_isa_lanes(PEAK_AVX512), 16);
    assert_int_equal(peak_isa_lanes(PEAK_AVX2), 8);
    assert_int_equal(peak_isa_lanes(PEAK_SSE), 4);
    assert_string_equal(peak_isa_name(PEAK_AVX512), "AVX-512");
    assert_string_equal(peak_isa_name(PEAK_AVX2), "AVX2+FMA");
}

/* Exact cases (every value representable, so FMA and multiply-then-add agree to the bit): the kernels' sums equal
 * the closed forms. */
static void test_closed_forms(void **state) {
    (void)state;
    int tested = 0;
    for (size_t i = 0; i < N_ISAS; i++) {
        PeakIsa isa = ISAS[i];
        if (!peak_isa_supported(isa)) continue;
        tested++;
        long n = 1000;
        assert_true(peak_fp32_chains(isa, 0, 3.0f, 7.0f) == chains_sum(isa, start, NULL));
        /* x + 0.5 each step: x0 + n/2 */
        assert_true(peak_fp32_chains(isa, n, 1.0f, 0.5f) == chains_sum(isa, plus_half_n, &n));
        /* 1 - x: back to the start after an even count, 1 - x0 after an odd one */
        assert_true(peak_fp32_chains(isa, 1000, -1.0f, 1.0f) == chains_sum(isa, start, NULL));
        assert_true(peak_fp32_chains(isa, 1001, -1.0f, 1.0f) == chains_sum(isa, alternate_odd, NULL));
        /* x/2 + 1/2 halves the distance to 1 each step: exactly 1 once it is below half an ulp */
        assert_true(peak_fp32_chains(isa, 200, 0.5f, 0.5f) == chains_sum(isa, one, NULL));
    }
    assert_true(tested >= 2); /* the generic kernel and at least one vector kernel (x86: SSE or wider) */
}

/* Inexact values: every kernel agrees bit for bit with a scalar loop doing the same arithmetic. The AVX kernels
 * fuse; SSE and the generic C multiply then add, unless the compiler fused them (it may where the build enables
 * FMA), so they match one of the two. The sums are exact in double (a few dozen floats of similar size), so the
 * order of summation does not matter. */
static void test_agrees_with_scalar(void **state) {
    (void)state;
    const float cases[][3] = {{0.75f, 0.3f, 37}, {1.0001f, -0.001f, 500}, {0.9999f, 1e-4f, 2000}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (size_t i = 0; i < N_ISAS; i++) {
            PeakIsa isa = ISAS[i];
            if (!peak_isa_supported(isa)) continue;
            double got = peak_fp32_chains(isa, (long)cases[c][2], cases[c][0], cases[c][1]);
            double fused = chains_sum(isa, scalar_fma, (void *)cases[c]);
            double unfused = chains_sum(isa, scalar_mul_add, (void *)cases[c]);
            assert_true(fused != unfused); /* the cases tell the two apart */
            if (isa == PEAK_AVX2 || isa == PEAK_AVX512) assert_true(got == fused);
            else assert_true(got == fused || got == unfused);
        }
}

static void test_measure(void **state) {
    (void)state;
    kernels_set_threads(2);
    PeakFp32 r;
    peak_fp32_measure(0, &r);
    assert_int_equal(r.threads, kernels_threads());
    assert_int_equal(r.isa, peak_isa_best());
    assert_true(isfinite(r.gflops) && r.gflops > 0);
    assert_true(isfinite(r.gflops_thread) && r.gflops_thread > 0);
    assert_true(isfinite(r.gflops_wall) && r.gflops_wall > 0);
    assert_true(isfinite(r.checksum) && r.checksum > 0);
    assert_true(r.seconds > 0);
    peak_fp32_measure(1, &r);
    assert_int_equal(r.threads, 1);
    assert_true(r.gflops == r.gflops_thread);
    peak_fp32_measure(1000, &r); /* more than the pool: all of it */
    assert_int_equal(r.threads, kernels_threads());
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isa_table),
        cmocka_unit_test(test_closed_forms),
        cmocka_unit_test(test_agrees_with_scalar),
        cmocka_unit_test(test_measure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
