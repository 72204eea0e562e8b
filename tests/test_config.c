/* test_config.c - the configuration: the key table covers Config exactly, the defaults and the shipped configs load,
 * config_to_ini round-trips, --set works, and every kind of bad value is an error that names the file, the line,
 * the key, the value and what was allowed - and leaves the Config untouched. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/config.h"

#ifndef GRPO_SOURCE_DIR
#define GRPO_SOURCE_DIR "."
#endif

/* Two configs are equal when every key reads the same. */
static void assert_config_equal(const Config *a, const Config *b) {
    char va[2048], vb[2048];
    for (int i = 0; i < CONFIG_N_KEYS; i++) {
        config_get_value(a, &CONFIG_KEYS[i], va, sizeof(va));
        config_get_value(b, &CONFIG_KEYS[i], vb, sizeof(vb));
        if (strcmp(va, vb) != 0) fail_msg("%s.%s: %s != %s", CONFIG_KEYS[i].section, CONFIG_KEYS[i].key, va, vb);
    }
    assert_memory_equal(a, b, sizeof(Config));
}

static void assert_contains(const char *text, const char *part) {
    if (!strstr(text, part)) fail_msg("expected \"%s\" in: %s", part, text);
}

/* Loads `text` as configs/x.ini over the defaults, expects an error that contains every given piece, and checks
 * the config was not changed. */
static void expect_load_error(const char *text, ...) {
    Config c, before;
    char err[512] = "";
    config_defaults(&c);
    before = c;
    if (config_load_string(&c, text, "configs/x.ini", err, sizeof(err)) == 0) fail_msg("accepted: %s", text);
    va_list ap;
    va_start(ap, text);
    for (const char *part; (part = va_arg(ap, const char *));) assert_contains(err, part);
    va_end(ap);
    assert_memory_equal(&c, &before, sizeof(Config));
}

static void test_table_covers_config(void **state) {
    (void)state;
    /* every byte of Config belongs to exactly one key: no field without a key, no key twice */
    unsigned char owner[sizeof(Config)];
    memset(owner, 0, sizeof(owner));
    for (int i = 0; i < CONFIG_N_KEYS; i++) {
        const ConfigKey *k = &CONFIG_KEYS[i];
        assert_true(k->offset + k->size <= sizeof(Config));
        for (size_t b = 0; b < k->size; b++) {
            if (owner[k->offset + b]) fail_msg("%s.%s overlaps another key", k->section, k->key);
            owner[k->offset + b] = 1;
        }
        assert_non_null(k->help);
        assert_true(strlen(k->help) > 5);
        if (k->type == CFG_ENUM) assert_non_null(k->choices);
        if (k->type == CFG_INT || k->type == CFG_FLOAT) assert_true(k->min <= k->max);
        assert_ptr_equal(config_key(k->section, k->key), k);
        char dotted[80];
        snprintf(dotted, sizeof(dotted), "%s.%s", k->section, k->key);
        assert_ptr_equal(config_key_dotted(dotted), k);
    }
    for (size_t b = 0; b < sizeof(Config); b++)
        if (!owner[b]) fail_msg("byte %zu of Config has no key in CONFIG_KEYS", b);
    assert_null(config_key("grpo", "nope"));
    assert_null(config_key_dotted("grpo"));
    assert_null(config_key_dotted(".beta"));
}

static void test_live_keys(void **state) {
    (void)state;
    static const char *const live[] = {
        "optim.lr", "optim.weight_decay", "optim.grad_clip", "grpo.beta", "grpo.eps_low", "grpo.eps_high",
        "grpo.group_size", "grpo.prompts_per_step", "grpo.num_iterations", "grpo.scale_std", "grpo.aggregation",
        "grpo.importance_sampling", "grpo.loss_type", "grpo.delta", "grpo.advantage_scaling", "grpo.mask_truncated",
        "grpo.overlong_buffer", "grpo.overlong_penalty", "grpo.dynamic_sampling", "grpo.max_draw_factor",
        "grpo.entropy_top_fraction", "grpo.ref_refresh_every", "grpo.ref_mix",
        "sampling.temperature", "sampling.top_p", "sampling.top_k", "sampling.max_new_tokens", "reward.accuracy",
        "reward.format", "reward.language", "run.eval_every", "run.checkpoint_every", "run.steps"};
    int n_live = 0;
    for (int i = 0; i < CONFIG_N_KEYS; i++) n_live += CONFIG_KEYS[i].live;
    assert_int_equal(n_live, (int)(sizeof(live) / sizeof(live[0])));
    for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
        const ConfigKey *k = config_key_dotted(live[i]);
        assert_non_null(k);
        if (!k->live) fail_msg("%s should be live", live[i]);
    }
    assert_false(config_key_dotted("model.d_model")->live);
}

static void test_defaults(void **state) {
    (void)state;
    Config c;
    char err[512];
    config_defaults(&c);
    assert_string_equal(c.model.preset, "tiny");
    assert_int_equal(c.model.d_model, 0);
    assert_string_equal(c.model.init, "assets/base-add");
    assert_string_equal(c.task.prompt_template, "{question}<think>");
    assert_int_equal(c.grpo.aggregation, AGG_SEQUENCE);
    assert_float_equal(c.grpo.eps_high, 0.2, 1e-7);
    /* the variants are off: the objective is GRPO's as before them */
    assert_int_equal(c.grpo.importance_sampling, IS_TOKEN);
    assert_int_equal(c.grpo.loss_type, LOSS_GRPO);
    assert_true(c.grpo.delta == 0.0f);
    assert_int_equal(c.grpo.advantage_scaling, ADV_SCALE_GROUP);
    assert_int_equal(c.grpo.mask_truncated, 0);
    assert_int_equal(c.grpo.overlong_buffer, 0);
    assert_float_equal(c.grpo.overlong_penalty, 1.0, 1e-7);
    assert_float_equal(c.optim.lr, 1e-4, 1e-10);
    assert_int_equal(c.optim.schedule, SCHED_CONSTANT);
    assert_int_equal(c.run.max_batch, 256);
    /* the defaults pass every range check: each value read back through its own key */
    for (int i = 0; i < CONFIG_N_KEYS; i++) {
        char v[2048];
        Config d = c;
        config_get_value(&c, &CONFIG_KEYS[i], v, sizeof(v));
        if (config_set_value(&d, &CONFIG_KEYS[i], v, err, sizeof(err)) != 0) fail_msg("default %s", err);
    }
    assert_int_equal(config_finish(&c, err, sizeof(err)), 0);
    assert_int_equal(c.model.d_model, 128);
    assert_int_equal(c.model.n_layers, 4);
    assert_int_equal(c.model.n_heads, 4);
    assert_int_equal(c.model.ffn_hidden, 384);

    Config s;
    config_defaults(&s);
    assert_int_equal(config_set(&s, "model.preset=small", err, sizeof(err)), 0);
    assert_int_equal(config_set(&s, "model.n_layers=2", err, sizeof(err)), 0);   /* explicit size wins */
    assert_int_equal(config_finish(&s, err, sizeof(err)), 0);
    assert_int_equal(s.model.d_model, 256);
    assert_int_equal(s.model.n_layers, 2);
    assert_int_equal(s.model.n_heads, 8);
    assert_int_equal(s.model.ffn_hidden, 768);
}

static void test_shipped_configs(void **state) {
    (void)state;
    Config c, d;
    char err[512];
    /* configs/default.ini is the default experiment, key for key */
    config_defaults(&c);
    config_defaults(&d);
    /* load over something else, so that a key missing from the file would show */
    c.grpo.beta = 9.0f;
    c.run.steps = 7;
    if (config_load_file(&c, GRPO_SOURCE_DIR "/configs/default.ini", err, sizeof(err)) != 0) fail_msg("%s", err);
    assert_config_equal(&c, &d);

    config_defaults(&c);
    if (config_load_file(&c, GRPO_SOURCE_DIR "/configs/test-fast.ini", err, sizeof(err)) != 0) fail_msg("%s", err);
    if (config_finish(&c, err, sizeof(err)) != 0) fail_msg("%s", err);
    assert_string_equal(c.model.preset, "custom");
    assert_int_equal(c.model.d_model, 32);
    assert_string_equal(c.model.init, "random");
    assert_int_equal(c.run.eval_every, 0);
    assert_int_equal(c.run.checkpoint_every, 5);

    /* the Hugging Face recipe: its template, written over three quoted pieces, is the model's chat format opening
     * <think> */
    config_defaults(&c);
    if (config_load_file(&c, GRPO_SOURCE_DIR "/configs/hf-gsm8k.ini", err, sizeof(err)) != 0) fail_msg("%s", err);
    if (config_finish(&c, err, sizeof(err)) != 0) fail_msg("%s", err);
    assert_string_equal(c.task.name, "gsm8k");
    const char *tpl = c.task.prompt_template, *end = "<|im_end|>\n<|im_start|>assistant\n<think>";
    assert_non_null(strstr(tpl, "<|im_start|>user\n{question}<|im_end|>"));
    assert_true(strlen(tpl) > strlen(end) && strcmp(tpl + strlen(tpl) - strlen(end), end) == 0);
}

static void test_round_trip(void **state) {
    (void)state;
    Config c, d;
    char err[512];
    config_defaults(&c);
    c.grpo.beta = 0.123456789f;
    c.optim.lr = 3.3e-5f;
    c.optim.min_lr_ratio = 0.0f;
    c.sampling.top_p = 0.95f;
    c.grpo.aggregation = AGG_DR_GRPO;
    c.optim.schedule = SCHED_COSINE;
    c.task.match = MATCH_NUMERIC;
    c.grpo.scale_std = 0;
    c.grpo.importance_sampling = IS_SEQUENCE;
    c.grpo.loss_type = LOSS_CISPO;
    c.grpo.delta = 2.5f;
    c.grpo.advantage_scaling = ADV_SCALE_BATCH;
    c.grpo.mask_truncated = 1;
    c.grpo.overlong_buffer = 40;
    c.grpo.overlong_penalty = 0.5f;
    c.run.seed = 2147483647;
    c.optim.lr = 0.1f;              /* at the top of its range as a float: must read back in range */
    strcpy(c.model.init, "runs/a b/step-50");
    strcpy(c.task.path, "  leading and trailing blanks  ");
    strcpy(c.run.name, "quote\"back\\slash;semi");
    strcpy(c.task.prompt_template, "Q: {question}\n\tA ; \"x\"<think>");
    strcpy(c.run.db, "");
    /* a string longer than one INI line: written over continuation lines */
    memset(c.sft.data, 0, sizeof(c.sft.data));
    for (int i = 0; i < 255; i++) c.sft.data[i] = (char)(i % 7 == 0 ? ';' : 'a' + i % 26);
    assert_int_equal(config_finish(&c, err, sizeof(err)), 0);
    char *ini = config_to_ini(&c);
    assert_non_null(ini);
    config_defaults(&d);
    if (config_load_string(&d, ini, "round-trip", err, sizeof(err)) != 0) fail_msg("%s\n%s", err, ini);
    assert_config_equal(&c, &d);
    /* the text is stable: writing the loaded config gives the same text */
    char *ini2 = config_to_ini(&d);
    assert_string_equal(ini, ini2);
    free(ini);
    free(ini2);
}

static void test_value_syntax(void **state) {
    (void)state;
    Config c;
    char err[512];
    config_defaults(&c);
    const char *text =
        "[model]\n"
        "  preset = SMALL   ; indented key, inline comment, any case\n"
        "tied = off\n"
        "init = \"a\" \"b\"\n"
        "    \"c\\x3bd\"\n"
        "# a comment\n"
        "[grpo]\n"
        "scale_std = No\n"
        "aggregation = Token\n"
        "beta = .5e-1\n"
        "[sampling]\r\n"
        "top_k = +7\r\n";
    if (config_load_string(&c, text, "t.ini", err, sizeof(err)) != 0) fail_msg("%s", err);
    assert_string_equal(c.model.preset, "small");
    assert_int_equal(c.model.tied, 0);
    assert_string_equal(c.model.init, "abc;d");
    assert_int_equal(c.grpo.scale_std, 0);
    assert_int_equal(c.grpo.aggregation, AGG_TOKEN);
    assert_float_equal(c.grpo.beta, 0.05, 1e-7);
    assert_int_equal(c.sampling.top_k, 7);
}

static void test_set(void **state) {
    (void)state;
    Config c;
    char err[512];
    config_defaults(&c);
    assert_int_equal(config_set(&c, "grpo.beta=0.1", err, sizeof(err)), 0);
    assert_float_equal(c.grpo.beta, 0.1, 1e-7);
    assert_int_equal(config_set(&c, " optim.lr = 3e-4 ", err, sizeof(err)), 0);
    assert_float_equal(c.optim.lr, 3e-4, 1e-10);
    assert_int_equal(config_set(&c, "model.init=runs/x/step-5", err, sizeof(err)), 0);
    assert_string_equal(c.model.init, "runs/x/step-5");
    assert_int_equal(config_set(&c, "task.prompt_template=\"Q: {question}\\n<think>\"", err, sizeof(err)), 0);
    assert_string_equal(c.task.prompt_template, "Q: {question}\n<think>");
    assert_int_equal(config_set(&c, "run.db=", err, sizeof(err)), 0);
    assert_string_equal(c.run.db, "");
    assert_int_equal(config_set(&c, "grpo.aggregation=dr_grpo", err, sizeof(err)), 0);
    assert_int_equal(c.grpo.aggregation, AGG_DR_GRPO);
    assert_int_equal(config_set(&c, "grpo.importance_sampling=sequence", err, sizeof(err)), 0);
    assert_int_equal(c.grpo.importance_sampling, IS_SEQUENCE);
    assert_int_equal(config_set(&c, "grpo.loss_type=cispo", err, sizeof(err)), 0);
    assert_int_equal(c.grpo.loss_type, LOSS_CISPO);
    assert_int_equal(config_set(&c, "grpo.advantage_scaling=none", err, sizeof(err)), 0);
    assert_int_equal(c.grpo.advantage_scaling, ADV_SCALE_NONE);
    /* delta must be 0 or above 1 + eps_high: a cross-key check, so a live change that breaks it is refused */
    Config dc = c;
    assert_int_equal(config_set(&dc, "grpo.delta=1.1", err, sizeof(err)), 0);
    assert_int_equal(config_finish(&dc, err, sizeof(err)), -1);
    assert_contains(err, "[grpo] delta = 1.1");
    assert_contains(err, "1 + eps_high = 1.2");
    assert_int_equal(config_set(&dc, "grpo.delta=3", err, sizeof(err)), 0);
    assert_int_equal(config_finish(&dc, err, sizeof(err)), 0);

    Config before = c;
    assert_int_equal(config_set(&c, "grpo.beta=11", err, sizeof(err)), -1);
    assert_contains(err, "grpo.beta = 11");
    assert_contains(err, "0 .. 10");
    assert_int_equal(config_set(&c, "grpo.betta=0.1", err, sizeof(err)), -1);
    assert_contains(err, "grpo.betta");
    assert_contains(err, "did you mean grpo.beta");
    assert_int_equal(config_set(&c, "grop.beta=0.1", err, sizeof(err)), -1);
    assert_contains(err, "unknown section");
    assert_contains(err, "[grpo]");
    assert_int_equal(config_set(&c, "grpo.beta", err, sizeof(err)), -1);
    assert_contains(err, "expected section.key=value");
    assert_int_equal(config_set(&c, "beta=1", err, sizeof(err)), -1);
    assert_contains(err, "expected section.key=value");
    assert_int_equal(config_set(&c, "optim.lr=1e-3x", err, sizeof(err)), -1);
    assert_contains(err, "malformed number");
    assert_memory_equal(&c, &before, sizeof(Config));

    char range[128];
    config_describe_range(config_key_dotted("optim.lr"), range, sizeof(range));
    assert_string_equal(range, "1e-07 .. 0.1");
    config_describe_range(config_key_dotted("grpo.aggregation"), range, sizeof(range));
    assert_string_equal(range, "sequence|token|dr_grpo");
}

static void test_error_unknown_section(void **state) {
    (void)state;
    expect_load_error("[grpo]\nbeta = 0.1\n\n[grop]\nbeta = 0.1\n", "configs/x.ini:5:", "[grop]",
                      "unknown section", "did you mean [grpo]", NULL);
    expect_load_error("[zzzzzz]\nq = 1\n", "configs/x.ini:2:", "[zzzzzz]", "unknown section", "sections: model",
                      NULL);
    expect_load_error("beta = 0.1\n", "configs/x.ini:1:", "beta", "before any [section]", NULL);
}

static void test_error_unknown_key(void **state) {
    (void)state;
    expect_load_error("[grpo]\ngroup_size = 4\nbetta = 0.1\n", "configs/x.ini:3:", "[grpo] betta = 0.1",
                      "unknown key", "did you mean beta", NULL);
    expect_load_error("[grpo]\nlr = 0.1\n", "configs/x.ini:2:", "[grpo] lr", "lr is in [optim]", NULL);
    expect_load_error("[reward]\nzzzzzzzz = 1\n", "configs/x.ini:2:", "unknown key", "accuracy format language",
                      NULL);
}

static void test_error_malformed_number(void **state) {
    (void)state;
    expect_load_error("[optim]\nlr = 1e-3x\n", "configs/x.ini:2:", "[optim] lr = 1e-3x", "malformed number",
                      "1e-07 .. 0.1", NULL);
    expect_load_error("[grpo]\nbeta = nan\n", "configs/x.ini:2:", "[grpo] beta = nan", "0 .. 10", NULL);
    expect_load_error("[grpo]\nbeta =\n", "configs/x.ini:2:", "[grpo] beta", "no value", "0 .. 10", NULL);
    expect_load_error("[grpo]\ngroup_size = 8x\n", "configs/x.ini:2:", "[grpo] group_size = 8x",
                      "not an integer", "2 .. 256", NULL);
    expect_load_error("[grpo]\ngroup_size = 1.5\n", "configs/x.ini:2:", "group_size = 1.5", "2 .. 256", NULL);
}

static void test_error_range_messages(void **state) {
    (void)state;
    /* the message of the design, exactly */
    Config c;
    char err[512];
    config_defaults(&c);
    const char *text = "[grpo]\n\n\n\n\n\n\n\n\n\n\nbeta = 11\n";
    assert_int_equal(config_load_string(&c, text, "configs/x.ini", err, sizeof(err)), -1);
    assert_string_equal(err, "configs/x.ini:12: [grpo] beta = 11: expected a number in 0 .. 10");
    expect_load_error("[optim]\nlr = 1\n", "configs/x.ini:2:", "[optim] lr = 1", "expected a number in 1e-07 .. 0.1",
                      NULL);
    expect_load_error("[optim]\nlr = -1e-4\n", "configs/x.ini:2:", "lr = -1e-4", "1e-07 .. 0.1", NULL);
    expect_load_error("[optim]\nlr = inf\n", "configs/x.ini:2:", "lr = inf", "1e-07 .. 0.1", NULL);
    expect_load_error("[grpo]\ngroup_size = 1\n", "configs/x.ini:2:", "[grpo] group_size = 1",
                      "expected an integer in 2 .. 256", NULL);
    expect_load_error("[run]\nseed = 99999999999999999999\n", "configs/x.ini:2:", "[run] seed",
                      "0 .. 2147483647", NULL);
}

static void test_error_bad_enum_and_bool(void **state) {
    (void)state;
    expect_load_error("[grpo]\naggregation = mean\n", "configs/x.ini:2:", "[grpo] aggregation = mean",
                      "expected one of sequence|token|dr_grpo", NULL);
    expect_load_error("[model]\npreset = huge\n", "configs/x.ini:2:", "[model] preset = huge",
                      "expected one of tiny|small|custom", NULL);
    expect_load_error("[task]\nname = sub\n", "configs/x.ini:2:", "[task] name = sub", "add|mul|countdown", NULL);
    expect_load_error("[model]\ntied = maybe\n", "configs/x.ini:2:", "[model] tied = maybe",
                      "expected a boolean", "true/false", "yes/no", "on/off", NULL);
    expect_load_error("[grpo]\nscale_std = 2\n", "configs/x.ini:2:", "scale_std = 2", "0/1", NULL);
}

static void test_error_string(void **state) {
    (void)state;
    char text[600] = "[run]\nname = ";
    size_t n = strlen(text);
    memset(text + n, 'n', 70);        /* run.name holds 63 characters */
    strcpy(text + n + 70, "\n");
    expect_load_error(text, "configs/x.ini:2:", "[run] name = nnnn", "too long: 70 characters, at most 63",
                      NULL);
    expect_load_error("[task]\nprompt_template = \"abc\n", "configs/x.ini:2:", "[task] prompt_template",
                      "unterminated", NULL);
    expect_load_error("[task]\nprompt_template = \"a ; b\"\n", "configs/x.ini:2:", "unterminated", "\\x3b", NULL);
    expect_load_error("[task]\nprompt_template = \"a\\q\"\n", "configs/x.ini:2:", "unknown escape \\q", NULL);
    expect_load_error("[task]\nprompt_template = \"a\" b\n", "configs/x.ini:2:", "after the closing quote", NULL);
    /* continuation pieces that add up to too much */
    char long_text[2000] = "[run]\nname = \"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\"\n";
    strcat(long_text, "    \"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\"\nsteps = 3\n");
    expect_load_error(long_text, "configs/x.ini:2:", "[run] name", "too long: 104 characters, at most 63", NULL);
}

static void test_error_syntax(void **state) {
    (void)state;
    expect_load_error("[grpo]\nbeta = 0.1\nthis line has no equals sign\n", "configs/x.ini:3:",
                      "this line has no equals sign", "expected [section] or key = value", NULL);
    expect_load_error("[grpo\nbeta = 0.1\n", "configs/x.ini:1:", "closing ]", NULL);
    expect_load_error("[grpo]\nbeta = 0.1\nbeta = 0.2\n", "configs/x.ini:3:", "[grpo] beta = 0.2", "set twice",
                      "line 2", NULL);
    expect_load_error("[model]\ntied = 1\n    \"x\"\n", "configs/x.ini:3:", "[model] tied",
                      "only a quoted string", NULL);
    /* a line inih cannot hold is an error, not two half lines */
    char text[400] = "[task]\nprompt_template = ";
    size_t n = strlen(text);
    memset(text + n, 'q', 250);
    strcpy(text + n + 250, "\n");
    expect_load_error(text, "configs/x.ini:2:", "line too long", NULL);
    /* the earliest error wins: a syntax error before a bad value */
    expect_load_error("[grpo]\noops\nbeta = 99\n", "configs/x.ini:2:", "oops", NULL);
    expect_load_error("[grpo]\nbeta = 99\noops\n", "configs/x.ini:2:", "beta = 99", NULL);
}

static void test_error_file(void **state) {
    (void)state;
    Config c;
    char err[512];
    config_defaults(&c);
    assert_int_equal(config_load_file(&c, "no/such/file.ini", err, sizeof(err)), -1);
    assert_contains(err, "no/such/file.ini");
    assert_contains(err, "No such file");
}

static void test_finish_errors(void **state) {
    (void)state;
    static const struct { const char *sets[4]; const char *expect[3]; } cases[] = {
        {{"model.preset=custom", "model.d_model=64"}, {"custom", "n_layers, n_heads, ffn_hidden"}},
        {{"model.d_model=100", "model.n_heads=3"}, {"d_model = 100", "multiple of n_heads = 3"}},
        {{"model.d_model=96", "model.n_heads=32"}, {"head size", "96 / 32 = 3", "even"}},
        {{"grpo.prompts_per_step=64", "grpo.group_size=8"}, {"64 * 8 = 512", "max_batch = 256"}},
        {{"sampling.max_new_tokens=256"}, {"max_new_tokens = 256", "max_seq = 256"}},
        {{"task.digits_min=5", "task.digits_max=3"}, {"digits_min = 5", "digits_max = 3"}},
        {{"pretrain.seq_len=512"}, {"[pretrain] seq_len = 512", "max_seq = 256"}},
        {{"task.prompt_template=Q:"}, {"prompt_template", "{question}"}},
        {{"task.name=jsonl"}, {"jsonl", "[task] path"}},
        {{"run.eval_problems=500"}, {"eval_problems = 500", "eval_size = 200"}},
        {{"run.name=a/b"}, {"[run] name", "a/b"}},
        {{"pretrain.style_direct=0", "pretrain.style_scratchpad=0", "pretrain.style_check=0",
          "pretrain.style_wait=0"}, {"[pretrain]", "style"}},
        {{"pretrain.phase2_start=100"}, {"phase2_start = 100", "phase2_style_direct", "second phase"}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        Config c;
        char err[512] = "";
        config_defaults(&c);
        for (int j = 0; j < 4 && cases[i].sets[j]; j++)
            if (config_set(&c, cases[i].sets[j], err, sizeof(err)) != 0) fail_msg("%s", err);
        if (config_finish(&c, err, sizeof(err)) == 0) fail_msg("case %zu accepted", i);
        for (int j = 0; j < 3 && cases[i].expect[j]; j++) assert_contains(err, cases[i].expect[j]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_covers_config),
        cmocka_unit_test(test_live_keys),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_shipped_configs),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_value_syntax),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_error_unknown_section),
        cmocka_unit_test(test_error_unknown_key),
        cmocka_unit_test(test_error_malformed_number),
        cmocka_unit_test(test_error_range_messages),
        cmocka_unit_test(test_error_bad_enum_and_bool),
        cmocka_unit_test(test_error_string),
        cmocka_unit_test(test_error_syntax),
        cmocka_unit_test(test_error_file),
        cmocka_unit_test(test_finish_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
