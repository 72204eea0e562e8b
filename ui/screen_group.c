/* screen_group.c - the Group view: the G answers to one prompt at one step, with their rewards and advantages -
 * where GRPO's signal is visible. A table of the G samples (the selected one highlighted), then the answers:
 * side by side in columns when the terminal is wide enough, else the selected one below the table. */
#include "ui/studio_internal.h"
#include "ui/transcript.h"
#include "core/sampler.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void screen_group_draw(Studio *s, unsigned d) {
    WINDOW *b = studio_full_body(s, d);
    if (!b) return;
    const QueryRolloutList *g = &s->group;
    int H = getmaxy(b) - 2, W = getmaxx(b) - 2;
    if (g->n == 0) {
        theme_box(b, "group");
        put_clipped(b, 2, 2, W - 2, "no group: select a rollout in the list (2) and press g");
        wnoutrefresh(b);
        return;
    }
    const QueryRollout *first = &g->items[0];
    double mean = 0;
    int n_ok = 0;
    for (int i = 0; i < g->n; i++) { mean += g->items[i].reward; n_ok += g->items[i].correct; }
    mean /= g->n;
    char title[200];
    snprintf(title, sizeof title, "group: step %d prompt %d  G=%d  mean reward %.3f  %d/%d correct%s", first->step,
             first->prompt_index, g->n, mean, n_ok, g->n,
             first->flags & ROLLOUT_FLAG_DROPPED ? "  dropped (equal rewards: not learned from)" : "");
    theme_box(b, title);
    /* the prompt (last line of it) and the reference answer */
    int y = 1;
    char line[600];
    const char *prompt = first->prompt ? first->prompt : "";
    size_t pl = strlen(prompt);
    while (pl > 0 && (prompt[pl - 1] == '\n' || prompt[pl - 1] == ' ')) pl--;
    snprintf(line, sizeof line, "prompt: %.*s", (int)pl, prompt);
    for (char *p = line; *p; p++) if (*p == '\n') *p = ' ';
    wattrset(b, theme_attr(TH_DIM));
    put_clipped(b, y++, 1, W, line);
    snprintf(line, sizeof line, "reference answer: %s", first->answer ? first->answer : "");
    wattrset(b, theme_attr(TH_LABEL) | A_BOLD);
    put_clipped(b, y++, 1, W, line);
    /* the table: one row per sample */
    wattrset(b, theme_attr(TH_LABEL) | A_BOLD);
    snprintf(line, sizeof line, "%4s %8s %8s  %-3s%5s %s  %s", "#", "reward", "adv", "ok", "len", "fl.",
             "answer / completion");
    put_clipped(b, y++, 1, W, line);
    int table_h = g->n;
    int room = H - 3 - 4;   /* leave a few lines for the answers */
    if (table_h > room) table_h = room > 1 ? room : 1;
    int top = s->group_sel - table_h + 1 > 0 ? s->group_sel - table_h + 1 : 0;
    for (int i = 0; i < table_h && top + i < g->n; i++) {
        int k = top + i;
        const QueryRollout *r = &g->items[k];
        char ans[128] = "";
        const char *a = r->completion ? strstr(r->completion, "<answer>") : NULL;
        if (a) {
            a += 8;
            const char *e = strstr(a, "</answer>");
            snprintf(ans, sizeof ans, "<answer>%.*s", (int)(e ? e - a : (long)strlen(a)), a);
        }
        char flags[4] = "---";
        if (r->flags & ROLLOUT_FLAG_REFLECTION) flags[0] = 'R';
        if (r->flags & ROLLOUT_FLAG_SELF_CORRECTION) flags[1] = 'S';
        if (r->finish == FINISH_LENGTH) flags[2] = 'T';
        char words[96];
        snprintf(words, sizeof words, "%s", r->completion ? r->completion : "");
        for (char *p = words; *p; p++) if ((unsigned char)*p < 32) *p = ' ';
        snprintf(line, sizeof line, "%4d %8.3f %+8.3f  %s  %5d %s  %s  %s", r->sample_index, r->reward,
                 r->advantage, r->correct ? theme_glyph_ok() : theme_glyph_bad(), r->length, flags,
                 ans[0] ? ans : "(no answer)", words);
        int sel = k == s->group_sel;
        wattrset(b, sel ? theme_attr(TH_SELECTED) : theme_attr(TH_NORMAL));
        if (sel) mvwhline(b, y + i, 1, ' ', W);
        put_clipped(b, y + i, 1, W, line);
        if (!sel) {   /* advantage sign in colour: who gets pushed up, who down */
            char adv[16];
            snprintf(adv, sizeof adv, "%+8.3f", r->advantage);
            wattrset(b, theme_attr(r->advantage > 0 ? TH_GOOD : r->advantage < 0 ? TH_BAD : TH_NORMAL));
            put_clipped(b, y + i, 1 + 14, 8, adv);
        }
    }
    y += table_h;
    wattrset(b, theme_attr(TH_BORDER));
    mvwhline(b, y++, 1, s->utf8 ? ACS_HLINE : '-', W);
    wattrset(b, A_NORMAL);
    /* the answers: columns of at least 36 characters, starting from the selected sample */
    int area_h = H - (y - 1);
    if (area_h < 1) { wnoutrefresh(b); return; }
    int ncol = W / 36;
    if (ncol < 1) ncol = 1;
    if (ncol > g->n) ncol = g->n;
    if (ncol > 4) ncol = 4;
    int colw = (W - (ncol - 1)) / ncol;
    int start = s->group_sel;
    if (start + ncol > g->n) start = g->n - ncol;
    if (start < 0) start = 0;
    for (int c = 0; c < ncol; c++) {
        const QueryRollout *r = &g->items[start + c];
        int x = 1 + c * (colw + 1);
        char head[96];
        snprintf(head, sizeof head, "#%d  r %.2f  adv %+.2f %s", r->sample_index, r->reward, r->advantage,
                 r->correct ? theme_glyph_ok() : theme_glyph_bad());
        wattrset(b, theme_attr(r->correct ? TH_GOOD : TH_BAD) | (start + c == s->group_sel ? A_REVERSE : 0));
        put_clipped(b, y, x, colw, head);
        wattrset(b, A_NORMAL);
        const char *t = r->completion ? r->completion : "";
        int scroll = s->group_scroll;
        int total = transcript_wrap(t, strlen(t), colw, NULL, 0);
        if (scroll > total - (area_h - 1)) scroll = total - (area_h - 1);
        if (scroll < 0) scroll = 0;
        draw_text(b, y + 1, x, area_h - 1, colw, t, strlen(t), 0, NULL, scroll);
        if (c > 0) {
            wattrset(b, theme_attr(TH_BORDER));
            mvwvline(b, y, x - 1, s->utf8 ? ACS_VLINE : '|', area_h);
            wattrset(b, A_NORMAL);
        }
    }
    wnoutrefresh(b);
}
