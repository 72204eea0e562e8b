/* test_supervised.c - the pretraining corpus mixture: styles are drawn in the configured proportions, a second
 * mixture takes over at pretrain.phase2_start (and only when it is set), and a short pretraining run is
 * repeatable and lowers the loss (its batches run as length-sorted micro-batches, supervised.c); SFT data: examples
 * longer than the model's context are reported (how many, which lines, how long), a NUL byte is an error with the
 * line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
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

static void keep_report(void *ud, const SftDataReport *r) {
    assert_non_null(strstr(r->path, "/tmp/test_supervised_"));
    *(SftDataReport *)ud = *r;
    ((SftDataReport *)ud)->path = NULL;   /* lives for the call only */
}

/* One SFT step on the n bytes `data` with a model of max_T 32; returns supervised_sft's result, the report in *rep. */
static int sft_on(const char *data, size_t n, SftDataReport *rep, char *err, size_t errlen) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/test_supervised_%d.jsonl", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
    Config c;
    config_defaults(&c);
    snprintf(c.sft.data, sizeof c.sft.data, "%s", path);
    c.sft.steps = 1;
    c.sft.batch_size = 2;
    Tokenizer tok;
    assert_int_equal(tokenizer_init(&tok, TOKENIZER_DEFAULT_ALPHABET, err, errlen), 0);
    ModelConfig mc = {.V = tok.V, .C = 16, .L = 1, .H = 2, .F = 32, .max_T = 32, .rope_theta = 10000,
                      .norm_eps = 1e-5f, .tied = 1};
    Model m;
    memset(&m, 0, sizeof m);
    assert_int_equal(model_init(&m, &mc, 5), 0);
    AdamW opt;
    assert_int_equal(adamw_init(&opt, m.n_params), 0);
    memset(rep, 0, sizeof *rep);
    SupervisedCallbacks cb = {.ud = rep, .on_sft_data = keep_report};
    int rc = supervised_sft(&m, &opt, &tok, &c, &cb, NULL, err, errlen);
    model_free(&m);
    adamw_free(&opt);
    unlink(path);
    return rc;
}

static void test_sft_reports_long_examples(void **state) {
    (void)state;
    char data[4096] = "", line[256], err[512];
    /* lines 1..10; 3, 5, 6, 7, 8, 9 and 10 do not fit 32 tokens (<bos> + prompt + completion + <eos>) */
    for (int i = 1; i <= 10; i++) {
        int long_one = i == 3 || i >= 5;
        snprintf(line, sizeof line, "{\"prompt\": \"%d+1=\", \"completion\": \"%s%d\"}\n", i,
                 long_one ? "so the sum of the two numbers is " : "", i + 1);
        strcat(data, line);
    }
    SftDataReport r;
    if (sft_on(data, strlen(data), &r, err, sizeof err) != 0) fail_msg("%s", err);
    assert_int_equal(r.examples, 3);
    assert_int_equal(r.skipped, 7);
    assert_int_equal(r.max_seq, 32);
    assert_int_equal(r.n_listed, SFT_REPORT_LINES);
    static const long want[SFT_REPORT_LINES] = {3, 5, 6, 7, 8};
    for (int i = 0; i < SFT_REPORT_LINES; i++) {
        assert_int_equal(r.line[i], want[i]);
        assert_true(r.tokens[i] > 32);
    }
    assert_int_equal(r.tokens[0], 1 + 4 + 33 + 1 + 1); /* <bos> "3+1=" "so the ... is " "4" <eos> */

    /* nothing fits: an error that says why */
    static const char none_fit[] = "{\"prompt\": \"1+1=\", \"completion\": \"the answer to this one is surely 2\"}\n";
    assert_int_equal(sft_on(none_fit, strlen(none_fit), &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "all 1 examples are longer than the model's context of 32 tokens"));
    assert_non_null(strstr(err, "line 1"));
}

static void test_sft_nul_byte(void **state) {
    (void)state;
    static const char data[] = "{\"prompt\": \"1+1=\", \"completion\": \"2\"}\n{\"prompt\": \"2+2=\", \"completion\": \"4\"}\0x\n";
    SftDataReport r;
    char err[512];
    assert_int_equal(sft_on(data, sizeof data - 1, &r, err, sizeof err), -1);
    if (!strstr(err, ":2: a NUL byte at byte 38")) fail_msg("%s", err);
    static const char alone[] = "{\"prompt\": \"1+1=\", \"completion\": \"2\"}\n\0\n";
    assert_int_equal(sft_on(alone, sizeof alone - 1, &r, err, sizeof err), -1);
    if (!strstr(err, ":2: a NUL byte at byte 1")) fail_msg("%s", err);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mixture_and_phases),
        cmocka_unit_test(test_pretrain_repeatable_and_learns),
        cmocka_unit_test(test_sft_reports_long_examples),
        cmocka_unit_test(test_sft_nul_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
