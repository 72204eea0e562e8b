/* browser.h - the rollout list behind the Rollouts screen: a filter, a search, a sort, and a window of rows around
 * the cursor, read through its own query connection (storage/query.h) so it works on a live run while the trainer
 * writes. Windows are keyset pages, so moving costs the same anywhere in a million rows. No terminal here: the
 * screen draws what this holds; tests/test_browser.c drives it on a database it writes.
 *
 * Filter text (the `f` prompt), tokens separated by blanks, all must hold:
 *   step=10-50  step>=10  step<=50  step=7      reward>=0.5  reward<=0  reward=1
 *   correct  wrong  aha (reflection)  selfcorrect  noaha  truncated  len<=N  prompt=N
 * An empty text clears the filter (the search stays). */
#ifndef GRPO_UI_BROWSER_H
#define GRPO_UI_BROWSER_H
#include "storage/query.h"
#include <stdint.h>

enum { BROWSER_MAX_ROWS = 512 };

typedef struct {
    Query *q;
    int64_t run_id;          /* the run browsed (0 until one exists) */
    char run_name[64];
    QueryFilter f;           /* filter + search + sort */
    char filter_text[256];   /* the filter as typed (shown in the filter line) */
    QueryRolloutList rows;   /* the window: at most `height` rows in f's order */
    int cursor;              /* index into rows */
    int height;              /* rows the window holds */
    int64_t count;           /* rows matching f (-1 unknown) */
    int64_t data_version;    /* of the last refresh */
    int at_start;            /* the window starts at the first matching row (new rows on top show up) */
    int frozen;              /* the user froze the list: reloads never bring new rows in above the window */
    char prompt_template[1024];  /* the run's (its stored config), to tell a prompt's question from its template */
    char err[512];           /* the last error ("" none) */
} Browser;

/* Opens path read-only and selects its newest run (or run_id when > 0). Default order: newest step first.
 * Returns 0 or -1 with b->err. The database may hold no run yet (a live run just starting): then the list is
 * empty until browser_poll finds one. */
int browser_open(Browser *b, const char *path, int64_t run_id);
void browser_close(Browser *b);

/* Sets the window height (screen rows for the list) and refills around the cursor. */
void browser_set_height(Browser *b, int height);
/* Refetches the window from its first row and the count; keeps the cursor on the same rollout when it is still
 * there. At the top with the cursor on the first row, the window follows new rows (they appear on top); once the
 * cursor has moved, rows that arrive never move the list under it. Returns 0 or -1 (b->err). */
int browser_reload(Browser *b);
/* Reloads when another connection committed since the last look. Returns 1 when it reloaded, else 0. */
int browser_poll(Browser *b);

/* Freezes the list (1: no reload moves it, even at the top) or lets it follow new rows (0: back to the first
 * row, which then follows). Returns 0 or -1 (b->err). */
int browser_set_frozen(Browser *b, int frozen);
/* Moves the window to the first row (in the list's order) at step `step`; sorted by step, the nearest step in the
 * direction of the order when that step has no matching row. Returns 0, or -1 with b->err ("no rollout at step
 * N matches ..."), the window unchanged. */
int browser_jump_step(Browser *b, int step);
/* The question of a prompt, on one line: the template's text around {question} taken off when it matches,
 * whitespace and control characters folded to single blanks. tmpl may be NULL or "" (the whole prompt). */
void browser_question(const char *prompt, const char *tmpl, char *out, size_t n);

/* Cursor moves: ACT_UP / DOWN / PAGE_UP / PAGE_DOWN / TOP / BOTTOM (keymap.h actions). */
void browser_move(Browser *b, int action);
const QueryRollout *browser_selected(const Browser *b);

/* Parses filter text into f (its search and sort are kept). Returns 0, or -1 with err and f untouched. */
int browser_parse_filter(const char *text, QueryFilter *f, char *err, size_t errlen);
/* The filter (and search, and order) in a line, e.g. "step 10-50 | reward >= 0.5 | correct | search \"wait\"". */
void browser_describe(const Browser *b, char *buf, size_t n);

/* Changes that refetch from the top. Each returns 0 or -1 with b->err (the previous state is kept on error). */
int browser_set_filter_text(Browser *b, const char *text);
int browser_set_search(Browser *b, const char *text);      /* "" clears */
int browser_cycle_correct(Browser *b);                      /* any -> correct -> wrong -> any */
int browser_cycle_aha(Browser *b);                          /* any -> reflection -> self-correction -> any */
int browser_cycle_sort(Browser *b);                         /* step -> reward -> length -> advantage */
int browser_reverse(Browser *b);
int browser_clear(Browser *b);                              /* every filter and the search */

#endif
