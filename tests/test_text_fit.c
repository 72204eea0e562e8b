/* test_text_fit.c - text cut to terminal columns (ui/text_fit.h): wide characters count two columns and are never
 * split, combining marks none, control characters and bytes that are not UTF-8 become one harmless column. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "ui/text_fit.h"

static void expect(const char *s, int width, const char *want, int want_cols) {
    char out[64];
    int cols = text_fit(s, width, out, sizeof out);
    if (strcmp(out, want) != 0 || cols != want_cols)
        fail_msg("text_fit(\"%s\", %d) = \"%s\" (%d columns), expected \"%s\" (%d)", s, width, out, cols, want,
                 want_cols);
}

static void test_ascii(void **state) {
    (void)state;
    expect("hello world", 5, "hello", 5);
    expect("hi", 10, "hi", 2);
    expect("", 4, "", 0);
    expect("abc", 0, "", 0);
    expect("a\tb\nc\x7f", 10, "a b c ", 6);
}

static void test_wide_and_zero_width(void **state) {
    (void)state;
    /* CJK and emoji are two columns; one that would cross the edge is left out whole */
    expect("\xe6\x95\xb0\xe5\xad\xa6x", 4, "\xe6\x95\xb0\xe5\xad\xa6", 4);
    expect("\xe6\x95\xb0\xe5\xad\xa6x", 3, "\xe6\x95\xb0", 2);
    expect("ab\xf0\x9f\xa4\x94", 3, "ab", 2);
    expect("ab\xf0\x9f\xa4\x94", 4, "ab\xf0\x9f\xa4\x94", 4);
    /* a combining acute accent takes no column after its letter; at the very start there is nothing to join */
    expect("e\xcc\x81te", 2, "e\xcc\x81t", 2);
    expect("\xcc\x81" "ab", 2, "ab", 2);
    /* Khmer sign coeng (U+17D2, a combining sign) at the start of a BPE token */
    expect("\xe1\x9f\x92 Watson", 3, " Wa", 3);
}

static void test_not_utf8(void **state) {
    (void)state;
    expect("a\xff" "b", 3, "a?b", 3);
    expect("\xe6\x95", 5, "??", 2);          /* a character cut short */
    expect("\xc2\x85x", 5, " x", 2);          /* C1 control (NEL) */
}

static void test_small_buffer(void **state) {
    (void)state;
    char out[4];
    assert_int_equal(text_fit("abcdef", 10, out, sizeof out), 3);
    assert_string_equal(out, "abc");
    char two[3];
    assert_int_equal(text_fit("\xe6\x95\xb0", 10, two, sizeof two), 0); /* a 3-byte character does not fit */
    assert_string_equal(two, "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii),
        cmocka_unit_test(test_wide_and_zero_width),
        cmocka_unit_test(test_not_utf8),
        cmocka_unit_test(test_small_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
