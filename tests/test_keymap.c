/* test_keymap.c - key -> action dispatch per context, the table's consistency, the hint bar. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <curses.h>
#include <string.h>
#include "ui/keymap.h"

static void test_dispatch(void **state) {
    (void)state;
    assert_int_equal(keymap_lookup(KC_TRAIN, ' '), ACT_PAUSE);
    assert_int_equal(keymap_lookup(KC_TRAIN, 's'), ACT_STEP);
    assert_int_equal(keymap_lookup(KC_TRAIN, 'e'), ACT_EDIT);
    assert_int_equal(keymap_lookup(KC_TRAIN, KEY_F(2)), ACT_EDIT);
    assert_int_equal(keymap_lookup(KC_TRAIN, 'c'), ACT_CHECKPOINT);
    assert_int_equal(keymap_lookup(KC_TRAIN, 'v'), ACT_CHART_NEXT);
    assert_int_equal(keymap_lookup(KC_TRAIN, 'V'), ACT_CHART_PREV);
    /* screens fall back to the global bindings */
    assert_int_equal(keymap_lookup(KC_TRAIN, 'q'), ACT_QUIT);
    assert_int_equal(keymap_lookup(KC_TRAIN, '?'), ACT_HELP);
    assert_int_equal(keymap_lookup(KC_TRAIN, KEY_F(1)), ACT_HELP);
    assert_int_equal(keymap_lookup(KC_TRAIN, 12 /* Ctrl-L */), ACT_REDRAW);
    assert_int_equal(keymap_lookup(KC_TRAIN, '\t'), ACT_NEXT_SCREEN);
    assert_int_equal(keymap_lookup(KC_ROLLOUTS, '3'), ACT_SCREEN_GROUP);
    assert_int_equal(keymap_lookup(KC_GROUP, '1'), ACT_SCREEN_TRAIN);
    /* the same key means what its screen says */
    assert_int_equal(keymap_lookup(KC_ROLLOUTS, 'c'), ACT_CYCLE_CORRECT);
    assert_int_equal(keymap_lookup(KC_ROLLOUTS, 'g'), ACT_GROUP);
    assert_int_equal(keymap_lookup(KC_TRANSCRIPT, 'g'), ACT_GROUP);
    assert_int_equal(keymap_lookup(KC_HELP, 'g'), ACT_TOP);
    assert_int_equal(keymap_lookup(KC_GROUP, 'G'), ACT_BOTTOM);
    assert_int_equal(keymap_lookup(KC_ROLLOUTS, KEY_HOME), ACT_TOP);
    assert_int_equal(keymap_lookup(KC_ROLLOUTS, KEY_END), ACT_BOTTOM);
    assert_int_equal(keymap_lookup(KC_ROLLOUTS, 'j'), ACT_DOWN);
    assert_int_equal(keymap_lookup(KC_ROLLOUTS, KEY_NPAGE), ACT_PAGE_DOWN);
    assert_int_equal(keymap_lookup(KC_ROLLOUTS, '/'), ACT_SEARCH);
    assert_int_equal(keymap_lookup(KC_ROLLOUTS, 'n'), ACT_NEXT_MATCH);
    assert_int_equal(keymap_lookup(KC_ROLLOUTS, 'N'), ACT_PREV_MATCH);
    assert_int_equal(keymap_lookup(KC_ROLLOUTS, '\n'), ACT_OPEN);
    assert_int_equal(keymap_lookup(KC_ROLLOUTS, KEY_ENTER), ACT_OPEN);
    assert_int_equal(keymap_lookup(KC_ROLLOUTS, 27), ACT_BACK);
    /* the charts: cursor, smoothing, focus, metric picker */
    assert_int_equal(keymap_lookup(KC_TRAIN, 'x'), ACT_CURSOR);
    assert_int_equal(keymap_lookup(KC_TRAIN, KEY_LEFT), ACT_LEFT);
    assert_int_equal(keymap_lookup(KC_TRAIN, KEY_RIGHT), ACT_RIGHT);
    assert_int_equal(keymap_lookup(KC_TRAIN, KEY_HOME), ACT_TOP);
    assert_int_equal(keymap_lookup(KC_TRAIN, KEY_NPAGE), ACT_PAGE_DOWN);
    assert_int_equal(keymap_lookup(KC_TRAIN, 27), ACT_BACK);
    assert_int_equal(keymap_lookup(KC_TRAIN, 'S'), ACT_SMOOTH_NEXT);
    assert_int_equal(keymap_lookup(KC_TRAIN, ']'), ACT_SMOOTH_NEXT);
    assert_int_equal(keymap_lookup(KC_TRAIN, '['), ACT_SMOOTH_PREV);
    assert_int_equal(keymap_lookup(KC_TRAIN, 'p'), ACT_FOCUS_NEXT);
    assert_int_equal(keymap_lookup(KC_TRAIN, 'm'), ACT_PICK_METRIC);
    /* the rollouts: jump, follow / freeze, pager (also in the transcript) */
    assert_int_equal(keymap_lookup(KC_ROLLOUTS, ':'), ACT_JUMP_STEP);
    assert_int_equal(keymap_lookup(KC_ROLLOUTS, 'F'), ACT_FOLLOW);
    assert_int_equal(keymap_lookup(KC_ROLLOUTS, 'P'), ACT_PAGER);
    assert_int_equal(keymap_lookup(KC_TRANSCRIPT, 'P'), ACT_PAGER);
    /* the rows the helper macros expand to: every Enter code, every erase code */
    assert_int_equal(keymap_lookup(KC_RUNS, '\r'), ACT_OPEN);
    assert_int_equal(keymap_lookup(KC_GROUP, KEY_ENTER), ACT_OPEN);
    assert_int_equal(keymap_lookup(KC_PROMPT, 8 /* Ctrl-H */), ACT_ERASE);
    assert_int_equal(keymap_lookup(KC_EDIT_VALUE, 21 /* Ctrl-U */), ACT_CLEAR_LINE);
    assert_int_equal(keymap_lookup(KC_HELP, 'k'), ACT_UP);
    /* unbound */
    assert_int_equal(keymap_lookup(KC_TRAIN, 'Z'), ACT_NONE);
    assert_int_equal(keymap_lookup(KC_TRAIN, 'j'), ACT_NONE);
}

static void test_modal_contexts_do_not_fall_back(void **state) {
    (void)state;
    /* typing "q" or "?" into a prompt or a value is text, not quit / help */
    assert_int_equal(keymap_lookup(KC_PROMPT, 'q'), ACT_NONE);
    assert_int_equal(keymap_lookup(KC_EDIT_VALUE, 'q'), ACT_NONE);
    assert_int_equal(keymap_lookup(KC_EDIT_VALUE, '1'), ACT_NONE);
    assert_int_equal(keymap_lookup(KC_PROMPT, '\t'), ACT_NONE);
    assert_int_equal(keymap_lookup(KC_EDIT_VALUE, '\n'), ACT_APPLY);
    assert_int_equal(keymap_lookup(KC_EDIT_VALUE, 27), ACT_CANCEL);
    assert_int_equal(keymap_lookup(KC_EDIT_VALUE, KEY_BACKSPACE), ACT_ERASE);
    assert_int_equal(keymap_lookup(KC_EDIT_VALUE, 127), ACT_ERASE);
    assert_int_equal(keymap_lookup(KC_PROMPT, '\n'), ACT_APPLY);
    /* the confirmation: y / q / Enter confirm, n / Esc cancel, nothing else quits by accident */
    assert_int_equal(keymap_lookup(KC_CONFIRM, 'y'), ACT_CONFIRM);
    assert_int_equal(keymap_lookup(KC_CONFIRM, 'q'), ACT_CONFIRM);
    assert_int_equal(keymap_lookup(KC_CONFIRM, 'n'), ACT_CANCEL);
    assert_int_equal(keymap_lookup(KC_CONFIRM, 27), ACT_CANCEL);
    assert_int_equal(keymap_lookup(KC_CONFIRM, ' '), ACT_NONE);
    /* the metric picker: typed letters filter (j, k, q, m are text), arrows move, Enter shows, Esc closes */
    assert_int_equal(keymap_lookup(KC_PICKER, 'q'), ACT_NONE);
    assert_int_equal(keymap_lookup(KC_PICKER, 'k'), ACT_NONE);
    assert_int_equal(keymap_lookup(KC_PICKER, KEY_DOWN), ACT_DOWN);
    assert_int_equal(keymap_lookup(KC_PICKER, '\n'), ACT_APPLY);
    assert_int_equal(keymap_lookup(KC_PICKER, 27), ACT_CANCEL);
    assert_int_equal(keymap_lookup(KC_PICKER, 127), ACT_ERASE);
    assert_true(keymap_is_modal(KC_PICKER));
    /* too small: still answers q */
    assert_int_equal(keymap_lookup(KC_TOO_SMALL, 'q'), ACT_QUIT);
    assert_int_equal(keymap_lookup(KC_TOO_SMALL, ' '), ACT_NONE);
    /* the editor: Esc leaves, never quits */
    assert_int_equal(keymap_lookup(KC_EDITOR, 27), ACT_CANCEL);
    assert_int_equal(keymap_lookup(KC_EDITOR, 'q'), ACT_NONE);
    assert_true(keymap_is_modal(KC_EDITOR));
    assert_false(keymap_is_modal(KC_TRAIN));
}

static void test_table_is_consistent(void **state) {
    (void)state;
    for (int i = 0; i < KEYMAP_N; i++) {
        const KeyBinding *a = &KEYMAP[i];
        assert_true(a->ctx >= 0 && a->ctx < KC_COUNT);
        assert_true(a->action > ACT_NONE && a->action < ACT_COUNT);
        if (a->keyname) assert_non_null(a->help);        /* listed in help: says what it does */
        if (a->hint) assert_non_null(a->keyname);
        for (int j = i + 1; j < KEYMAP_N; j++) {        /* one action per key per context */
            const KeyBinding *b = &KEYMAP[j];
            if (a->ctx == b->ctx && a->key == b->key) fail_msg("key %d bound twice in context %d", a->key, a->ctx);
        }
    }
    /* every context that is not a text field can quit and get help; Esc is never quit */
    for (int c = 0; c < KC_COUNT; c++) {
        if (c == KC_EDIT_VALUE || c == KC_PROMPT || c == KC_PICKER || c == KC_CONFIRM) continue;
        if (c != KC_TOO_SMALL && c != KC_EDITOR) assert_int_equal(keymap_lookup(c, 'q'), ACT_QUIT);
        if (c != KC_TOO_SMALL) assert_int_equal(keymap_lookup(c, '?') == ACT_HELP || c == KC_HELP, 1);
        assert_int_not_equal(keymap_lookup(c, 27), ACT_QUIT);
    }
    /* help lines have names */
    for (int c = 0; c < KC_COUNT; c++) assert_string_not_equal(keymap_context_name(c), "?");
}

static void test_keys_for(void **state) {
    (void)state;
    char buf[64];
    assert_string_equal(keymap_keys_for(KC_ROLLOUTS, ACT_DOWN, buf, sizeof buf), "Down j");
    assert_string_equal(keymap_keys_for(KC_TRAIN, ACT_EDIT, buf, sizeof buf), "e F2");
    assert_string_equal(keymap_keys_for(KC_ROLLOUTS, ACT_OPEN, buf, sizeof buf), "Enter"); /* \r is unnamed */
    assert_string_equal(keymap_keys_for(KC_TRAIN, ACT_UP, buf, sizeof buf), "");
    keymap_keys_for(KC_ROLLOUTS, ACT_DOWN, buf, 3); /* cut, still terminated */
    assert_true(strlen(buf) <= 2);
}

static void test_hints(void **state) {
    (void)state;
    char buf[256];
    keymap_hints(KC_TRAIN, 80, buf, sizeof buf);
    assert_non_null(strstr(buf, "Spc pause"));
    assert_non_null(strstr(buf, "s step"));
    assert_non_null(strstr(buf, "e edit"));
    assert_non_null(strstr(buf, "q quit"));
    assert_non_null(strstr(buf, "? help"));
    assert_true(strlen(buf) <= 80);
    /* "rollouts" is a hint of both Train (2) and global: listed once */
    assert_non_null(strstr(buf, "2 rollouts"));
    assert_null(strstr(strstr(buf, "rollouts") + 1, "rollouts"));
    /* cut at a pair boundary */
    keymap_hints(KC_TRAIN, 20, buf, sizeof buf);
    assert_true(strlen(buf) <= 20);
    assert_string_equal(buf, "Spc pause  s step");
    /* modal: no global hints */
    keymap_hints(KC_PROMPT, 200, buf, sizeof buf);
    assert_null(strstr(buf, "quit"));
    assert_non_null(strstr(buf, "Enter apply"));
    keymap_hints(KC_HELP, 200, buf, sizeof buf);   /* ? closes help there: no "? help" hint */
    assert_null(strstr(buf, "? help"));
    assert_non_null(strstr(buf, "Esc back"));
    keymap_hints(KC_TRAIN, 0, buf, sizeof buf);
    assert_string_equal(buf, "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dispatch),
        cmocka_unit_test(test_modal_contexts_do_not_fall_back),
        cmocka_unit_test(test_table_is_consistent),
        cmocka_unit_test(test_keys_for),
        cmocka_unit_test(test_hints),
    };
    return cmocka_run_group_tests_name("keymap", tests, NULL, NULL);
}
