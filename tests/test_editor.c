/* test_editor.c - the hyperparameter editor: the live keys from CONFIG_KEYS, typing, validation against ranges and
 * cross-key rules on a scratch config, refusal in place, cancel, apply. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include "ui/editor.h"

static Config *finished_defaults(void) {
    Config *c = calloc(1, sizeof *c);
    char err[256];
    config_defaults(c);
    assert_int_equal(config_finish(c, err, sizeof err), 0);
    return c;
}

static void type(Editor *e, const char *s) {
    for (; *s; s++) editor_key(e, (unsigned char)*s);
}

static void select_key(Editor *e, const char *dotted) {
    int i = editor_find(e, dotted);
    assert_true(i >= 0);
    e->sel = i;
}

static void test_lists_exactly_the_live_keys(void **state) {
    (void)state;
    Config *c = finished_defaults();
    Editor *e = malloc(sizeof *e);
    editor_init(e, c);
    int live = 0;
    for (int i = 0; i < CONFIG_N_KEYS; i++) live += CONFIG_KEYS[i].live;
    assert_int_equal(e->n, live);
    for (int i = 0; i < e->n; i++) assert_true(e->keys[i]->live);
    for (int i = 0; i < e->n; i++)
        for (int j = i + 1; j < e->n; j++) assert_ptr_not_equal(e->keys[i], e->keys[j]);
    char d[64];
    editor_dotted(e, 0, d, sizeof d);
    assert_string_equal(d, "optim.lr");          /* the most changed key first */
    /* the ones the issue names */
    const char *named[] = {"optim.lr", "grpo.beta", "grpo.eps_low", "grpo.eps_high", "sampling.temperature",
                           "sampling.top_p", "grpo.group_size", "grpo.prompts_per_step", "sampling.max_new_tokens",
                           "reward.accuracy", "reward.format"};
    for (int i = 0; i < 11; i++) assert_true(editor_find(e, named[i]) >= 0);
    assert_int_equal(editor_find(e, "model.d_model"), -1);   /* fixed: not editable */
    assert_int_equal(editor_find(e, "run.seed"), -1);
    free(e);
    free(c);
}

static void test_navigation(void **state) {
    (void)state;
    Config *c = finished_defaults();
    Editor *e = malloc(sizeof *e);
    editor_init(e, c);
    assert_int_equal(e->sel, 0);
    assert_int_equal(editor_key(e, KEY_UP), EDITOR_CHANGED);
    assert_int_equal(e->sel, 0);
    editor_key(e, 'j');
    editor_key(e, KEY_DOWN);
    assert_int_equal(e->sel, 2);
    editor_key(e, KEY_END);
    assert_int_equal(e->sel, e->n - 1);
    editor_key(e, KEY_DOWN);
    assert_int_equal(e->sel, e->n - 1);
    editor_key(e, KEY_HOME);
    assert_int_equal(e->sel, 0);
    assert_int_equal(editor_key(e, 'x'), EDITOR_NOTHING);
    assert_int_equal(editor_key(e, 27), EDITOR_CLOSE);
    assert_int_equal(editor_key(e, '?'), EDITOR_HELP);
    free(e);
    free(c);
}

static void test_good_value_submits(void **state) {
    (void)state;
    Config *c = finished_defaults();
    Editor *e = malloc(sizeof *e);
    editor_init(e, c);
    select_key(e, "optim.lr");
    assert_int_equal(editor_key(e, '\n'), EDITOR_CHANGED);
    assert_true(e->typing);
    char cur[64];
    editor_current(e, e->sel, cur, sizeof cur);
    assert_string_equal(e->buf, cur);          /* the field starts with the current value */
    editor_key(e, 21 /* Ctrl-U */);
    assert_int_equal(e->len, 0);
    type(e, "0.002");
    assert_int_equal(editor_key(e, '\n'), EDITOR_SUBMIT);
    char dotted[64], value[64];
    editor_pending(e, dotted, sizeof dotted, value, sizeof value);
    assert_string_equal(dotted, "optim.lr");
    assert_string_equal(value, "0.002");
    editor_applied(e, 1, NULL);
    assert_false(e->typing);
    assert_false(e->msg_error);
    editor_current(e, e->sel, cur, sizeof cur);
    assert_string_equal(cur, "0.002");
    assert_non_null(strstr(e->msg, "optim.lr"));
    free(e);
    free(c);
}

static void test_out_of_range_is_refused_in_place(void **state) {
    (void)state;
    Config *c = finished_defaults();
    Editor *e = malloc(sizeof *e);
    editor_init(e, c);
    select_key(e, "optim.lr");
    editor_begin(e);
    editor_key(e, 21);
    type(e, "5");                              /* range 1e-07 .. 0.1 */
    assert_int_equal(editor_key(e, '\n'), EDITOR_CHANGED);
    assert_true(e->typing);                    /* still editing, value still there */
    assert_string_equal(e->buf, "5");
    assert_true(e->msg_error);
    assert_non_null(strstr(e->msg, "0.1"));    /* the message gives the range */
    /* not a number */
    editor_key(e, KEY_BACKSPACE);
    type(e, "abc");
    assert_int_equal(editor_key(e, KEY_ENTER), EDITOR_CHANGED);
    assert_true(e->msg_error);
    /* empty */
    editor_key(e, 21);
    assert_int_equal(editor_key(e, '\n'), EDITOR_CHANGED);
    assert_true(e->msg_error);
    assert_non_null(strstr(e->msg, "no value"));
    /* Esc cancels, the current value is untouched */
    assert_int_equal(editor_key(e, 27), EDITOR_CHANGED);
    assert_false(e->typing);
    char cur[64], def[64];
    editor_current(e, e->sel, cur, sizeof cur);
    config_get_value(c, e->keys[e->sel], def, sizeof def);
    assert_string_equal(cur, def);
    free(e);
    free(c);
}

static void test_cross_key_rule(void **state) {
    (void)state;
    Config *c = finished_defaults();
    c->run.max_batch = c->grpo.prompts_per_step * c->grpo.group_size;   /* full */
    Editor *e = malloc(sizeof *e);
    editor_init(e, c);
    select_key(e, "grpo.group_size");
    editor_begin(e);
    editor_key(e, 21);
    char v[16];
    snprintf(v, sizeof v, "%d", c->grpo.group_size + 1);
    type(e, v);
    assert_int_equal(editor_key(e, '\n'), EDITOR_CHANGED);
    assert_true(e->msg_error);
    assert_non_null(strstr(e->msg, "max_batch"));
    /* smaller is fine */
    editor_key(e, 21);
    snprintf(v, sizeof v, "%d", c->grpo.group_size > 2 ? c->grpo.group_size - 1 : 3);
    type(e, v);
    char err[256];
    assert_int_equal(editor_validate(e, err, sizeof err), c->grpo.group_size > 2 ? 0 : -1);
    free(e);
    free(c);
}

static void test_unchanged_and_trainer_refusal(void **state) {
    (void)state;
    Config *c = finished_defaults();
    Editor *e = malloc(sizeof *e);
    editor_init(e, c);
    select_key(e, "sampling.temperature");
    editor_begin(e);
    assert_int_equal(editor_key(e, '\n'), EDITOR_CHANGED);    /* the same value: nothing sent */
    assert_false(e->typing);
    assert_non_null(strstr(e->msg, "unchanged"));
    editor_begin(e);
    editor_key(e, 21);
    type(e, "0.5");
    assert_int_equal(editor_key(e, '\n'), EDITOR_SUBMIT);
    editor_applied(e, 0, "trainer says no");                 /* trainer_set refused */
    assert_true(e->typing);
    assert_true(e->msg_error);
    assert_string_equal(e->msg, "trainer says no");
    /* cursor editing */
    editor_key(e, 21);
    type(e, "13");
    editor_key(e, KEY_LEFT);
    editor_key(e, '.');
    assert_string_equal(e->buf, "1.3");
    editor_key(e, KEY_RIGHT);
    editor_key(e, KEY_RIGHT);
    editor_key(e, KEY_BACKSPACE);
    assert_string_equal(e->buf, "1.");
    /* keys that would be commands elsewhere are text here */
    editor_key(e, 21);
    assert_int_equal(editor_key(e, 'q'), EDITOR_CHANGED);
    assert_string_equal(e->buf, "q");
    free(e);
    free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lists_exactly_the_live_keys),
        cmocka_unit_test(test_navigation),
        cmocka_unit_test(test_good_value_submits),
        cmocka_unit_test(test_out_of_range_is_refused_in_place),
        cmocka_unit_test(test_cross_key_rule),
        cmocka_unit_test(test_unchanged_and_trainer_refusal),
    };
    return cmocka_run_group_tests_name("editor", tests, NULL, NULL);
}
