/* test_supervised.c - the pretraining corpus mixture: styles are drawn in the configured proportions, a second
 * mixture takes over at pretrain.phase2_start (and only when it is set), and a short pretraining run is
 * repeatable and lowers the loss (its batches run as length-sorted micro-batches, supervised.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>
#include "core/config.h"
#include "core/rng.h"
#include "core/supervised.h"

static void shares(const Config *c, int step, double out[STYLE_COUNT]) {
    Rng rng;
    rng_seed(&rng, 3, 4);
    int n[STYLE_COUNT] = {0};
    const int N = 20000;
    for (int i = 0; i < N; i++) n[supervised_draw_style(c, step, &rng)]++;
    for (int s = 0; s < STYLE_COUNT; s++) out[s] = (double)n[s] / N;
}

static void test_mixture_and_phases(void **state) {
    (void)state;
    Config c;
    char err[256];
    config_defaults(&c);
    c.pretrain.style_direct = 0.1f;
    c.pretrain.style_scratchpad = 0.2f;
    c.pretrain.style_check = 0.3f;
    c.pretrain.style_wait = 0.4f;
    c.pretrain.phase2_style_direct = 0.9f;
    c.pretrain.phase2_style_wait = 0.1f;
    double s[STYLE_COUNT];
    /* phase2_start = 0: one mixture throughout, whatever phase2_style_* say */
    c.pretrain.phase2_start = 0;
    shares(&c, 100000, s);
    assert_float_equal(s[STYLE_DIRECT], 0.1, 0.015);
    assert_float_equal(s[STYLE_SCRATCHPAD], 0.2, 0.015);
    assert_float_equal(s[STYLE_CHECK], 0.3, 0.015);
    assert_float_equal(s[STYLE_WAIT], 0.4, 0.015);
    /* phase2_start = 500: the first mixture before step 500, the second from it on */
    c.pretrain.phase2_start = 500;
    assert_int_equal(config_finish(&c, err, sizeof err), 0);
    shares(&c, 499, s);
    assert_float_equal(s[STYLE_DIRECT], 0.1, 0.015);
    assert_float_equal(s[STYLE_WAIT], 0.4, 0.015);
    shares(&c, 500, s);
    assert_float_equal(s[STYLE_DIRECT], 0.9, 0.015);
    assert_float_equal(s[STYLE_SCRATCHPAD], 0.0, 1e-12);
    assert_float_equal(s[STYLE_CHECK], 0.0, 1e-12);
    assert_float_equal(s[STYLE_WAIT], 0.1, 0.015);
    /* a second phase with no mixture is a config error */
    Config d;
    config_defaults(&d);
    assert_int_equal(config_set(&d, "pretrain.phase2_start=10", err, sizeof err), 0);
    assert_int_equal(config_finish(&d, err, sizeof err), -1);
    assert_non_null(strstr(err, "phase2_start = 10"));
    assert_non_null(strstr(err, "phase2_style_direct"));
}

static double pretrain_once(double *final_loss) {
    Config c;
    char err[256];
    config_defaults(&c);
    const char *sets[] = {"model.preset=custom", "model.d_model=32", "model.n_layers=1", "model.n_heads=2",
                          "model.ffn_hidden=64", "model.max_seq=128", "model.init=random", "task.digits_min=1",
                          "task.digits_max=2", "pretrain.steps=60", "pretrain.batch_size=16", "pretrain.seq_len=128",
                          "pretrain.warmup_steps=5", "pretrain.lr=3e-3", "pretrain.corpus_problems=500",
                          "pretrain.phase2_start=30", "pretrain.phase2_style_direct=1", "run.eval_problems=50",
                          "task.eval_size=50", "sampling.max_new_tokens=64"};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        if (config_set(&c, sets[i], err, sizeof err) != 0) fail_msg("%s", err);
    if (config_finish(&c, err, sizeof err) != 0) fail_msg("%s", err);
    Task *task = task_new(&c, err, sizeof err);
    assert_non_null(task);
    Tokenizer tok;
    assert_int_equal(tokenizer_init(&tok, TOKENIZER_DEFAULT_ALPHABET, err, sizeof err), 0);
    ModelConfig mc = {.V = tok.V, .C = c.model.d_model, .L = c.model.n_layers, .H = c.model.n_heads,
                      .F = c.model.ffn_hidden, .max_T = c.model.max_seq, .rope_theta = c.model.rope_theta,
                      .norm_eps = c.model.norm_eps, .tied = c.model.tied};
    Model m;
    memset(&m, 0, sizeof m);
    assert_int_equal(model_init(&m, &mc, 5), 0);
    AdamW opt;
    assert_int_equal(adamw_init(&opt, m.n_params), 0);
    c.pretrain.steps = 1;
    double first = 0;
    assert_int_equal(supervised_pretrain(&m, &opt, &tok, task, &c, NULL, &first, err, sizeof err), 0);
    c.pretrain.steps = 60;
    assert_int_equal(supervised_pretrain(&m, &opt, &tok, task, &c, NULL, final_loss, err, sizeof err), 0);
    double sum = 0;
    for (size_t i = 0; i < m.n_params; i++) sum += m.params_mem[i];
    model_free(&m);
    adamw_free(&opt);
    task_free(task);
    assert_true(*final_loss < first - 0.5);
    return sum;
}

static void test_pretrain_repeatable_and_learns(void **state) {
    (void)state;
    double l1, l2;
    double a = pretrain_once(&l1), b = pretrain_once(&l2);
    assert_true(a == b);
    assert_true(l1 == l2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mixture_and_phases),
        cmocka_unit_test(test_pretrain_repeatable_and_learns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
