/* test_progress.c - ui/progress.h: into a log, a line at each tenth of the way and never more than ten (a thousand
 * updates of a thousand units), the last one at the end; on a terminal, a line redrawn in place with a bar, ended
 * by a newline when done. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ui/progress.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *contents(FILE *f) {
    long n = ftell(f);
    rewind(f);
    char *s = calloc((size_t)n + 1, 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    return s;
}

static int count(const char *s, const char *what) {
    int n = 0;
    for (const char *p = s; (p = strstr(p, what)); p++) n++;
    return n;
}

static void test_log_lines(void **state) {
    (void)state;
    FILE *f = tmpfile();
    Progress p;
    progress_init(&p, f, 0, "generating", "problems", 1000);
    for (int i = 1; i <= 1000; i++) progress_update(&p, i);
    char *s = contents(f);
    assert_int_equal(count(s, "\n"), 10);
    assert_non_null(strstr(s, "generating 100/1000 problems\n"));
    assert_non_null(strstr(s, "generating 1000/1000 problems\n"));
    assert_null(strchr(s, '\r'));
    free(s);
    fclose(f);
    /* uneven steps (batches of 7 of 20): each tenth passed is one line, the end is reported */
    f = tmpfile();
    progress_init(&p, f, 0, "bench step", "", 20);
    for (int i = 7; i < 27; i += 7) progress_update(&p, i);
    s = contents(f);
    assert_string_equal(s, "bench step 7/20\nbench step 14/20\nbench step 20/20\n");
    free(s);
    fclose(f);
}

static void test_terminal_line(void **state) {
    (void)state;
    FILE *f = tmpfile();
    Progress p;
    progress_init(&p, f, 1, "generating", "problems", 4);
    progress_update(&p, 1);
    progress_update(&p, 4);
    char *s = contents(f);
    assert_true(s[0] == '\r');
    assert_non_null(strstr(s, "generating 1/4 problems [#####               ]"));
    assert_non_null(strstr(s, "\rgenerating 4/4 problems [####################]\n"));
    assert_int_equal(count(s, "\n"), 1);
    free(s);
    fclose(f);
}

static void test_bar(void **state) {
    (void)state;
    char b[64];
    progress_bar(b, sizeof b, 12, 37, 100);   /* 10 inner cells: 3.7 -> 3 full */
    assert_string_equal(b, "[###       ]");
    progress_bar(b, sizeof b, 12, 100, 100);
    assert_string_equal(b, "[##########]");
    progress_bar(b, sizeof b, 12, 150, 100);  /* clamped */
    assert_string_equal(b, "[##########]");
    progress_bar(b, sizeof b, 5, -3, 0);       /* nothing to count: empty */
    assert_string_equal(b, "[   ]");
    progress_bar(b, 6, 12, 50, 100);           /* cut to the buffer */
    assert_string_equal(b, "[####");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_lines),
        cmocka_unit_test(test_terminal_line),
        cmocka_unit_test(test_bar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
