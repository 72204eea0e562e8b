/* keymap.c - the key binding table (see keymap.h). Order matters twice: the help screen lists bindings in table
 * order, and the first key of an action is the one the hint bar shows. */
#include "ui/keymap.h"
#include <curses.h>
#include <stdio.h>
#include <string.h>

#define CTRL(c) ((c) & 0x1f)
#define ESC 27

/* Rows that come in the same shape in several contexts. Each expands to whole rows, in help order; only the first
 * key of a group carries the help text shown for the others (keymap_keys_for joins their names). */
#define ROWS_UP_DOWN(ctx, up, down)                                                                                  \
    {ctx, KEY_UP, ACT_UP, "Up", up, NULL}, {ctx, 'k', ACT_UP, "k", up, NULL},                                        \
    {ctx, KEY_DOWN, ACT_DOWN, "Down", down, NULL}, {ctx, 'j', ACT_DOWN, "j", down, NULL}
#define ROWS_PAGES(ctx, up, down)                                                                                    \
    {ctx, KEY_PPAGE, ACT_PAGE_UP, "PgUp", up, NULL}, {ctx, KEY_NPAGE, ACT_PAGE_DOWN, "PgDn", down, NULL}
/* Enter, whichever code the terminal sends for it (^J, ^M, KEY_ENTER) */
#define ROWS_ENTER(ctx, act, help, hint)                                                                             \
    {ctx, '\n', act, "Enter", help, hint}, {ctx, '\r', act, NULL, NULL, NULL}, {ctx, KEY_ENTER, act, NULL, NULL, NULL}
/* line editing in a modal text field */
#define ROWS_TEXT_FIELD(ctx, clear_help)                                                                             \
    {ctx, KEY_BACKSPACE, ACT_ERASE, "Backspace", "erase a character", NULL}, {ctx, 127, ACT_ERASE, NULL, NULL, NULL}, \
    {ctx, CTRL('h'), ACT_ERASE, NULL, NULL, NULL}, {ctx, CTRL('u'), ACT_CLEAR_LINE, "Ctrl-U", clear_help, NULL},     \
    {ctx, KEY_LEFT, ACT_LEFT, "Left", "move the cursor", NULL},                                                      \
    {ctx, KEY_RIGHT, ACT_RIGHT, "Right", "move the cursor", NULL}

const KeyBinding KEYMAP[] = {
    /* global: every screen that is not modal */
    {KC_GLOBAL, '?', ACT_HELP, "?", "help: every key binding", "help"},
    {KC_GLOBAL, KEY_F(1), ACT_HELP, "F1", "help", NULL},
    {KC_GLOBAL, 'q', ACT_QUIT, "q", "quit (asks first while training runs)", "quit"},
    {KC_GLOBAL, ESC, ACT_BACK, "Esc", "back to the previous screen (never destructive)", NULL},
    {KC_GLOBAL, '\t', ACT_NEXT_SCREEN, "Tab", "next screen: Train, Rollouts, Group", NULL},
    {KC_GLOBAL, '1', ACT_SCREEN_TRAIN, "1", "Train screen (browse: the charts of the run browsed)", NULL},
    {KC_GLOBAL, '2', ACT_SCREEN_ROLLOUTS, "2", "Rollouts screen", NULL},
    {KC_GLOBAL, '3', ACT_SCREEN_GROUP, "3", "Group screen (the group of the selected rollout)", NULL},
    {KC_GLOBAL, '4', ACT_SCREEN_RUNS, "4", "Runs screen: every run of the database(s), curves overlaid", NULL},
    {KC_GLOBAL, CTRL('l'), ACT_REDRAW, "Ctrl-L", "redraw the screen", NULL},

    /* Train */
    {KC_TRAIN, ' ', ACT_PAUSE, "Space", "pause / resume training", "pause"},
    {KC_TRAIN, 's', ACT_STEP, "s", "run one step, then pause", "step"},
    {KC_TRAIN, 'e', ACT_EDIT, "e", "edit hyperparameters (live keys)", "edit"},
    {KC_TRAIN, KEY_F(2), ACT_EDIT, "F2", "edit hyperparameters", NULL},
    {KC_TRAIN, 'c', ACT_CHECKPOINT, "c", "save a checkpoint now", "ckpt"},
    {KC_TRAIN, 'v', ACT_CHART_NEXT, "v", "variant chart: entropy, clip low/high, sequence ratios, dynamic sampling, "
                                        "masked tokens, overlong reward", "chart"},
    {KC_TRAIN, 'V', ACT_CHART_PREV, "V", "variant chart: the previous view", NULL},
    {KC_TRAIN, 'x', ACT_CURSOR, "x", "cursor on / off: every chart reads every drawn series at one step",
     NULL},
    {KC_TRAIN, KEY_LEFT, ACT_LEFT, "Left", "cursor one step back (turns it on)", NULL},
    {KC_TRAIN, KEY_RIGHT, ACT_RIGHT, "Right", "cursor one step on (turns it on)", NULL},
    {KC_TRAIN, KEY_PPAGE, ACT_PAGE_UP, "PgUp", "cursor a tenth of the steps back", NULL},
    {KC_TRAIN, KEY_NPAGE, ACT_PAGE_DOWN, "PgDn", "cursor a tenth of the steps on", NULL},
    {KC_TRAIN, KEY_HOME, ACT_TOP, "Home", "cursor to the first step", NULL},
    {KC_TRAIN, KEY_END, ACT_BOTTOM, "End", "cursor to the last step", NULL},
    {KC_TRAIN, ESC, ACT_BACK, "Esc", "cursor off", NULL},
    {KC_TRAIN, 'S', ACT_SMOOTH_NEXT, "S", "smoothing: 0, 0.6, 0.8, 0.9, 0.95, 0.99 (exponential; raw shown faint)",
     NULL},
    {KC_TRAIN, ']', ACT_SMOOTH_NEXT, "]", "more smoothing", NULL},
    {KC_TRAIN, '[', ACT_SMOOTH_PREV, "[", "less smoothing", NULL},
    {KC_TRAIN, 'p', ACT_FOCUS_NEXT, "p", "focus the next chart panel (its title is marked)", NULL},
    {KC_TRAIN, 'm', ACT_PICK_METRIC, "m", "put any metric of the run in the focused chart panel", NULL},
    {KC_TRAIN, '2', ACT_SCREEN_ROLLOUTS, "2", "browse rollouts", "rollouts"},

    /* Rollouts list */
    ROWS_UP_DOWN(KC_ROLLOUTS, "previous rollout", "next rollout"),
    ROWS_PAGES(KC_ROLLOUTS, "page up", "page down"),
    {KC_ROLLOUTS, KEY_HOME, ACT_TOP, "Home", "first rollout", NULL},
    {KC_ROLLOUTS, '<', ACT_TOP, "<", "first rollout", NULL},
    {KC_ROLLOUTS, KEY_END, ACT_BOTTOM, "End", "last rollout", NULL},
    {KC_ROLLOUTS, '>', ACT_BOTTOM, ">", "last rollout", NULL},
    ROWS_ENTER(KC_ROLLOUTS, ACT_OPEN, "open the transcript", "open"),
    {KC_ROLLOUTS, 'g', ACT_GROUP, "g", "group view: the G answers to this prompt", "group"},
    {KC_ROLLOUTS, '/', ACT_SEARCH, "/", "full-text search in completions (empty: clear)", "search"},
    {KC_ROLLOUTS, 'n', ACT_NEXT_MATCH, "n", "next match", NULL},
    {KC_ROLLOUTS, 'N', ACT_PREV_MATCH, "N", "previous match", NULL},
    {KC_ROLLOUTS, 'f', ACT_FILTER, "f", "filter: step=10-50 reward>=0.5 correct|wrong aha|selfcorrect|noaha "
                                        "truncated len<=N prompt=N", "filter"},
    {KC_ROLLOUTS, 'c', ACT_CYCLE_CORRECT, "c", "show all / correct / wrong", "correct"},
    {KC_ROLLOUTS, 'a', ACT_CYCLE_AHA, "a", "show all / reflection / self-correction", "aha"},
    {KC_ROLLOUTS, 'x', ACT_CLEAR_FILTERS, "x", "clear every filter and the search", NULL},
    {KC_ROLLOUTS, 's', ACT_CYCLE_SORT, "s", "sort by step / reward / length / advantage", "sort"},
    {KC_ROLLOUTS, 'r', ACT_REVERSE, "r", "reverse the order", NULL},
    {KC_ROLLOUTS, ':', ACT_JUMP_STEP, ":", "jump to a step (asks for its number)", "jump"},
    {KC_ROLLOUTS, 'F', ACT_FOLLOW, "F", "live run: follow new rows / freeze the list (it never moves by itself)",
     "follow"},
    {KC_ROLLOUTS, 'P', ACT_PAGER, "P", "open the selected transcript in $PAGER (less when unset)", NULL},
    {KC_ROLLOUTS, '1', ACT_SCREEN_TRAIN, "1", "Train screen", "train"},

    /* Runs */
    ROWS_UP_DOWN(KC_RUNS, "previous run", "next run"),
    ROWS_PAGES(KC_RUNS, "page up", "page down"),
    {KC_RUNS, KEY_HOME, ACT_TOP, "Home", "first run", NULL},
    {KC_RUNS, 'g', ACT_TOP, "g", "first run", NULL},
    {KC_RUNS, KEY_END, ACT_BOTTOM, "End", "last run", NULL},
    {KC_RUNS, 'G', ACT_BOTTOM, "G", "last run", NULL},
    {KC_RUNS, ' ', ACT_MARK, "Space", "mark / unmark the run: marked runs' curves are overlaid, one colour each",
     "mark"},
    {KC_RUNS, 'F', ACT_FORK, "F",
     "fork the run: type the step (its newest checkpoint) and changes key=value; the command is shown, Enter starts it",
     "fork"},
    ROWS_ENTER(KC_RUNS, ACT_OPEN, "browse this run's rollouts", "rollouts"),
    {KC_RUNS, ESC, ACT_BACK, "Esc", "back", NULL},

    /* Transcript */
    ROWS_UP_DOWN(KC_TRANSCRIPT, "scroll up", "scroll down"),
    ROWS_PAGES(KC_TRANSCRIPT, "page up", "page down"),
    {KC_TRANSCRIPT, KEY_HOME, ACT_TOP, "Home", "top", NULL},
    {KC_TRANSCRIPT, '<', ACT_TOP, "<", "top", NULL},
    {KC_TRANSCRIPT, KEY_END, ACT_BOTTOM, "End", "bottom", NULL},
    {KC_TRANSCRIPT, '>', ACT_BOTTOM, ">", "bottom", NULL},
    {KC_TRANSCRIPT, 'n', ACT_NEXT_MATCH, "n", "next rollout in the list (next match when searching)", "next"},
    {KC_TRANSCRIPT, 'N', ACT_PREV_MATCH, "N", "previous rollout in the list", "prev"},
    {KC_TRANSCRIPT, 'g', ACT_GROUP, "g", "group view of this rollout's prompt", "group"},
    {KC_TRANSCRIPT, 't', ACT_TOKEN_VIEW, "t", "per-token view: each completion token coloured by a measure", "tokens"},
    {KC_TRANSCRIPT, 'm', ACT_TOKEN_MEASURE, "m", "per-token view: colour by log-prob / entropy / importance ratio",
     "measure"},
    {KC_TRANSCRIPT, 'P', ACT_PAGER, "P", "open the transcript in $PAGER (less when unset)", "pager"},
    {KC_TRANSCRIPT, ESC, ACT_BACK, "Esc", "back to the list", "back"},

    /* Group */
    ROWS_UP_DOWN(KC_GROUP, "previous sample", "next sample"),
    ROWS_PAGES(KC_GROUP, "scroll the answers up", "scroll the answers down"),
    {KC_GROUP, KEY_HOME, ACT_TOP, "Home", "first sample", NULL},
    {KC_GROUP, 'g', ACT_TOP, "g", "first sample", NULL},
    {KC_GROUP, KEY_END, ACT_BOTTOM, "End", "last sample", NULL},
    {KC_GROUP, 'G', ACT_BOTTOM, "G", "last sample", NULL},
    ROWS_ENTER(KC_GROUP, ACT_OPEN, "open the sample's transcript", "open"),
    {KC_GROUP, ESC, ACT_BACK, "Esc", "back", "back"},

    /* Help */
    ROWS_UP_DOWN(KC_HELP, "scroll up", "scroll down"),
    ROWS_PAGES(KC_HELP, "page up", "page down"),
    {KC_HELP, KEY_HOME, ACT_TOP, "Home", "top", NULL},
    {KC_HELP, 'g', ACT_TOP, "g", "top", NULL},
    {KC_HELP, KEY_END, ACT_BOTTOM, "End", "bottom", NULL},
    {KC_HELP, 'G', ACT_BOTTOM, "G", "bottom", NULL},
    {KC_HELP, ESC, ACT_BACK, "Esc", "close help", "back"},
    {KC_HELP, '?', ACT_BACK, "?", "close help", NULL},

    /* the hyperparameter editor (modal) */
    ROWS_UP_DOWN(KC_EDITOR, "previous key", "next key"),
    ROWS_PAGES(KC_EDITOR, "page up", "page down"),
    {KC_EDITOR, KEY_HOME, ACT_TOP, "Home", "first key", NULL},
    {KC_EDITOR, KEY_END, ACT_BOTTOM, "End", "last key", NULL},
    ROWS_ENTER(KC_EDITOR, ACT_OPEN, "edit the selected value", "edit value"),
    {KC_EDITOR, ESC, ACT_CANCEL, "Esc", "leave the editor", "done"},
    {KC_EDITOR, 'e', ACT_CANCEL, "e", "leave the editor", NULL},
    {KC_EDITOR, KEY_F(2), ACT_CANCEL, "F2", "leave the editor", NULL},
    {KC_EDITOR, '?', ACT_HELP, "?", "help", "help"},
    {KC_EDITOR, KEY_F(1), ACT_HELP, "F1", "help", NULL},

    /* typing a value (modal): every other key is text */
    ROWS_ENTER(KC_EDIT_VALUE, ACT_APPLY, "check and apply at the next step (a bad value is refused)", "apply"),
    {KC_EDIT_VALUE, ESC, ACT_CANCEL, "Esc", "cancel the edit", "cancel"},
    ROWS_TEXT_FIELD(KC_EDIT_VALUE, "clear the value"),

    /* typing a search, a filter or a step (modal) */
    ROWS_ENTER(KC_PROMPT, ACT_APPLY, "search / filter / jump / fork", "apply"),
    {KC_PROMPT, ESC, ACT_CANCEL, "Esc", "cancel", "cancel"},
    ROWS_TEXT_FIELD(KC_PROMPT, "clear the line"),
    {KC_PROMPT, KEY_UP, ACT_UP, "Up", "fork line: the checkpoint before the step typed (and round)", NULL},

    /* the metric picker (modal): typing narrows the list */
    {KC_PICKER, KEY_UP, ACT_UP, "Up", "previous metric", NULL},
    {KC_PICKER, KEY_DOWN, ACT_DOWN, "Down", "next metric", NULL},
    ROWS_PAGES(KC_PICKER, "page up", "page down"),
    ROWS_ENTER(KC_PICKER, ACT_APPLY, "show the metric in the focused panel (\"(panel's own)\": its usual chart)",
               "show"),
    {KC_PICKER, ESC, ACT_CANCEL, "Esc", "close the picker", "cancel"},
    {KC_PICKER, KEY_BACKSPACE, ACT_ERASE, "Backspace", "erase a filter character", NULL},
    {KC_PICKER, 127, ACT_ERASE, NULL, NULL, NULL},
    {KC_PICKER, CTRL('h'), ACT_ERASE, NULL, NULL, NULL},
    {KC_PICKER, CTRL('u'), ACT_CLEAR_LINE, "Ctrl-U", "clear the filter", NULL},

    /* the quit confirmation (modal) */
    {KC_CONFIRM, 'y', ACT_CONFIRM, "y", "yes: stop training, save a checkpoint, quit", "yes"},
    {KC_CONFIRM, 'Y', ACT_CONFIRM, NULL, NULL, NULL},
    {KC_CONFIRM, 'q', ACT_CONFIRM, "q", "yes (q twice quits)", NULL},
    {KC_CONFIRM, '\n', ACT_CONFIRM, "Enter", "yes", NULL},
    {KC_CONFIRM, '\r', ACT_CONFIRM, NULL, NULL, NULL},
    {KC_CONFIRM, 'n', ACT_CANCEL, "n", "no, keep training", "no"},
    {KC_CONFIRM, 'N', ACT_CANCEL, NULL, NULL, NULL},
    {KC_CONFIRM, ESC, ACT_CANCEL, "Esc", "no", NULL},

    /* terminal too small (modal) */
    {KC_TOO_SMALL, 'q', ACT_QUIT, "q", "quit", "quit"},
    {KC_TOO_SMALL, CTRL('l'), ACT_REDRAW, "Ctrl-L", "redraw", NULL},
};
const int KEYMAP_N = (int)(sizeof KEYMAP / sizeof KEYMAP[0]);

int keymap_is_modal(KeyContext ctx) {
    return ctx == KC_EDITOR || ctx == KC_EDIT_VALUE || ctx == KC_PROMPT || ctx == KC_PICKER || ctx == KC_CONFIRM ||
           ctx == KC_TOO_SMALL;
}

static Action lookup_in(KeyContext ctx, int key) {
    for (int i = 0; i < KEYMAP_N; i++)
        if (KEYMAP[i].ctx == ctx && KEYMAP[i].key == key) return KEYMAP[i].action;
    return ACT_NONE;
}

Action keymap_lookup(KeyContext ctx, int key) {
    Action a = lookup_in(ctx, key);
    if (a != ACT_NONE || keymap_is_modal(ctx) || ctx == KC_GLOBAL) return a;
    return lookup_in(KC_GLOBAL, key);
}

const char *keymap_context_name(KeyContext ctx) {
    static const char *names[KC_COUNT] = {
        [KC_GLOBAL] = "Everywhere", [KC_TRAIN] = "Train screen", [KC_ROLLOUTS] = "Rollouts list", [KC_RUNS] = "Runs screen",
        [KC_TRANSCRIPT] = "Transcript", [KC_GROUP] = "Group view", [KC_HELP] = "Help",
        [KC_EDITOR] = "Hyperparameter editor", [KC_EDIT_VALUE] = "Typing a value",
        [KC_PROMPT] = "Typing a search, filter, step or fork", [KC_PICKER] = "Metric picker",
        [KC_CONFIRM] = "Quit confirmation",
        [KC_TOO_SMALL] = "Terminal too small"};
    return ctx >= 0 && ctx < KC_COUNT ? names[ctx] : "?";
}

char *keymap_keys_for(KeyContext ctx, Action a, char *buf, size_t n) {
    size_t k = 0;
    if (n) buf[0] = 0;
    for (int i = 0; i < KEYMAP_N; i++) {
        if (KEYMAP[i].ctx != ctx || KEYMAP[i].action != a || !KEYMAP[i].keyname) continue;
        int w = snprintf(buf + k, n > k ? n - k : 0, "%s%s", k ? " " : "", KEYMAP[i].keyname);
        if (w > 0) k += (size_t)w;
        if (k >= n) { if (n) buf[n - 1] = 0; break; }
    }
    return buf;
}

/* Appends the hints of ctx (global ones not rebound in `shadow`); stops at the first pair that does not fit. */
static size_t add_hints(KeyContext ctx, KeyContext shadow, int width, char *buf, size_t n, size_t k, int *full,
                        unsigned *seen) {
    for (int i = 0; i < KEYMAP_N && !*full; i++) {
        const KeyBinding *b = &KEYMAP[i];
        if (b->ctx != ctx || !b->hint) continue;
        if (seen[b->action / 32] & (1u << (b->action % 32))) continue; /* e.g. "2 rollouts" in Train and global */
        if (ctx == KC_GLOBAL && lookup_in(shadow, b->key) != ACT_NONE) continue; /* the key means else here */
        seen[b->action / 32] |= 1u << (b->action % 32);
        char pair[64];
        const char *key = !strcmp(b->keyname, "Space") ? "Spc" : b->keyname;
        int len = snprintf(pair, sizeof pair, "%s%s %s", k ? "  " : "", key, b->hint);
        if ((int)k + len > width || k + (size_t)len >= n) { *full = 1; break; }
        memcpy(buf + k, pair, (size_t)len + 1);
        k += (size_t)len;
    }
    return k;
}

char *keymap_hints(KeyContext ctx, int width, char *buf, size_t n) {
    if (!n) return buf;
    buf[0] = 0;
    int full = 0;
    unsigned seen[(ACT_COUNT + 31) / 32] = {0};
    size_t k = add_hints(ctx, ctx, width, buf, n, 0, &full, seen);
    if (!keymap_is_modal(ctx) && ctx != KC_GLOBAL) add_hints(KC_GLOBAL, ctx, width, buf, n, k, &full, seen);
    return buf;
}
