/* test_assets.c - the base models the binary ships (assets/base-add, the default config's model.init, and
 * assets/base-countdown, configs/countdown-search.ini's): each loads with checkpoint_load; the SHA-256 of its
 * model.safetensors is the one its manifest.json records; the manifest says how it was made (kind, seed, steps,
 * corpus mixture, final loss, held-out pass@1 and cons@k, the config); and that config is its recipe
 * (configs/pretrain-add.ini, configs/pretrain-countdown.ini), key for key in the sections that make a base
 * ([model], [task], [pretrain]), so that `grpo-studio pretrain RECIPE` is how the file we ship was made. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/checkpoint.h"
#include "core/config.h"

typedef struct { const char *dir, *recipe, *experiment; } Base;
static const Base BASES[] = {
    {GRPO_SOURCE_DIR "/assets/base-add", GRPO_SOURCE_DIR "/configs/pretrain-add.ini",
     GRPO_SOURCE_DIR "/configs/default.ini"},
    {GRPO_SOURCE_DIR "/assets/base-countdown", GRPO_SOURCE_DIR "/configs/pretrain-countdown.ini",
     GRPO_SOURCE_DIR "/configs/countdown-search.ini"},
};

static json_t *load_manifest(const Base *b) {
    json_error_t je;
    char path[1024];
    snprintf(path, sizeof path, "%s/manifest.json", b->dir);
    json_t *man = json_load_file(path, 0, &je);
    if (!man) fail_msg("%s: %s (line %d)", path, je.text, je.line);
    return man;
}

static void test_base_loads_and_checksum_matches(void **state) {
    const Base *b = *state;
    Model m;
    memset(&m, 0, sizeof m);
    Tokenizer tok;
    char err[512];
    if (checkpoint_load(b->dir, &m, &tok, NULL, NULL, err, sizeof err) != 0) fail_msg("%s", err);
    assert_true(m.n_params > 0);
    for (size_t i = 0; i < m.n_params; i++)
        if (!isfinite(m.params_mem[i])) fail_msg("parameter %zu is not finite", i);
    char hex[65];
    char path[1024];
    snprintf(path, sizeof path, "%s/model.safetensors", b->dir);
    assert_int_equal(checkpoint_file_sha256(path, hex), 0);
    json_t *man = load_manifest(b);
    const char *want = json_string_value(json_object_get(man, "model_sha256"));
    assert_non_null(want);
    assert_string_equal(hex, want);
    model_free(&m);
    json_decref(man);
}

static void test_manifest_says_how_it_was_made(void **state) {
    const Base *b = *state;
    json_t *man = load_manifest(b);
    assert_string_equal(json_string_value(json_object_get(man, "kind")), "pretrain");
    assert_true(json_is_integer(json_object_get(man, "seed")));
    assert_true(json_integer_value(json_object_get(man, "steps")) > 0);
    double loss = json_number_value(json_object_get(man, "final_loss"));
    assert_true(loss > 0 && loss < 5);
    json_t *mix = json_object_get(man, "corpus_mixture");
    assert_non_null(mix);
    const char *styles[] = {"direct", "scratchpad", "check", "wait"};
    for (int i = 0; i < 4; i++) assert_true(json_is_number(json_object_get(mix, styles[i])));
    json_t *ev = json_object_get(man, "eval");
    assert_non_null(ev);
    double p1 = json_number_value(json_object_get(ev, "pass1")), ck = json_number_value(json_object_get(ev, "cons_k"));
    assert_true(p1 >= 0 && p1 <= 1);
    assert_true(ck >= 0 && ck <= 1);
    assert_true(json_integer_value(json_object_get(ev, "problems")) > 0);
    json_decref(man);
}

static void test_manifest_config_is_the_shipped_recipe(void **state) {
    const Base *b = *state;
    json_t *man = load_manifest(b);
    const char *ini = json_string_value(json_object_get(man, "config"));
    assert_non_null(ini);
    Config made, recipe;
    char err[512];
    config_defaults(&made);
    config_defaults(&recipe);
    if (config_load_string(&made, ini, "manifest.json config", err, sizeof err) != 0) fail_msg("%s", err);
    if (config_load_file(&recipe, b->recipe, err, sizeof err) != 0) fail_msg("%s", err);
    if (config_finish(&recipe, err, sizeof err) != 0) fail_msg("%s", err);
    for (int i = 0; i < CONFIG_N_KEYS; i++) {
        const ConfigKey *k = &CONFIG_KEYS[i];
        if (strcmp(k->section, "model") && strcmp(k->section, "task") && strcmp(k->section, "pretrain")) continue;
        if (!strcmp(k->section, "model") && !strcmp(k->key, "init")) continue;
        char a[300], v[300];
        config_get_value(&made, k, a, sizeof a);
        config_get_value(&recipe, k, v, sizeof v);
        if (strcmp(a, v) != 0) fail_msg("[%s] %s: the base was made with %s, %s says %s", k->section, k->key, a, b->recipe, v);
    }
    /* and its experiment starts from this base */
    Config d;
    config_defaults(&d);
    if (config_load_file(&d, b->experiment, err, sizeof err) != 0) fail_msg("%s", err);
    assert_non_null(strstr(b->dir, d.model.init));
    json_decref(man);
}

/* The countdown base's manifest also says how well it searches (held-out attempts, true arithmetic). */
static void test_countdown_manifest_has_search_stats(void **state) {
    (void)state;
    json_t *man = load_manifest(&BASES[1]);
    json_t *search = json_object_get(json_object_get(man, "eval"), "search");
    assert_non_null(search);
    const char *keys[] = {"attempts", "retry_rate", "equations_true", "verdicts_true", "attempts_small", "attempts_large"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(search, keys[i]);
        if (!json_is_number(v)) fail_msg("manifest eval.search.%s is missing", keys[i]);
        assert_true(json_number_value(v) >= 0);
    }
    json_decref(man);
}

#define EACH_BASE(fn) cmocka_unit_test_prestate(fn, (void *)&BASES[0]), cmocka_unit_test_prestate(fn, (void *)&BASES[1])

int main(void) {
    const struct CMUnitTest tests[] = {
        EACH_BASE(test_base_loads_and_checksum_matches),
        EACH_BASE(test_manifest_says_how_it_was_made),
        EACH_BASE(test_manifest_config_is_the_shipped_recipe),
        cmocka_unit_test(test_countdown_manifest_has_search_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
