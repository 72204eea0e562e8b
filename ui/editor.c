/* editor.c - the hyperparameter editor's state machine and validation (see editor.h). */
#include "ui/editor.h"
#include "ui/keymap.h"
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* The keys people change most come first; every other live key follows in CONFIG_KEYS order. This orders the
 * list only: what is editable is decided by the table's `live` flag. */
static const char *const FIRST[] = {
    "optim.lr", "grpo.beta", "grpo.eps_low", "grpo.eps_high", "sampling.temperature", "sampling.top_p",
    "grpo.group_size", "grpo.prompts_per_step", "sampling.max_new_tokens", "reward.accuracy", "reward.format",
    "reward.language"};

void editor_init(Editor *e, const Config *c) {
    memset(e, 0, sizeof *e);
    e->scratch = *c;
    for (size_t f = 0; f < sizeof FIRST / sizeof FIRST[0]; f++) {
        const ConfigKey *k = config_key_dotted(FIRST[f]);
        if (k && k->live && e->n < EDITOR_MAX_KEYS) e->keys[e->n++] = k;
    }
    for (int i = 0; i < CONFIG_N_KEYS && e->n < EDITOR_MAX_KEYS; i++) {
        if (!CONFIG_KEYS[i].live) continue;
        int dup = 0;
        for (int j = 0; j < e->n && !dup; j++) dup = e->keys[j] == &CONFIG_KEYS[i];
        if (!dup) e->keys[e->n++] = &CONFIG_KEYS[i];
    }
}

void editor_set_current(Editor *e, const ConfigKey *k, const char *value) {
    char err[256];
    (void)config_set_value(&e->scratch, k, value, err, sizeof err);
}

void editor_current(const Editor *e, int i, char *buf, size_t n) {
    if (i < 0 || i >= e->n) { if (n) buf[0] = 0; return; }
    config_get_value(&e->scratch, e->keys[i], buf, n);
}

void editor_dotted(const Editor *e, int i, char *buf, size_t n) {
    if (i < 0 || i >= e->n) { if (n) buf[0] = 0; return; }
    snprintf(buf, n, "%s.%s", e->keys[i]->section, e->keys[i]->key);
}

int editor_find(const Editor *e, const char *dotted) {
    char d[96];
    for (int i = 0; i < e->n; i++) {
        editor_dotted(e, i, d, sizeof d);
        if (!strcmp(d, dotted)) return i;
    }
    return -1;
}

void editor_begin(Editor *e) {
    if (e->n == 0) return;
    editor_current(e, e->sel, e->buf, sizeof e->buf);
    e->len = e->cur = (int)strlen(e->buf);
    e->typing = 1;
    e->msg[0] = 0;
    e->msg_error = 0;
}

int editor_validate(Editor *e, char *err, size_t errlen) {
    const ConfigKey *k = e->keys[e->sel];
    Config *tmp = malloc(sizeof *tmp);   /* Config is a few KB: keep it off small stacks */
    char why[256] = "";
    int rc = -1;
    if (!tmp) snprintf(why, sizeof why, "out of memory");
    else {
        *tmp = e->scratch;
        if (e->len == 0) {
            char range[96];
            config_describe_range(k, range, sizeof range);
            snprintf(why, sizeof why, "%s.%s: no value (allowed: %s)", k->section, k->key, range);
        } else if (config_set_value(tmp, k, e->buf, why, sizeof why) == 0 &&
                   config_finish(tmp, why, sizeof why) == 0) {
            rc = 0;
        }
        free(tmp);
    }
    if (rc != 0) {
        snprintf(e->msg, sizeof e->msg, "%s", why);
        e->msg_error = 1;
        if (err && errlen) snprintf(err, errlen, "%s", why);
    }
    return rc;
}

void editor_pending(const Editor *e, char *dotted, size_t dn, char *value, size_t vn) {
    editor_dotted(e, e->sel, dotted, dn);
    snprintf(value, vn, "%s", e->buf);
}

void editor_applied(Editor *e, int ok, const char *err) {
    if (!ok) {
        snprintf(e->msg, sizeof e->msg, "%s", err && *err ? err : "refused");
        e->msg_error = 1;
        return;
    }
    const ConfigKey *k = e->keys[e->sel];
    char old[EDITOR_VALUE_MAX], now[EDITOR_VALUE_MAX];
    config_get_value(&e->scratch, k, old, sizeof old);
    editor_set_current(e, k, e->buf);
    config_get_value(&e->scratch, k, now, sizeof now);
    snprintf(e->msg, sizeof e->msg, "%s.%s: %s -> %s at the next step", k->section, k->key, old, now);
    e->msg_error = 0;
    e->typing = 0;
}

static EditorResult list_key(Editor *e, int key) {
    switch (keymap_lookup(KC_EDITOR, key)) {
    case ACT_UP: if (e->sel > 0) e->sel--; break;
    case ACT_DOWN: if (e->sel < e->n - 1) e->sel++; break;
    case ACT_PAGE_UP: e->sel = e->sel >= 5 ? e->sel - 5 : 0; break;
    case ACT_PAGE_DOWN: e->sel = e->sel + 5 < e->n ? e->sel + 5 : e->n - 1; break;
    case ACT_TOP: e->sel = 0; break;
    case ACT_BOTTOM: e->sel = e->n - 1; break;
    case ACT_OPEN: editor_begin(e); break;
    case ACT_CANCEL: return EDITOR_CLOSE;
    case ACT_HELP: return EDITOR_HELP;
    default: return EDITOR_NOTHING;
    }
    if (e->sel < 0) e->sel = 0;
    return EDITOR_CHANGED;
}

EditorResult editor_key(Editor *e, int key) {
    if (!e->typing) return list_key(e, key);
    switch (keymap_lookup(KC_EDIT_VALUE, key)) {
    case ACT_APPLY: {
        char cur[EDITOR_VALUE_MAX];
        editor_current(e, e->sel, cur, sizeof cur);
        if (editor_validate(e, NULL, 0) != 0) return EDITOR_CHANGED;
        /* the same value: nothing to send (compare canonical forms: "1e-3" vs "0.001") */
        Config *tmp = malloc(sizeof *tmp);
        if (tmp) {
            char err[64], canon[EDITOR_VALUE_MAX];
            *tmp = e->scratch;
            config_set_value(tmp, e->keys[e->sel], e->buf, err, sizeof err);
            config_get_value(tmp, e->keys[e->sel], canon, sizeof canon);
            free(tmp);
            if (!strcmp(canon, cur)) {
                snprintf(e->msg, sizeof e->msg, "%s.%s unchanged", e->keys[e->sel]->section, e->keys[e->sel]->key);
                e->msg_error = 0;
                e->typing = 0;
                return EDITOR_CHANGED;
            }
        }
        return EDITOR_SUBMIT;
    }
    case ACT_CANCEL:
        e->typing = 0;
        e->msg[0] = 0;
        e->msg_error = 0;
        return EDITOR_CHANGED;
    case ACT_ERASE:
        if (e->cur > 0) {
            memmove(e->buf + e->cur - 1, e->buf + e->cur, (size_t)(e->len - e->cur + 1));
            e->cur--; e->len--;
        }
        return EDITOR_CHANGED;
    case ACT_CLEAR_LINE: e->buf[0] = 0; e->len = e->cur = 0; return EDITOR_CHANGED;
    case ACT_LEFT: if (e->cur > 0) e->cur--; return EDITOR_CHANGED;
    case ACT_RIGHT: if (e->cur < e->len) e->cur++; return EDITOR_CHANGED;
    default: break;
    }
    if (key >= 32 && key < 127 && e->len < EDITOR_VALUE_MAX - 1) {
        memmove(e->buf + e->cur + 1, e->buf + e->cur, (size_t)(e->len - e->cur + 1));
        e->buf[e->cur++] = (char)key;
        e->len++;
        if (e->msg_error) { e->msg[0] = 0; e->msg_error = 0; } /* typing again clears the refusal */
        return EDITOR_CHANGED;
    }
    return EDITOR_NOTHING;
}
