/* editor.h - the hyperparameter editor: the live keys of CONFIG_KEYS, a selection, a value being typed, and the
 * validation of that value before it goes to trainer_set. Pure (no terminal, no trainer): the studio feeds it keys
 * and draws it; tests/test_editor.c checks the validation.
 *
 * Validation runs on a scratch copy of the config holding the run's current values: config_set_value (type and
 * range, with the range in the message) and then config_finish (cross-key rules such as prompts_per_step *
 * group_size <= max_batch). A refused value stays in the field with the message under it; Esc cancels. */
#ifndef GRPO_UI_EDITOR_H
#define GRPO_UI_EDITOR_H
#include "core/config.h"

enum { EDITOR_MAX_KEYS = 64, EDITOR_VALUE_MAX = 64 };

typedef enum {
    EDITOR_NOTHING = 0,  /* key ignored */
    EDITOR_CHANGED,      /* redraw */
    EDITOR_SUBMIT,       /* a valid new value: editor_pending says which; answer with editor_applied */
    EDITOR_CLOSE,        /* leave the editor */
    EDITOR_HELP          /* show the help screen */
} EditorResult;

typedef struct {
    const ConfigKey *keys[EDITOR_MAX_KEYS];  /* the live keys, in CONFIG_KEYS order */
    int n;
    int sel;                 /* selected key */
    int typing;              /* a value is being typed */
    char buf[EDITOR_VALUE_MAX];
    int len, cur;            /* length of buf, cursor position */
    char msg[256];           /* the last message: an error (msg_error) or what was applied */
    int msg_error;
    Config scratch;          /* current values of the run */
} Editor;

/* Collects the live keys and takes c as the current values. */
void editor_init(Editor *e, const Config *c);
/* The run's current value of key k changed (e.g. after a change applied, or a trainer_get refresh). */
void editor_set_current(Editor *e, const ConfigKey *k, const char *value);
/* The current value of key i as text. */
void editor_current(const Editor *e, int i, char *buf, size_t n);
/* "section.key" of key i. */
void editor_dotted(const Editor *e, int i, char *buf, size_t n);
/* Index of a live key by "section.key", or -1. */
int editor_find(const Editor *e, const char *dotted);

/* Starts typing into the selected key, the field holding its current value. */
void editor_begin(Editor *e);
/* One key press (ncurses code). */
EditorResult editor_key(Editor *e, int key);
/* Checks buf for the selected key on the scratch config: 0, or -1 with err (also left in e->msg). */
int editor_validate(Editor *e, char *err, size_t errlen);
/* After EDITOR_SUBMIT: the dotted key and the value to hand to trainer_set. */
void editor_pending(const Editor *e, char *dotted, size_t dn, char *value, size_t vn);
/* The outcome of trainer_set: ok ends the edit (the value becomes current, msg says so); otherwise err is shown and
 * the field stays open. */
void editor_applied(Editor *e, int ok, const char *err);

#endif
