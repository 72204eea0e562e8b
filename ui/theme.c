/* theme.c - colour pairs or monochrome attributes per role (see theme.h). */
#include "ui/theme.h"
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static attr_t g_attr[TH_COUNT];
static int g_color, g_utf8;

int theme_locale(void) {
    setlocale(LC_ALL, "");
    const char *cs = nl_langinfo(CODESET);
    g_utf8 = cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf8") || !strcmp(cs, "UTF8"));
    return g_utf8;
}

int theme_utf8(void) { return g_utf8; }
int theme_has_color(void) { return g_color; }

int theme_init(void) {
    const char *nc = getenv("NO_COLOR");
    g_color = !(nc && nc[0]) && has_colors();
    /* monochrome first: every role readable without colour */
    for (int i = 0; i < TH_COUNT; i++) g_attr[i] = A_NORMAL;
    g_attr[TH_STATUS] = A_REVERSE;
    g_attr[TH_RUNNING] = A_REVERSE | A_BOLD;
    g_attr[TH_PAUSED] = A_BOLD | A_BLINK;
    g_attr[TH_FAILED] = A_BOLD | A_UNDERLINE;
    g_attr[TH_HINTS] = A_REVERSE;
    g_attr[TH_HINT_KEY] = A_REVERSE | A_BOLD;
    g_attr[TH_TITLE] = A_BOLD;
    g_attr[TH_LABEL] = A_NORMAL;
    g_attr[TH_VALUE] = A_BOLD;
    g_attr[TH_DIM] = A_DIM;
    g_attr[TH_TAG] = A_BOLD;
    g_attr[TH_ANSWER] = A_BOLD;
    g_attr[TH_REFLECT] = A_UNDERLINE | A_BOLD;
    g_attr[TH_MATCH] = A_REVERSE;
    g_attr[TH_GOOD] = A_BOLD;
    g_attr[TH_BAD] = A_NORMAL;
    g_attr[TH_SELECTED] = A_REVERSE;
    g_attr[TH_SERIES0] = A_BOLD;
    g_attr[TH_BAND] = A_DIM;
    g_attr[TH_AXIS] = A_DIM;
    g_attr[TH_MARK] = A_BOLD;
    const attr_t heat_mono[5] = {A_NORMAL, A_NORMAL, A_BOLD, A_REVERSE, A_REVERSE | A_BOLD};
    const attr_t ratio_mono[5] = {A_REVERSE | A_BOLD, A_REVERSE, A_NORMAL, A_BOLD, A_BOLD | A_UNDERLINE};
    for (int i = 0; i < 5; i++) {
        g_attr[TH_HEAT0 + i] = heat_mono[i];
        g_attr[TH_RATIO0 + i] = ratio_mono[i];
    }
    g_attr[TH_CURSOR] = A_BOLD;
    g_attr[TH_PENDING] = A_UNDERLINE;
    if (!g_color) return 0;
    start_color();
    int bg = -1;
    if (use_default_colors() == ERR) bg = COLOR_BLACK;
    struct { ThemeRole r; short fg, bg; attr_t extra; } pairs[] = {
        {TH_STATUS, COLOR_BLACK, COLOR_CYAN, 0},
        {TH_RUNNING, COLOR_BLACK, COLOR_GREEN, A_BOLD},
        {TH_PAUSED, COLOR_BLACK, COLOR_YELLOW, A_BOLD},
        {TH_FAILED, COLOR_WHITE, COLOR_RED, A_BOLD},
        {TH_HINTS, COLOR_BLACK, COLOR_WHITE, 0},
        {TH_HINT_KEY, COLOR_BLUE, COLOR_WHITE, A_BOLD},
        {TH_BORDER, COLOR_BLUE, -2, 0},
        {TH_TITLE, COLOR_CYAN, -2, A_BOLD},
        {TH_LABEL, COLOR_WHITE, -2, 0},
        {TH_VALUE, COLOR_YELLOW, -2, A_BOLD},
        {TH_THINK, COLOR_CYAN, -2, 0},
        {TH_ANSWER, COLOR_GREEN, -2, A_BOLD},
        {TH_TAG, COLOR_MAGENTA, -2, A_BOLD},
        {TH_REFLECT, COLOR_BLACK, COLOR_MAGENTA, A_BOLD},
        {TH_MATCH, COLOR_BLACK, COLOR_YELLOW, 0},
        {TH_GOOD, COLOR_GREEN, -2, A_BOLD},
        {TH_BAD, COLOR_RED, -2, 0},
        {TH_SERIES0, COLOR_GREEN, -2, A_BOLD},
        {TH_SERIES1, COLOR_YELLOW, -2, 0},
        {TH_SERIES2, COLOR_MAGENTA, -2, 0},
        {TH_BAND, COLOR_CYAN, -2, A_DIM},   /* the spread apart from the mean (green) */
        {TH_AXIS, COLOR_BLUE, -2, 0},
        {TH_MARK, COLOR_MAGENTA, -2, A_BOLD},
        {TH_SERIES3, COLOR_BLUE, -2, A_BOLD},
        {TH_SERIES4, COLOR_RED, -2, A_BOLD},
        {TH_SERIES5, COLOR_WHITE, -2, A_BOLD},
        /* the per-token scales on 8 colours (graded backgrounds on 256, below) */
        {TH_HEAT0, COLOR_BLACK, COLOR_GREEN, 0},
        {TH_HEAT1, COLOR_BLACK, COLOR_CYAN, 0},
        {TH_HEAT2, COLOR_BLACK, COLOR_YELLOW, 0},
        {TH_HEAT3, COLOR_BLACK, COLOR_MAGENTA, 0},
        {TH_HEAT4, COLOR_WHITE, COLOR_RED, A_BOLD},
        {TH_RATIO0, COLOR_WHITE, COLOR_BLUE, A_BOLD},
        {TH_RATIO1, COLOR_BLACK, COLOR_CYAN, 0},
        {TH_RATIO2, COLOR_WHITE, -2, 0},
        {TH_RATIO3, COLOR_BLACK, COLOR_YELLOW, 0},
        {TH_RATIO4, COLOR_WHITE, COLOR_RED, A_BOLD},
        {TH_CURSOR, COLOR_WHITE, -2, A_BOLD},
        {TH_PENDING, COLOR_YELLOW, -2, A_UNDERLINE},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        short pair = (short)(i + 1);
        short fg = pairs[i].fg, back = pairs[i].bg == -2 ? bg : pairs[i].bg;
        /* 256 colours: the per-token scales as graded backgrounds (green -> red; blue -> grey -> red) */
        static const short heat256[5] = {71, 149, 220, 208, 196}, ratio256[5] = {33, 117, -2, 221, 196};
        if (COLORS >= 256 && pairs[i].r >= TH_HEAT0 && pairs[i].r <= TH_HEAT4) back = heat256[pairs[i].r - TH_HEAT0];
        if (COLORS >= 256 && pairs[i].r >= TH_RATIO0 && pairs[i].r <= TH_RATIO4 && pairs[i].r != TH_RATIO2)
            back = ratio256[pairs[i].r - TH_RATIO0];
        init_pair(pair, fg, back);
        g_attr[pairs[i].r] = COLOR_PAIR(pair) | pairs[i].extra;
    }
    g_attr[TH_SELECTED] = A_REVERSE;
    g_attr[TH_DIM] = A_DIM;
    return 1;
}

attr_t theme_attr(ThemeRole r) { return r >= 0 && r < TH_COUNT ? g_attr[r] : A_NORMAL; }

const char *theme_glyph_ok(void) { return g_utf8 ? "\xe2\x9c\x93" : "+"; }      /* ✓ */
const char *theme_glyph_bad(void) { return g_utf8 ? "\xe2\x9c\x97" : "x"; }     /* ✗ */
const char *theme_glyph_more(void) { return g_utf8 ? "\xe2\x80\xa6" : "~"; }    /* … */

/* Columns of UTF-8 text (continuation bytes take none). */
static int text_cols(const char *s, size_t n) {
    int c = 0;
    for (size_t i = 0; i < n && s[i]; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

size_t theme_fit_title(const char *title, int cols, char *out, size_t n) {
    size_t len = strlen(title);
    if (cols <= 0 || n == 0) { if (n) out[0] = 0; return 0; }
    if (text_cols(title, len) <= cols) { snprintf(out, n, "%s", title); return strlen(out); }
    const char *more = g_utf8 ? "\xe2\x80\xa6" : "~";
    /* the longest prefix that ends before a blank and leaves a column for the ellipsis: words and numbers whole */
    size_t cut = 0;
    for (size_t i = 1; i < len; i++)
        if (title[i] == ' ' && title[i - 1] != ' ' && text_cols(title, i) + 1 <= cols) cut = i;
    if (cut == 0) {   /* one long word: cut it at a character boundary */
        size_t i = 0;
        while (i < len && text_cols(title, i + 1) <= cols - 1) { i++; while (i < len && ((unsigned char)title[i] & 0xC0) == 0x80) i++; }
        cut = i;
    }
    snprintf(out, n, "%.*s%s", (int)cut, title, more);
    return strlen(out);
}

void theme_box(WINDOW *w, const char *title) {
    wattron(w, theme_attr(TH_BORDER));
    if (g_utf8) box(w, 0, 0);
    else wborder(w, '|', '|', '-', '-', '+', '+', '+', '+');
    wattroff(w, theme_attr(TH_BORDER));
    if (title && *title) {
        int maxw = getmaxx(w) - 4;
        if (maxw > 2) {
            char fit[512];
            theme_fit_title(title, maxw - 2, fit, sizeof fit);
            wattron(w, theme_attr(TH_TITLE));
            mvwprintw(w, 0, 2, " %s ", fit);
            wattroff(w, theme_attr(TH_TITLE));
        }
    }
}
