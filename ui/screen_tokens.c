/* screen_tokens.c - the transcript's per-token view: every completion token of the rollout shown (s->tx) drawn on
 * a background colour by its log-prob, entropy or importance ratio (token_view.h buckets, theme.h scales), tokens
 * told apart by underlining every other one, a legend naming the measure and its scale, and a summary line. The
 * tokens come from the run database (query_rollout_tokens), read on first need; they are decoded with the run's
 * own tokenizer, loaded from the run's stored config (its model.init checkpoint, or model.tokenizer for a random
 * model) and kept while rollouts of the same run are shown. */
#include "ui/studio_internal.h"
#include "core/checkpoint.h"
#include "core/config.h"
#include "core/episode.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void screen_tokens_free(Studio *s) {
    query_tokens_free(&s->tv);
    s->tv_for = 0;
    if (s->tv_tok_ok) tokenizer_free(&s->tv_tok);
    s->tv_tok_ok = 0;
    s->tv_tok_run = 0;
}

/* The tokenizer a run used, from its config text. Returns 0, or -1 with err naming what could not be read. */
static int run_tokenizer(const char *config_text, Tokenizer *tok, char *err, size_t errlen) {
    Config c;
    config_defaults(&c);
    if (!config_text || config_load_string(&c, config_text, "the run's stored config", err, errlen) != 0) {
        if (!config_text) snprintf(err, errlen, "the run has no stored config");
        return -1;
    }
    if (!c.model.init[0] || !strcmp(c.model.init, "random")) return episode_tokenizer(&c, tok, err, errlen);
    if (tokenizer_is_hf(c.model.init)) return tokenizer_load_hf(tok, c.model.init, err, errlen);
    ModelConfig mc;
    return checkpoint_read_config(c.model.init, &mc, tok, err, errlen);
}

/* Reads the shown rollout's tokens and its run's tokenizer when they are not the ones held. */
static void tokens_load(Studio *s) {
    const QueryRollout *r = &s->tx;
    if (s->tv_for == r->id) return;
    query_tokens_free(&s->tv);
    s->tv_for = r->id;
    s->tv_err[0] = 0;
    if (!s->br_open) {
        s->tv_have = -1;
        snprintf(s->tv_err, sizeof s->tv_err, "no run database open: no per-token data");
        return;
    }
    s->tv_have = query_rollout_tokens(s->br.q, r->id, &s->tv, s->tv_err, sizeof s->tv_err);
    if (s->tv_have != 1 || s->tv_tok_run == r->run_id) return;
    if (s->tv_tok_ok) tokenizer_free(&s->tv_tok);
    s->tv_tok_ok = 0;
    s->tv_tok_run = r->run_id;
    QueryRun run;
    int found = query_run(s->br.q, r->run_id, &run, s->tv_tok_err, sizeof s->tv_tok_err);
    if (found == 1) {
        s->tv_tok_ok = run_tokenizer(run.config_text, &s->tv_tok, s->tv_tok_err, sizeof s->tv_tok_err) == 0;
        query_run_free(&run);
    } else if (found == 0) {
        snprintf(s->tv_tok_err, sizeof s->tv_tok_err, "run #%lld is not in the database", (long long)r->run_id);
    }
}

static const float *measure_values(const QueryTokens *t, TokenMeasure m) {
    return m == TV_LOGPROB ? t->logprob : m == TV_ENTROPY ? t->entropy : t->ratio;
}

static attr_t bucket_attr(TokenMeasure m, int b) {
    if (b < 0) return theme_attr(TH_DIM);
    return theme_attr((ThemeRole)((m == TV_RATIO ? TH_RATIO0 : TH_HEAT0) + b));
}

/* "log-prob  >=-0.1 -0.1..-0.5 ..." with each bucket's label in its colour; or why there is nothing to show. */
static void draw_legend(Studio *s, WINDOW *win, int y, int x, int w, const float *v) {
    TokenMeasure m = (TokenMeasure)s->tv_measure;
    static const char *const what[TV_MEASURES] = {"log-prob", "entropy (nats)", "ratio (last update)"};
    wattrset(win, theme_attr(TH_LABEL) | A_BOLD);
    char lead[96];
    snprintf(lead, sizeof lead, "%s ", what[m]);
    put_clipped(win, y, x, w, lead);
    int col = (int)strlen(lead);
    if (!v) {
        wattrset(win, theme_attr(TH_DIM));
        const char *none = m == TV_RATIO ? "none stored (grpo.num_iterations 1: every ratio is 1)" : "none stored";
        put_clipped(win, y, x + col, w - col, none);
        col += (int)strlen(none);
    } else {
        for (int b = 0; b < TV_BUCKETS && col < w; b++) {
            char lab[24];
            snprintf(lab, sizeof lab, " %s ", token_view_bucket_label(m, b));
            wattrset(win, bucket_attr(m, b));
            put_clipped(win, y, x + col, w - col, lab);
            col += (int)strlen(lab) + 1;
        }
    }
    wattrset(win, theme_attr(TH_DIM));
    if (col + 24 < w) put_clipped(win, y, x + col + 1, w - col - 1, "(m: measure, t: text)");
    wattrset(win, A_NORMAL);
}

/* The summary under the tokens: count, mean, and the least sure token. */
static void draw_summary(WINDOW *win, int y, int x, int w, const QueryTokens *t, TokenMeasure m, const float *v) {
    char line[256];
    if (!v || t->n == 0) {
        snprintf(line, sizeof line, "%d tokens", t->n);
    } else {
        double sum = 0;
        int worst = 0;
        for (int i = 0; i < t->n; i++) {
            sum += v[i];
            int worse = m == TV_LOGPROB ? v[i] < v[worst] : m == TV_ENTROPY ? v[i] > v[worst]
                                                          : fabsf(logf(v[i])) > fabsf(logf(v[worst]));
            if (worse) worst = i;
        }
        snprintf(line, sizeof line, "%d tokens  mean %s %.3f  %s %.3f at token %d", t->n, token_view_measure_name(m),
                 sum / t->n, m == TV_RATIO ? "farthest from 1:" : m == TV_LOGPROB ? "lowest" : "highest",
                 (double)v[worst], worst);
    }
    wattrset(win, theme_attr(TH_LABEL));
    put_clipped(win, y, x, w, line);
    wattrset(win, A_NORMAL);
}

int screen_tokens_draw_in(Studio *s, WINDOW *win, int y, int x, int h, int w, int *scroll) {
    tokens_load(s);
    TokenMeasure m = (TokenMeasure)s->tv_measure;
    const QueryTokens *t = &s->tv;
    if (s->tv_have != 1 || !s->tv_tok_ok) {
        wattrset(win, theme_attr(TH_LABEL) | A_BOLD);
        put_clipped(win, y, x, w, "per-token view (t: back to the text)");
        wattrset(win, theme_attr(s->tv_have < 0 || s->tv_have == 1 ? TH_FAILED : TH_DIM));
        put_clipped(win, y + 2, x, w, s->tv_have < 0 ? s->tv_err : s->tv_have == 0
                    ? "no per-token data for this rollout (written before the run database kept tokens)"
                    : s->tv_tok_err);
        wattrset(win, A_NORMAL);
        return 0;
    }
    const float *v = measure_values(t, m);
    draw_legend(s, win, y, x, w, v);
    size_t cap = (size_t)t->n * (3 * (size_t)tokenizer_max_token_bytes(&s->tv_tok) + 3) + 16; /* a byte may show as 3 */
    char *text = malloc(cap);
    TokenPiece *pc = malloc(sizeof *pc * (size_t)(t->n ? t->n : 1));
    int *rows = NULL, nrows = 0;
    if (text && pc && token_view_pieces(&s->tv_tok, t->ids, t->n, s->utf8, text, cap, pc) == 0) {
        nrows = token_view_wrap(pc, t->n, w, NULL, 0);
        rows = malloc(sizeof *rows * (size_t)(nrows ? nrows : 1));
    }
    char prompt[512];
    snprintf(prompt, sizeof prompt, "prompt: %s", s->tx.prompt ? s->tx.prompt : "");
    wattrset(win, theme_attr(TH_DIM));
    put_clipped(win, y + 1, x, w, prompt);
    y++;
    int body = h - 4; /* legend, prompt, tokens, summary, reference answer (drawn by the caller) */
    if (rows) {
        token_view_wrap(pc, t->n, w, rows, nrows);
        int max = nrows - body > 0 ? nrows - body : 0;
        if (*scroll > max) *scroll = max;
        if (*scroll < 0) *scroll = 0;
        for (int r = 0; r < body && *scroll + r < nrows; r++) {
            int row = *scroll + r, end = row + 1 < nrows ? rows[row + 1] : t->n, col = 0;
            for (int i = rows[row]; i < end; i++) {
                int b = v ? token_view_bucket(m, v[i]) : 2;
                wattrset(win, bucket_attr(v ? m : TV_RATIO, b) | (i % 2 ? A_UNDERLINE : 0));
                char piece[256];
                snprintf(piece, sizeof piece, "%.*s", pc[i].len, text + pc[i].start);
                put_clipped(win, y + 1 + r, x + col, w - col, piece);
                col += pc[i].cols;
            }
        }
        wattrset(win, A_NORMAL);
    } else {
        wattrset(win, theme_attr(TH_FAILED));
        put_clipped(win, y + 1, x, w, "cannot decode the tokens (out of memory)");
    }
    draw_summary(win, y - 1 + h - 2, x, w, t, m, v);
    free(text);
    free(pc);
    free(rows);
    return nrows;
}
