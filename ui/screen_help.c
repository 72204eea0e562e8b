/* screen_help.c - the Help screen: every binding of the key map (ui/keymap.c), grouped by where it applies. Built
 * from the table, so it can never disagree with what the keys do. */
#include "ui/studio_internal.h"
#include <stdio.h>
#include <string.h>

enum { HELP_MAX = 256 };
typedef struct { int heading; char text[200]; } HelpLine;

static int build(HelpLine *out, int max) {
    int n = 0;
    static const KeyContext order[] = {KC_GLOBAL, KC_TRAIN, KC_EDITOR, KC_EDIT_VALUE, KC_ROLLOUTS, KC_PROMPT,
                                       KC_TRANSCRIPT, KC_GROUP, KC_RUNS, KC_HELP, KC_CONFIRM, KC_TOO_SMALL};
    for (size_t o = 0; o < sizeof order / sizeof order[0]; o++) {
        KeyContext c = order[o];
        if (n < max) { out[n].heading = 1; snprintf(out[n].text, sizeof out[n].text, "%s", keymap_context_name(c)); n++; }
        unsigned char seen[ACT_COUNT] = {0};
        for (int i = 0; i < KEYMAP_N && n < max; i++) {
            const KeyBinding *b = &KEYMAP[i];
            if (b->ctx != c || !b->keyname || seen[b->action]) continue;
            seen[b->action] = 1;
            char keys[64];
            keymap_keys_for(c, b->action, keys, sizeof keys);
            out[n].heading = 0;
            snprintf(out[n].text, sizeof out[n].text, "  %-16s %s", keys, b->help);
            n++;
        }
        if (n < max) { out[n].heading = 0; out[n].text[0] = 0; n++; }
    }
    const char *notes[] = {
        "Notes",
        "  In the rollout list and the transcript, g opens the group view; top and bottom are Home/End (or < >).",
        "  Hyperparameter changes apply at the next step, go into the run database's events, and show as marks",
        "  labelled \"key old -> new\" on the charts (\"(pending)\" until the trainer applies them).",
        "  NO_COLOR=1 turns colours off; a non-UTF-8 locale gets ASCII charts.",
    };
    for (size_t i = 0; i < sizeof notes / sizeof notes[0] && n < max; i++) {
        out[n].heading = i == 0;
        snprintf(out[n].text, sizeof out[n].text, "%s", notes[i]);
        n++;
    }
    return n;
}

int screen_help_lines(void) {
    static HelpLine lines[HELP_MAX];
    return build(lines, HELP_MAX);
}

void screen_help_draw(Studio *s, unsigned d) {
    WINDOW *b = studio_full_body(s, d);
    if (!b) return;
    static HelpLine lines[HELP_MAX];
    int n = build(lines, HELP_MAX);
    theme_box(b, "help: every key binding (Esc back)");
    int H = getmaxy(b) - 2, W = getmaxx(b) - 2;
    /* two columns when wide enough to show everything at once */
    int cols = W >= 150 && n > H ? 2 : 1;
    int colw = W / cols;
    for (int c = 0; c < cols; c++)
        for (int i = 0; i < H; i++) {
            int k = s->help_scroll + c * H + i;
            if (k >= n) break;
            wattrset(b, lines[k].heading ? theme_attr(TH_TITLE) : theme_attr(TH_NORMAL));
            put_clipped(b, 1 + i, 1 + c * colw, colw - 1, lines[k].text);
        }
    wattrset(b, A_NORMAL);
    wnoutrefresh(b);
}
