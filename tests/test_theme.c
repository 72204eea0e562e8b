/* test_theme.c - panel titles fitted to their width (ui/theme.h, theme_fit_title): whole when they fit, else cut
 * before a blank with an ellipsis, so a number is never shown cut short ("format_rate 0.9" for 0.9922). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ui/theme.h"
#include <string.h>

static void test_fit_title(void **state) {
    (void)state;
    char out[64];
    theme_fit_title("accuracy 0.5 · format_rate 0.9922", 40, out, sizeof out);   /* fits: whole */
    assert_string_equal(out, "accuracy 0.5 · format_rate 0.9922");
    theme_fit_title("accuracy 0.5 | format_rate 0.9922", 30, out, sizeof out);  /* 0.99 would be a lie: cut before it */
    assert_string_equal(out, "accuracy 0.5 | format_rate~");
    theme_fit_title("reward 1.2345 +-0.5", 10, out, sizeof out);
    assert_string_equal(out, "reward~");
    theme_fit_title("supercalifragilistic", 8, out, sizeof out);               /* one long word: cut, marked */
    assert_string_equal(out, "superca~");
    assert_int_equal(theme_fit_title("x", 0, out, sizeof out), 0);
    assert_string_equal(out, "");
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_fit_title)};
    return cmocka_run_group_tests_name("theme", tests, NULL, NULL);
}
