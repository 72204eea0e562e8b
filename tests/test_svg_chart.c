/* test_svg_chart.c - ui/svg_chart.h, the report's charts, on text written to a memory file: a chart with no point
 * says "no data"; titles and legend labels are HTML-escaped; a NaN breaks a line into two pieces; y ticks fall on
 * round numbers of a fixed 0..1 range; a marker is a dashed line with its escaped label; html_escape escapes the
 * five characters HTML needs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ui/svg_chart.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *render(const SvgChart *c) {
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    assert_non_null(f);
    assert_int_equal(svg_chart_write(f, c), 0);
    fclose(f);
    return buf;
}

static int count(const char *s, const char *what) {
    int n = 0;
    for (const char *p = s; (p = strstr(p, what)); p++) n++;
    return n;
}

static void test_empty(void **state) {
    (void)state;
    SvgChart c = {.title = "reward"};
    char *s = render(&c);
    assert_non_null(strstr(s, ">no data</text>"));
    assert_int_equal(count(s, "<svg"), 1);
    assert_int_equal(count(s, "</svg>"), 1);
    free(s);
}

static void test_series_ticks_markers(void **state) {
    (void)state;
    double x[] = {1, 2, 3, 4, 5}, y[] = {0.1, 0.4, NAN, 0.6, 0.9};
    SvgSeries se[] = {{x, y, 5, "#1f77b4", "#1 <a&b>"}};
    SvgMarker mk[] = {{3, "#d62728", "fork \"x\""}};
    SvgChart c = {.title = "pass@1 <held-out>", .fixed_y = 1, .ymin = 0, .ymax = 1, .series = se, .n_series = 1,
                  .markers = mk, .n_markers = 1};
    char *s = render(&c);
    assert_non_null(strstr(s, "pass@1 &lt;held-out&gt;"));
    assert_non_null(strstr(s, "#1 &lt;a&amp;b&gt;"));
    assert_null(strstr(s, "<a&b>"));
    assert_non_null(strstr(s, "fork &quot;x&quot;"));
    assert_int_equal(count(s, "stroke-dasharray"), 1);
    /* the NaN splits the line: two pieces, each starting with M */
    static const char PATH[] = "stroke=\"#1f77b4\" stroke-width=\"1.6\" d=\"";
    const char *d = strstr(s, PATH);
    assert_non_null(d);
    int moves = 0;
    for (const char *p = d + strlen(PATH); *p && *p != '"'; p++) moves += *p == 'M';
    assert_int_equal(moves, 2);
    assert_int_equal(count(s, "<circle"), 4);   /* few points: each one dotted */
    assert_non_null(strstr(s, ">0.0</text>"));
    assert_non_null(strstr(s, ">0.2</text>"));
    assert_non_null(strstr(s, ">1.0</text>"));
    assert_null(strstr(s, ">0.30000"));   /* round ticks, no float noise */
    free(s);
}

static void test_escape(void **state) {
    (void)state;
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    html_escape(f, "<think>a & 'b' \"c\"</think>");
    fclose(f);
    assert_string_equal(buf, "&lt;think&gt;a &amp; &#39;b&#39; &quot;c&quot;&lt;/think&gt;");
    free(buf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_series_ticks_markers),
        cmocka_unit_test(test_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
