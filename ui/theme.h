/* theme.h - colours and glyphs. One role per thing the screens draw; theme_init maps roles to colour pairs, or to
 * plain attributes (bold, underline, reverse, dim) when NO_COLOR is set or the terminal has no colours, so every
 * screen still reads in monochrome. theme_locale sets the locale (before initscr) and says whether it is UTF-8;
 * when it is not, charts and borders fall back to ASCII. Only the loop thread calls these. */
#ifndef GRPO_UI_THEME_H
#define GRPO_UI_THEME_H
#include <curses.h>

typedef enum {
    TH_NORMAL = 0,
    TH_STATUS,       /* status bar */
    TH_RUNNING,      /* RUNNING in the status bar */
    TH_PAUSED,       /* PAUSED */
    TH_FAILED,       /* FAILED, errors */
    TH_HINTS,        /* the hint bar */
    TH_HINT_KEY,     /* a key in the hint bar */
    TH_BORDER,
    TH_TITLE,        /* panel titles */
    TH_LABEL,        /* metric names, axis labels */
    TH_VALUE,        /* metric values */
    TH_DIM,          /* prompts, secondary text */
    TH_THINK,        /* text inside <think> */
    TH_ANSWER,       /* text inside <answer> */
    TH_TAG,          /* the <think> / <answer> tags themselves */
    TH_REFLECT,      /* reflection words ("wait", "recheck", ...) */
    TH_MATCH,        /* search matches */
    TH_GOOD,         /* correct, positive advantage */
    TH_BAD,          /* wrong, negative advantage */
    TH_SELECTED,     /* the selected row */
    TH_SERIES0, TH_SERIES1, TH_SERIES2, TH_BAND, TH_AXIS, TH_MARK,
    TH_SERIES3, TH_SERIES4, TH_SERIES5,   /* more runs overlaid */
    /* the per-token view's scales (ui/token_view.h buckets): sure -> unsure, and pushed down -> unchanged -> up */
    TH_HEAT0, TH_HEAT1, TH_HEAT2, TH_HEAT3, TH_HEAT4,
    TH_RATIO0, TH_RATIO1, TH_RATIO2, TH_RATIO3, TH_RATIO4,
    TH_CURSOR,       /* the charts' reading cursor */
    TH_PENDING,      /* a change submitted, not applied yet */
    TH_COUNT
} ThemeRole;

/* setlocale(LC_ALL, "") and whether the codeset is UTF-8. Call before initscr. */
int theme_locale(void);
/* After initscr: colours unless NO_COLOR is set (non-empty) or the terminal has none. Returns 1 with colours. */
int theme_init(void);
attr_t theme_attr(ThemeRole r);
int theme_has_color(void);
int theme_utf8(void);

/* Glyphs that depend on UTF-8: check mark / cross for correct / wrong, ellipsis, the reflection marker. */
const char *theme_glyph_ok(void);
const char *theme_glyph_bad(void);
const char *theme_glyph_more(void);

/* title fitted into cols columns: whole when it fits, else cut before a blank (words and numbers are never cut in
 * the middle) with an ellipsis ("~" without UTF-8). Writes out (n bytes); returns its length. Pure. */
size_t theme_fit_title(const char *title, int cols, char *out, size_t n);
/* Draws a box around w with a title in it (at column 2), in the theme's border and title attributes; ASCII
 * corners when the locale is not UTF-8. */
void theme_box(WINDOW *w, const char *title);

#endif
