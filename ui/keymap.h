/* keymap.h - the one table of key bindings: key -> action per context. The studio dispatches through it, the
 * help screen lists it, the hint bar is built from it; tests/test_keymap.c checks it. Pure (key codes are ncurses'
 * KEY_* numbers, but nothing here touches a terminal).
 *
 * A context is what has the keyboard: a screen (Train, Rollouts, Transcript, Group, Help) or a modal thing (the
 * hyperparameter editor, a value being typed, a text prompt, the quit confirmation, the too-small screen). Screen
 * contexts fall back to the global bindings; modal ones do not, so typing "q" into a prompt types a q.
 *
 * g/G: in lists and text, Home/End (and g/G where g means nothing else) go to the top and bottom. In the rollout
 * list and transcript `g` opens the group view, as the issue asks, so there top and bottom are Home/End and < / >. */
#ifndef GRPO_UI_KEYMAP_H
#define GRPO_UI_KEYMAP_H
#include <stddef.h>

typedef enum {
    KC_GLOBAL = 0,   /* every screen */
    KC_TRAIN,
    KC_ROLLOUTS,     /* the rollout list */
    KC_TRANSCRIPT,   /* one rollout's full text */
    KC_GROUP,        /* the G answers to one prompt */
    KC_RUNS,         /* every run of the database(s): marks for overlaid curves */
    KC_HELP,
    KC_EDITOR,       /* modal: the hyperparameter list in edit mode */
    KC_EDIT_VALUE,   /* modal: typing a value */
    KC_PROMPT,       /* modal: typing a search, a filter or a step to jump to */
    KC_PICKER,       /* modal: the metric picker (typing narrows it) */
    KC_CONFIRM,      /* modal: "quit?" */
    KC_TOO_SMALL,    /* modal: the terminal is below the minimum */
    KC_COUNT
} KeyContext;

typedef enum {
    ACT_NONE = 0,
    /* global */
    ACT_QUIT, ACT_HELP, ACT_BACK, ACT_REDRAW, ACT_NEXT_SCREEN, ACT_SCREEN_TRAIN, ACT_SCREEN_ROLLOUTS, ACT_SCREEN_GROUP,
    /* training */
    ACT_PAUSE, ACT_STEP, ACT_EDIT, ACT_CHECKPOINT, ACT_CHART_NEXT, ACT_CHART_PREV,
    /* charts */
    ACT_CURSOR, ACT_SMOOTH_NEXT, ACT_SMOOTH_PREV, ACT_FOCUS_NEXT, ACT_PICK_METRIC,
    /* moving */
    ACT_UP, ACT_DOWN, ACT_PAGE_UP, ACT_PAGE_DOWN, ACT_TOP, ACT_BOTTOM, ACT_OPEN,
    /* rollouts */
    ACT_GROUP, ACT_SEARCH, ACT_NEXT_MATCH, ACT_PREV_MATCH, ACT_FILTER, ACT_CYCLE_CORRECT, ACT_CYCLE_AHA,
    ACT_CLEAR_FILTERS, ACT_CYCLE_SORT, ACT_REVERSE, ACT_JUMP_STEP, ACT_FOLLOW, ACT_PAGER,
    /* transcript: the per-token view */
    ACT_TOKEN_VIEW, ACT_TOKEN_MEASURE,
    /* runs */
    ACT_SCREEN_RUNS, ACT_MARK, ACT_FORK,
    /* modal */
    ACT_APPLY, ACT_CANCEL, ACT_CONFIRM, ACT_ERASE, ACT_CLEAR_LINE, ACT_LEFT, ACT_RIGHT,
    ACT_COUNT
} Action;

typedef struct {
    KeyContext ctx;
    int key;             /* ncurses key code or character */
    Action action;
    const char *keyname; /* as shown in help: "Space", "Ctrl-L", "PgDn", "j" */
    const char *help;    /* what it does, for the help screen */
    const char *hint;    /* short label for the hint bar; NULL: not in the hint bar */
} KeyBinding;

extern const KeyBinding KEYMAP[];
extern const int KEYMAP_N;

/* The action of key in ctx: ctx's own bindings first, then (for screen contexts) the global ones. */
Action keymap_lookup(KeyContext ctx, int key);
/* 1 when ctx is modal (no fallback to the global bindings). */
int keymap_is_modal(KeyContext ctx);
const char *keymap_context_name(KeyContext ctx);
/* Every key name bound to action a in ctx (ctx's own table only), joined with " ": "j Down". Returns buf. */
char *keymap_keys_for(KeyContext ctx, Action a, char *buf, size_t n);
/* The hint bar for ctx (its hints, then the global ones when not modal), "key label" pairs separated by two
 * spaces, cut to at most `width` columns at a pair boundary. Returns buf. */
char *keymap_hints(KeyContext ctx, int width, char *buf, size_t n);

#endif
