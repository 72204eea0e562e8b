/* screen_rollouts.c - the Rollouts screen (filter line, the list, the transcript pane on big terminals) and the
 * full-screen transcript of one rollout. The data comes from the Browser (ui/browser.h). */
#include "ui/studio_internal.h"
#include "ui/transcript.h"
#include "core/sampler.h"
#include "core/search_stats.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copies at most `cols` columns of src (UTF-8) into dst, padded with blanks to exactly cols; a cut ends in an
 * ellipsis ("~" without UTF-8). Returns the bytes written. */
static size_t fit_cols(char *dst, size_t n, const char *src, int cols, int utf8) {
    size_t k = 0, len = strlen(src);
    int c = 0, total = 0;
    for (size_t i = 0; i < len; i++) total += ((unsigned char)src[i] & 0xC0) != 0x80;
    int keep = total <= cols ? cols : cols - 1;
    for (size_t i = 0; i < len && k + 4 < n; i++) {
        int starts = ((unsigned char)src[i] & 0xC0) != 0x80;
        if (starts && c == keep) break;
        dst[k++] = src[i];
        c += starts;
    }
    if (total > cols && cols > 0) {
        const char *more = utf8 ? "\xe2\x80\xa6" : "~";
        for (const char *m = more; *m && k + 1 < n; m++) dst[k++] = *m;
        c++;
    }
    for (; c < cols && k + 1 < n; c++) dst[k++] = ' ';
    dst[k] = 0;
    return k;
}

/* How wide the question column is in a list `width` columns wide (0: none); ROW_PREFIX columns come before it. */
enum { ROW_PREFIX = 37 };
static int question_cols(int width) {
    int rest = width - ROW_PREFIX;
    if (rest >= 60) return 28;
    if (rest >= 36) return rest / 3;
    if (rest >= 24) return 10;
    return 0;
}

void format_rollout_row(const QueryRollout *r, const char *question, char *buf, size_t n, int width, int utf8) {
    char flags[4] = "---";
    if (r->flags & ROLLOUT_FLAG_REFLECTION) flags[0] = 'R';
    if (r->flags & ROLLOUT_FLAG_SELF_CORRECTION) flags[1] = 'S';
    if (r->finish == FINISH_LENGTH) flags[2] = 'T';
    char words[256];
    size_t k = 0;
    for (const char *p = r->completion ? r->completion : ""; *p && k < sizeof words - 1; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\n' || c == '\t' || c == '\r') c = ' ';
        if (c < 32) c = '?';
        if (c == ' ' && k > 0 && words[k - 1] == ' ') continue;
        words[k++] = (char)c;
    }
    words[k] = 0;
    char q[256] = "";
    int qw = question ? question_cols(width) : 0;
    if (qw > 0) {
        fit_cols(q, sizeof q - 2, question, qw, utf8);
        strcat(q, "  ");
    }
    snprintf(buf, n, "%6d %3d/%-3d %6.2f  %s  %4d %s  %s%s", r->step, r->prompt_index, r->sample_index, r->reward,
             r->correct ? (utf8 ? "\xe2\x9c\x93" : "+") : (utf8 ? "\xe2\x9c\x97" : "x"), r->length, flags, q, words);
}

/* Marks the matches of the search's words in a list row already drawn at (y, x): each word, case-insensitive,
 * from column `from` on (the question and the completion). */
static void highlight_row(WINDOW *w, int y, int x, int width, const char *row, int from, const char *search) {
    if (!search || !*search) return;
    char words[256];
    snprintf(words, sizeof words, "%s", search);
    for (char *save = NULL, *tok = strtok_r(words, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        while (*tok == '"' || *tok == '(' || *tok == '^') tok++;
        size_t tl = strlen(tok);
        while (tl && (tok[tl - 1] == '"' || tok[tl - 1] == '*' || tok[tl - 1] == ')')) tok[--tl] = 0;
        if (!tl || !strcmp(tok, "AND") || !strcmp(tok, "OR") || !strcmp(tok, "NOT") || !strncmp(tok, "NEAR", 4))
            continue;
        int col = 0;
        for (const char *p = row; *p; p++) {
            if (((unsigned char)*p & 0xC0) == 0x80) continue;   /* a continuation byte takes no column */
            if (col >= from && !strncasecmp(p, tok, tl)) {
                int cols = 0;
                for (size_t k = 0; k < tl; k++) cols += ((unsigned char)p[k] & 0xC0) != 0x80;
                if (col + cols > width) cols = width - col;
                if (cols > 0) {
                    char part[256];
                    snprintf(part, sizeof part, "%.*s", (int)tl, p);
                    wattrset(w, theme_attr(TH_MATCH));
                    put_clipped(w, y, x + col, cols, part);
                }
            }
            col++;
        }
    }
    wattrset(w, A_NORMAL);
}

void format_rollout_header(const QueryRollout *r, char *buf, size_t n) {
    const char *fin = r->finish == FINISH_EOS ? "eos" : r->finish == FINISH_LENGTH ? "truncated" : "aborted";
    const int att = r->completion ? search_count_attempts(r->completion) : 0;
    char atts[32] = "";
    if (att) snprintf(atts, sizeof atts, "  %d attempt%s", att, att == 1 ? "" : "s");
    snprintf(buf, n, "step %d  prompt %d  sample %d  reward %.3f (acc %.2g fmt %.2g lang %.2g)  adv %+.3f  len %d %s"
                     "  %s%s%s%s",
             r->step, r->prompt_index, r->sample_index, r->reward, r->r_accuracy, r->r_format, r->r_language,
             r->advantage, r->length, fin, r->correct ? "correct" : "wrong", atts,
             (r->flags & ROLLOUT_FLAG_REFLECTION) ? "  reflection" : "",
             (r->flags & ROLLOUT_FLAG_SELF_CORRECTION) ? "  self-correction" : "");
}

/* The prompt and the completion as one text with the prompt's length, for draw_text. malloc'd. */
static char *joined(const QueryRollout *r, size_t *len, size_t *prompt_len) {
    const char *p = r->prompt ? r->prompt : "", *c = r->completion ? r->completion : "";
    size_t pl = strlen(p), cl = strlen(c);
    char *t = malloc(pl + cl + 1);
    if (!t) return NULL;
    memcpy(t, p, pl);
    memcpy(t + pl, c, cl + 1);
    *len = pl + cl;
    *prompt_len = pl;
    return t;
}

/* A transcript inside the rectangle (y, x, h, w) of win: header, the text (or with tokens, the per-token view:
 * screen_tokens.c), the reference answer. Returns the wrapped line count of the text (for scroll limits). */
static int draw_transcript_in(Studio *s, WINDOW *win, int y, int x, int h, int w, const QueryRollout *r, int *scroll,
                              int tokens) {
    char head[512];
    format_rollout_header(r, head, sizeof head);
    wattrset(win, theme_attr(r->correct ? TH_GOOD : TH_BAD));
    TextLine hl[4];
    int nh = transcript_wrap(head, strlen(head), w, hl, 4);
    if (nh > 2) nh = 2;
    for (int i = 0; i < nh; i++) {
        char line[512];
        snprintf(line, sizeof line, "%.*s", hl[i].len, head + hl[i].start);
        put_clipped(win, y + i, x, w, line);
    }
    char ans[300];
    snprintf(ans, sizeof ans, "reference answer: %s", r->answer ? r->answer : "");
    wattrset(win, theme_attr(TH_LABEL) | A_BOLD);
    put_clipped(win, y + h - 1, x, w, ans);
    wattrset(win, A_NORMAL);
    if (tokens) return screen_tokens_draw_in(s, win, y + nh, x, h - nh, w, scroll);
    size_t len, pl;
    char *t = joined(r, &len, &pl);
    if (!t) return 0;
    int th = h - nh - 2;
    int total = transcript_wrap(t, len, w, NULL, 0);
    int max = total - th > 0 ? total - th : 0;
    if (*scroll > max) *scroll = max;
    if (*scroll < 0) *scroll = 0;
    draw_text(win, y + nh + 1, x, th, w, t, len, pl, s->br_open ? s->br.f.search : NULL, *scroll);
    free(t);
    return total;
}

static void draw_filter_line(Studio *s, WINDOW *w) {
    int W = getmaxx(w);
    werase(w);
    if (s->prompt) {
        const char *lead = s->prompt == '/' ? "search: " : s->prompt == ':' ? "jump to step: " : "filter: ";
        wattrset(w, theme_attr(TH_TITLE));
        put_clipped(w, 0, 0, W, lead);
        int x = (int)strlen(lead);
        wattrset(w, theme_attr(TH_VALUE));
        put_clipped(w, 0, x, W - x, s->prompt_buf);
        if (x + s->prompt_cur < W) {
            wattrset(w, A_REVERSE);
            mvwaddch(w, 0, x + s->prompt_cur,
                     s->prompt_cur < s->prompt_len ? (chtype)(unsigned char)s->prompt_buf[s->prompt_cur] : ' ');
        }
        if (s->prompt == 'f' && x + s->prompt_len + 4 < W) {
            wattrset(w, theme_attr(TH_DIM));
            put_clipped(w, 0, x + s->prompt_len + 2, W - x - s->prompt_len - 2,
                        "step=10-50 reward>=0.5 correct wrong aha selfcorrect truncated len<=N prompt=N");
        }
        wattrset(w, A_NORMAL);
        wnoutrefresh(w);
        return;
    }
    char desc[400], line[512];
    browser_describe(&s->br, desc, sizeof desc);
    /* a live run: say whether new rows are followed or the list holds still under the cursor (browser_reload) */
    const char *live = "";
    if (s->t && !s->worker_done)
        live = s->br.frozen ? "  | FROZEN: the list holds still (F follows)"
             : s->br.at_start && s->br.cursor == 0 ? "  | FOLLOWING new rows (F freezes)"
             : "  | held still under the cursor (F / Home: follow)";
    if (s->br.count >= 0)
        snprintf(line, sizeof line, " %s  %lld rollout%s%s", desc, (long long)s->br.count, s->br.count == 1 ? "" : "s",
                 live);
    else snprintf(line, sizeof line, " %s%s", desc, live);
    wattrset(w, theme_attr(TH_TITLE));
    put_clipped(w, 0, 0, W, line);
    wattrset(w, A_NORMAL);
    wnoutrefresh(w);
}

void screen_rollouts_draw(Studio *s, unsigned d) {
    RolloutsLayout L;
    layout_rollouts(s->rows, s->cols, &L);
    WINDOW *w;
    if ((w = studio_win(s, W_ROLL0 + RP_STATUS, L.r[RP_STATUS])) && (d & (D_STATUS | D_BODY))) {
        studio_status_line(s, w);
    }
    if ((w = studio_win(s, W_ROLL0 + RP_HINTS, L.r[RP_HINTS])) && (d & (D_HINTS | D_BODY)))
        studio_hints_line(s, w, studio_context(s));
    if (!(d & (D_BODY | D_STATUS | D_HINTS))) return;
    WINDOW *list = studio_win(s, W_ROLL0 + RP_LIST, L.r[RP_LIST]);
    if (!list) return;
    if (!s->br_open) {
        werase(list);
        theme_box(list, "rollouts");
        wattrset(list, theme_attr(TH_FAILED));
        put_clipped(list, 2, 2, getmaxx(list) - 4, s->br_err[0] ? s->br_err : "no database");
        wattrset(list, A_NORMAL);
        wnoutrefresh(list);
        if ((w = studio_win(s, W_ROLL0 + RP_FILTER, L.r[RP_FILTER]))) { werase(w); wnoutrefresh(w); }
        return;
    }
    /* the list: a header row, then one row per rollout */
    int lh = getmaxy(list) - 3, lw = getmaxx(list) - 2;
    if (lh < 1) lh = 1;
    if (s->br.height != lh) browser_set_height(&s->br, lh);
    if ((w = studio_win(s, W_ROLL0 + RP_FILTER, L.r[RP_FILTER]))) draw_filter_line(s, w);
    werase(list);
    char title[160];
    if (s->br.run_id > 0) snprintf(title, sizeof title, "rollouts of run #%lld %s", (long long)s->br.run_id, s->br.run_name);
    else snprintf(title, sizeof title, "rollouts");
    theme_box(list, title);
    wattrset(list, theme_attr(TH_LABEL) | A_BOLD);
    char head[200], qhead[64] = "";
    int qw = question_cols(lw);
    if (qw > 0) {
        fit_cols(qhead, sizeof qhead - 2, "question", qw, s->utf8);
        strcat(qhead, "  ");
    }
    snprintf(head, sizeof head, "%6s %7s %6s  %-3s%4s %s  %s%s", "step", "pr/smp", "reward", "ok", "len", "fl.", qhead,
             lw >= 110 + qw ? "completion   (fl.: R reflection, S self-correction, T truncated)" : "completion");
    put_clipped(list, 1, 1, lw, head);
    wattrset(list, A_NORMAL);
    if (s->br.rows.n == 0) {
        wattrset(list, theme_attr(TH_DIM));
        put_clipped(list, 3, 3, lw - 2, s->br.err[0] ? s->br.err :
                    s->br.run_id ? "no rollouts match (x clears the filters)" : "no rollouts yet");
        wattrset(list, A_NORMAL);
    }
    for (int i = 0; i < s->br.rows.n && i < lh; i++) {
        const QueryRollout *r = &s->br.rows.items[i];
        char row[900], question[256];
        browser_question(r->prompt, s->br.prompt_template, question, sizeof question);
        format_rollout_row(r, question, row, sizeof row, lw, s->utf8);
        int sel = i == s->br.cursor;
        wattrset(list, sel ? theme_attr(TH_SELECTED) : theme_attr(r->correct ? TH_NORMAL : TH_DIM));
        if (sel) mvwhline(list, 2 + i, 1, ' ', lw);
        put_clipped(list, 2 + i, 1, lw, row);
        highlight_row(list, 2 + i, 1, lw, row, ROW_PREFIX - 1, s->br.f.search);
        if (!sel) {   /* the ok column in colour */
            wattrset(list, theme_attr(r->correct ? TH_GOOD : TH_BAD));
            put_clipped(list, 2 + i, 1 + 23, 1, r->correct ? (s->utf8 ? "\xe2\x9c\x93" : "+")
                                                           : (s->utf8 ? "\xe2\x9c\x97" : "x"));
        }
    }
    wattrset(list, A_NORMAL);
    wnoutrefresh(list);
    WINDOW *det = studio_win(s, W_ROLL0 + RP_DETAIL, L.r[RP_DETAIL]);
    if (det) {
        werase(det);
        theme_box(det, "transcript (Enter: full screen, P: $PAGER)");
        const QueryRollout *r = browser_selected(&s->br);
        if (r) {
            int scroll = 0;
            draw_transcript_in(s, det, 1, 1, getmaxy(det) - 2, getmaxx(det) - 2, r, &scroll, 0);
        }
        wnoutrefresh(det);
    }
}

void screen_transcript_draw(Studio *s, unsigned d) {
    WINDOW *b = studio_full_body(s, d);
    if (!b) return;
    theme_box(b, s->tv_on ? "transcript: per-token view" : "transcript");
    if (s->tx_valid)
        draw_transcript_in(s, b, 1, 1, getmaxy(b) - 2, getmaxx(b) - 2, &s->tx, &s->tx_scroll, s->tv_on);
    wnoutrefresh(b);
}
