/* test_assets.c - the base model the binary ships (assets/base-add, the default config's model.init): it loads
 * with checkpoint_load; the SHA-256 of its model.safetensors is the one its manifest.json records; the manifest says
 * how it was made (kind, seed, steps, corpus mixture, final loss, held-out pass@1 and cons@k, the config); and that
 * config is configs/pretrain-add.ini, key for key in the sections that make a base ([model], [task], [pretrain]),
 * so that `grpo-studio pretrain configs/pretrain-add.ini` is the recipe of the file we ship. */
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

#define BASE GRPO_SOURCE_DIR "/assets/base-add"

static json_t *load_manifest(void) {
    json_error_t je;
    json_t *man = json_load_file(BASE "/manifest.json", 0, &je);
    if (!man) fail_msg("%s/manifest.json: %s (line %d)", BASE, je.text, je.line);
    return man;
}

static void test_base_loads_and_checksum_matches(void **state) {
    (void)state;
    Model m;
    memset(&m, 0, sizeof m);
    Tokenizer tok;
    char err[512];
    if (checkpoint_load(BASE, &m, &tok, NULL, NULL, err, sizeof err) != 0) fail_msg("%s", err);
    assert_true(m.n_params > 0);
    for (size_t i = 0; i < m.n_params; i++)
        if (!isfinite(m.params_mem[i])) fail_msg("parameter %zu is not finite", i);
    char hex[65];
    assert_int_equal(checkpoint_file_sha256(BASE "/model.safetensors", hex), 0);
    json_t *man = load_manifest();
    const char *want = json_string_value(json_object_get(man, "model_sha256"));
    assert_non_null(want);
    assert_string_equal(hex, want);
    model_free(&m);
    json_decref(man);
}

static void test_manifest_says_how_it_was_made(void **state) {
    (void)state;
    json_t *man = load_manifest();
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
    (void)state;
    json_t *man = load_manifest();
    const char *ini = json_string_value(json_object_get(man, "config"));
    assert_non_null(ini);
    Config made, recipe;
    char err[512];
    config_defaults(&made);
    config_defaults(&recipe);
    if (config_load_string(&made, ini, "manifest.json config", err, sizeof err) != 0) fail_msg("%s", err);
    if (config_load_file(&recipe, GRPO_SOURCE_DIR "/configs/pretrain-add.ini", err, sizeof err) != 0) fail_msg("%s", err);
    if (config_finish(&recipe, err, sizeof err) != 0) fail_msg("%s", err);
    for (int i = 0; i < CONFIG_N_KEYS; i++) {
        const ConfigKey *k = &CONFIG_KEYS[i];
        if (strcmp(k->section, "model") && strcmp(k->section, "task") && strcmp(k->section, "pretrain")) continue;
        if (!strcmp(k->section, "model") && !strcmp(k->key, "init")) continue;
        char a[300], b[300];
        config_get_value(&made, k, a, sizeof a);
        config_get_value(&recipe, k, b, sizeof b);
        if (strcmp(a, b) != 0) fail_msg("[%s] %s: the base was made with %s, configs/pretrain-add.ini says %s", k->section, k->key, a, b);
    }
    /* and the default experiment starts from this base */
    Config d;
    config_defaults(&d);
    assert_string_equal(d.model.init, "assets/base-add");
    json_decref(man);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_loads_and_checksum_matches),
        cmocka_unit_test(test_manifest_says_how_it_was_made),
        cmocka_unit_test(test_manifest_config_is_the_shipped_recipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
