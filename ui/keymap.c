/* keymap.c - the key binding table (see keymap.h). Order matters twice: the help screen lists bindings in table
 * order, and the first key of an action is the one the hint bar shows. */
#include "ui/keymap.h"
#include <curses.h>
#include <stdio.h>
#include <string.h>

#define CTRL(c) ((c) & 0x1f)
#define ESC 27

const KeyBinding KEYMAP[] = {
    /* global: every screen that is not modal */
    {KC_GLOBAL, '?', ACT_HELP, "?", "help: every key binding", "help"},
    {KC_GLOBAL, KEY_F(1), ACT_HELP, "F1", "help", NULL},
    {KC_GLOBAL, 'q', ACT_QUIT, "q", "quit (asks first while training runs)", "quit"},
    {KC_GLOBAL, ESC, ACT_BACK, "Esc", "back to the previous screen (never destructive)", NULL},
    {KC_GLOBAL, '\t', ACT_NEXT_SCREEN, "Tab", "next screen: Train, Rollouts, Group", NULL},
    {KC_GLOBAL, '1', ACT_SCREEN_TRAIN, "1", "Train screen", NULL},
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
    {KC_TRAIN, '2', ACT_SCREEN_ROLLOUTS, "2", "browse rollouts", "rollouts"},

    /* Rollouts list */
    {KC_ROLLOUTS, KEY_UP, ACT_UP, "Up", "previous rollout", NULL},
    {KC_ROLLOUTS, 'k', ACT_UP, "k", "previous rollout", NULL},
    {KC_ROLLOUTS, KEY_DOWN, ACT_DOWN, "Down", "next rollout", NULL},
    {KC_ROLLOUTS, 'j', ACT_DOWN, "j", "next rollout", NULL},
    {KC_ROLLOUTS, KEY_PPAGE, ACT_PAGE_UP, "PgUp", "page up", NULL},
    {KC_ROLLOUTS, KEY_NPAGE, ACT_PAGE_DOWN, "PgDn", "page down", NULL},
    {KC_ROLLOUTS, KEY_HOME, ACT_TOP, "Home", "first rollout", NULL},
    {KC_ROLLOUTS, '<', ACT_TOP, "<", "first rollout", NULL},
    {KC_ROLLOUTS, KEY_END, ACT_BOTTOM, "End", "last rollout", NULL},
    {KC_ROLLOUTS, '>', ACT_BOTTOM, ">", "last rollout", NULL},
    {KC_ROLLOUTS, '\n', ACT_OPEN, "Enter", "open the transcript", "open"},
    {KC_ROLLOUTS, '\r', ACT_OPEN, NULL, NULL, NULL},
    {KC_ROLLOUTS, KEY_ENTER, ACT_OPEN, NULL, NULL, NULL},
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
    {KC_ROLLOUTS, '1', ACT_SCREEN_TRAIN, "1", "Train screen", "train"},

    /* Runs */
    {KC_RUNS, KEY_UP, ACT_UP, "Up", "previous run", NULL},
    {KC_RUNS, 'k', ACT_UP, "k", "previous run", NULL},
    {KC_RUNS, KEY_DOWN, ACT_DOWN, "Down", "next run", NULL},
    {KC_RUNS, 'j', ACT_DOWN, "j", "next run", NULL},
    {KC_RUNS, KEY_PPAGE, ACT_PAGE_UP, "PgUp", "page up", NULL},
    {KC_RUNS, KEY_NPAGE, ACT_PAGE_DOWN, "PgDn", "page down", NULL},
    {KC_RUNS, KEY_HOME, ACT_TOP, "Home", "first run", NULL},
    {KC_RUNS, 'g', ACT_TOP, "g", "first run", NULL},
    {KC_RUNS, KEY_END, ACT_BOTTOM, "End", "last run", NULL},
    {KC_RUNS, 'G', ACT_BOTTOM, "G", "last run", NULL},
    {KC_RUNS, ' ', ACT_MARK, "Space", "mark / unmark the run: marked runs' curves are overlaid, one colour each",
     "mark"},
    {KC_RUNS, 'F', ACT_FORK, "F", "the command that forks the run at its newest checkpoint (F again: the one before)",
     "fork"},
    {KC_RUNS, '\n', ACT_OPEN, "Enter", "browse this run's rollouts", "rollouts"},
    {KC_RUNS, '\r', ACT_OPEN, NULL, NULL, NULL},
    {KC_RUNS, KEY_ENTER, ACT_OPEN, NULL, NULL, NULL},
    {KC_RUNS, ESC, ACT_BACK, "Esc", "back", NULL},

    /* Transcript */
    {KC_TRANSCRIPT, KEY_UP, ACT_UP, "Up", "scroll up", NULL},
    {KC_TRANSCRIPT, 'k', ACT_UP, "k", "scroll up", NULL},
    {KC_TRANSCRIPT, KEY_DOWN, ACT_DOWN, "Down", "scroll down", NULL},
    {KC_TRANSCRIPT, 'j', ACT_DOWN, "j", "scroll down", NULL},
    {KC_TRANSCRIPT, KEY_PPAGE, ACT_PAGE_UP, "PgUp", "page up", NULL},
    {KC_TRANSCRIPT, KEY_NPAGE, ACT_PAGE_DOWN, "PgDn", "page down", NULL},
    {KC_TRANSCRIPT, KEY_HOME, ACT_TOP, "Home", "top", NULL},
    {KC_TRANSCRIPT, '<', ACT_TOP, "<", "top", NULL},
    {KC_TRANSCRIPT, KEY_END, ACT_BOTTOM, "End", "bottom", NULL},
    {KC_TRANSCRIPT, '>', ACT_BOTTOM, ">", "bottom", NULL},
    {KC_TRANSCRIPT, 'n', ACT_NEXT_MATCH, "n", "next rollout in the list (next match when searching)", "next"},
    {KC_TRANSCRIPT, 'N', ACT_PREV_MATCH, "N", "previous rollout in the list", "prev"},
    {KC_TRANSCRIPT, 'g', ACT_GROUP, "g", "group view of this rollout's prompt", "group"},
    {KC_TRANSCRIPT, ESC, ACT_BACK, "Esc", "back to the list", "back"},

    /* Group */
    {KC_GROUP, KEY_UP, ACT_UP, "Up", "previous sample", NULL},
    {KC_GROUP, 'k', ACT_UP, "k", "previous sample", NULL},
    {KC_GROUP, KEY_DOWN, ACT_DOWN, "Down", "next sample", NULL},
    {KC_GROUP, 'j', ACT_DOWN, "j", "next sample", NULL},
    {KC_GROUP, KEY_PPAGE, ACT_PAGE_UP, "PgUp", "scroll the answers up", NULL},
    {KC_GROUP, KEY_NPAGE, ACT_PAGE_DOWN, "PgDn", "scroll the answers down", NULL},
    {KC_GROUP, KEY_HOME, ACT_TOP, "Home", "first sample", NULL},
    {KC_GROUP, 'g', ACT_TOP, "g", "first sample", NULL},
    {KC_GROUP, KEY_END, ACT_BOTTOM, "End", "last sample", NULL},
    {KC_GROUP, 'G', ACT_BOTTOM, "G", "last sample", NULL},
    {KC_GROUP, '\n', ACT_OPEN, "Enter", "open the sample's transcript", "open"},
    {KC_GROUP, '\r', ACT_OPEN, NULL, NULL, NULL},
    {KC_GROUP, KEY_ENTER, ACT_OPEN, NULL, NULL, NULL},
    {KC_GROUP, ESC, ACT_BACK, "Esc", "back", "back"},

    /* Help */
    {KC_HELP, KEY_UP, ACT_UP, "Up", "scroll up", NULL},
    {KC_HELP, 'k', ACT_UP, "k", "scroll up", NULL},
    {KC_HELP, KEY_DOWN, ACT_DOWN, "Down", "scroll down", NULL},
    {KC_HELP, 'j', ACT_DOWN, "j", "scroll down", NULL},
    {KC_HELP, KEY_PPAGE, ACT_PAGE_UP, "PgUp", "page up", NULL},
    {KC_HELP, KEY_NPAGE, ACT_PAGE_DOWN, "PgDn", "page down", NULL},
    {KC_HELP, KEY_HOME, ACT_TOP, "Home", "top", NULL},
    {KC_HELP, 'g', ACT_TOP, "g", "top", NULL},
    {KC_HELP, KEY_END, ACT_BOTTOM, "End", "bottom", NULL},
    {KC_HELP, 'G', ACT_BOTTOM, "G", "bottom", NULL},
    {KC_HELP, ESC, ACT_BACK, "Esc", "close help", "back"},
    {KC_HELP, '?', ACT_BACK, "?", "close help", NULL},

    /* the hyperparameter editor (modal) */
    {KC_EDITOR, KEY_UP, ACT_UP, "Up", "previous key", NULL},
    {KC_EDITOR, 'k', ACT_UP, "k", "previous key", NULL},
    {KC_EDITOR, KEY_DOWN, ACT_DOWN, "Down", "next key", NULL},
    {KC_EDITOR, 'j', ACT_DOWN, "j", "next key", NULL},
    {KC_EDITOR, KEY_PPAGE, ACT_PAGE_UP, "PgUp", "page up", NULL},
    {KC_EDITOR, KEY_NPAGE, ACT_PAGE_DOWN, "PgDn", "page down", NULL},
    {KC_EDITOR, KEY_HOME, ACT_TOP, "Home", "first key", NULL},
    {KC_EDITOR, KEY_END, ACT_BOTTOM, "End", "last key", NULL},
    {KC_EDITOR, '\n', ACT_OPEN, "Enter", "edit the selected value", "edit value"},
    {KC_EDITOR, '\r', ACT_OPEN, NULL, NULL, NULL},
    {KC_EDITOR, KEY_ENTER, ACT_OPEN, NULL, NULL, NULL},
    {KC_EDITOR, ESC, ACT_CANCEL, "Esc", "leave the editor", "done"},
    {KC_EDITOR, 'e', ACT_CANCEL, "e", "leave the editor", NULL},
    {KC_EDITOR, KEY_F(2), ACT_CANCEL, "F2", "leave the editor", NULL},
    {KC_EDITOR, '?', ACT_HELP, "?", "help", "help"},
    {KC_EDITOR, KEY_F(1), ACT_HELP, "F1", "help", NULL},

    /* typing a value (modal): every other key is text */
    {KC_EDIT_VALUE, '\n', ACT_APPLY, "Enter", "check and apply at the next step (a bad value is refused)", "apply"},
    {KC_EDIT_VALUE, '\r', ACT_APPLY, NULL, NULL, NULL},
    {KC_EDIT_VALUE, KEY_ENTER, ACT_APPLY, NULL, NULL, NULL},
    {KC_EDIT_VALUE, ESC, ACT_CANCEL, "Esc", "cancel the edit", "cancel"},
    {KC_EDIT_VALUE, KEY_BACKSPACE, ACT_ERASE, "Backspace", "erase a character", NULL},
    {KC_EDIT_VALUE, 127, ACT_ERASE, NULL, NULL, NULL},
    {KC_EDIT_VALUE, CTRL('h'), ACT_ERASE, NULL, NULL, NULL},
    {KC_EDIT_VALUE, CTRL('u'), ACT_CLEAR_LINE, "Ctrl-U", "clear the value", NULL},
    {KC_EDIT_VALUE, KEY_LEFT, ACT_LEFT, "Left", "move the cursor", NULL},
    {KC_EDIT_VALUE, KEY_RIGHT, ACT_RIGHT, "Right", "move the cursor", NULL},

    /* typing a search or filter (modal) */
    {KC_PROMPT, '\n', ACT_APPLY, "Enter", "search / filter", "apply"},
    {KC_PROMPT, '\r', ACT_APPLY, NULL, NULL, NULL},
    {KC_PROMPT, KEY_ENTER, ACT_APPLY, NULL, NULL, NULL},
    {KC_PROMPT, ESC, ACT_CANCEL, "Esc", "cancel", "cancel"},
    {KC_PROMPT, KEY_BACKSPACE, ACT_ERASE, "Backspace", "erase a character", NULL},
    {KC_PROMPT, 127, ACT_ERASE, NULL, NULL, NULL},
    {KC_PROMPT, CTRL('h'), ACT_ERASE, NULL, NULL, NULL},
    {KC_PROMPT, CTRL('u'), ACT_CLEAR_LINE, "Ctrl-U", "clear the line", NULL},
    {KC_PROMPT, KEY_LEFT, ACT_LEFT, "Left", "move the cursor", NULL},
    {KC_PROMPT, KEY_RIGHT, ACT_RIGHT, "Right", "move the cursor", NULL},

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
    return ctx == KC_EDITOR || ctx == KC_EDIT_VALUE || ctx == KC_PROMPT || ctx == KC_CONFIRM || ctx == KC_TOO_SMALL;
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
        [KC_PROMPT] = "Typing a search or filter", [KC_CONFIRM] = "Quit confirmation",
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
