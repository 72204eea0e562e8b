/* reward.c - the rule-based rewards and the "aha" flags (see reward.h for the completion layout and each rule).
 * Everything here reads the completion text only; answers are graded by the task's checker, which never executes
 * the text. */
#include "core/reward.h"
#include "core/record.h"
#include "core/tokenizer.h"
#include <assert.h>
#include <ctype.h>
#include <string.h>

const char *const REWARD_REFLECTION_WORDS[] = {
    "wait", "recheck", "re-check", "rethink", "reevaluate", "re-evaluate", "reexamine", "re-examine",
    "reconsider", "double-check", "double check", "check again", "think again", "try again", "recalculate",
    "recompute", "mistake", NULL,
};

static const char *find_in(const char *s, size_t n, const char *needle) {
    return memmem(s, n, needle, strlen(needle));
}

/* 1 when s[0..n) contains the text of any special token. */
static int has_special(const char *s, size_t n) {
    for (int i = 0; i < TOK_N_SPECIAL; i++)
        if (find_in(s, n, tokenizer_special_text(i))) return 1;
    return 0;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static int is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

int reward_extract_answer(const char *completion, char *out, size_t n) {
    const char *open = NULL;
    for (const char *p = strstr(completion, "<answer>"); p; p = strstr(p + 1, "<answer>")) open = p;
    if (!open) {
        if (n) out[0] = '\0';
        return -1;
    }
    const char *b = open + strlen("<answer>");
    const char *e = strstr(b, "</answer>");
    size_t k = e ? (size_t)(e - b) : strlen(b);
    if (n) {
        if (k >= n) k = n - 1;
        memcpy(out, b, k);
        out[k] = '\0';
    }
    return 0;
}

void reward_thinking_span(const char *completion, const char **start, size_t *len) {
    const char *end = strstr(completion, "</think>");
    if (!end) end = completion + strlen(completion);
    const char *b = completion;
    const char *open = find_in(completion, (size_t)(end - completion), "<think>");
    if (open) b = open + strlen("<think>");
    *start = b;
    *len = (size_t)(end - b);
}

float reward_accuracy(const Task *t, const Problem *p, const char *completion) {
    char ans[512];
    if (reward_extract_answer(completion, ans, sizeof ans) != 0) return 0.0f;
    return task_check(t, p, ans) ? 1.0f : 0.0f;
}

float reward_format(const char *completion) {
    const char *end_think = strstr(completion, "</think>");
    if (!end_think || has_special(completion, (size_t)(end_think - completion))) return 0.0f;
    const char *p = end_think + strlen("</think>");
    while (is_space(*p)) p++;
    if (strncmp(p, "<answer>", strlen("<answer>")) != 0) return 0.0f;
    p += strlen("<answer>");
    const char *close = strstr(p, "</answer>");
    if (!close || has_special(p, (size_t)(close - p))) return 0.0f;
    int nonblank = 0;
    for (const char *q = p; q < close; q++) nonblank |= !is_space(*q);
    if (!nonblank) return 0.0f;
    for (const char *q = close + strlen("</answer>"); *q; q++)
        if (!is_space(*q)) return 0.0f;
    return 1.0f;
}

float reward_language(const Task *t, const char *completion) {
    const char *s;
    size_t n;
    reward_thinking_span(completion, &s, &n);
    if (n == 0) return 1.0f;
    const char *alpha = task_alphabet(t);
    size_t in = 0;
    for (size_t i = 0; i < n; i++) in += s[i] != '\0' && strchr(alpha, s[i]) != NULL;
    return (float)in / (float)n;
}

/* Length of the match of pattern at s (bounded by end), where a space in the pattern matches a run of whitespace
 * and letters match either case; 0 when it does not match. */
static size_t match_at(const char *s, const char *end, const char *pat) {
    const char *q = s;
    for (; *pat; pat++) {
        if (*pat == ' ') {
            if (q >= end || !is_space(*q)) return 0;
            while (q < end && is_space(*q)) q++;
        } else {
            if (q >= end || tolower((unsigned char)*q) != *pat) return 0;
            q++;
        }
    }
    return (size_t)(q - s);
}

int reward_has_reflection(const char *text, size_t len) {
    const char *end = text + len;
    for (const char *s = text; s < end; s++) {
        if (s > text && is_letter(s[-1])) continue;
        for (int w = 0; REWARD_REFLECTION_WORDS[w]; w++) {
            size_t k = match_at(s, end, REWARD_REFLECTION_WORDS[w]);
            if (k && (s + k >= end || !is_letter(s[k]))) return 1;
        }
    }
    return 0;
}

/* The verdict a thinking line gives on the candidate before it: its last word (trailing punctuation dropped). */
enum { VERDICT_NONE, VERDICT_OK, VERDICT_NO };
static int line_verdict(const char *b, const char *e) {
    while (e > b && !is_letter(e[-1])) e--;
    const char *w = e;
    while (w > b && is_letter(w[-1])) w--;
    if (w > b && !is_space(w[-1])) return VERDICT_NONE; /* "x=no" or "24no": not a word of its own */
    static const char *const ok[] = {"ok", "correct", "right", "yes"}, *const no[] = {"no", "wrong", "incorrect"};
    size_t n = (size_t)(e - w);
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (n == strlen(ok[i]) && match_at(w, e, ok[i]) == n) return VERDICT_OK;
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (n == strlen(no[i]) && match_at(w, e, no[i]) == n) return VERDICT_NO;
    return VERDICT_NONE;
}

/* text[0..n) without surrounding blanks into out (size m, cut to fit). */
static void copy_trimmed(const char *text, size_t n, char *out, size_t m) {
    while (n && is_space(*text)) text++, n--;
    while (n && is_space(text[n - 1])) n--;
    if (n >= m) n = m - 1;
    memcpy(out, text, n);
    out[n] = '\0';
}

unsigned reward_flags(const Task *t, const Problem *p, const char *completion, int correct) {
    const char *s;
    size_t n;
    reward_thinking_span(completion, &s, &n);
    char cand[256] = "", pending[256] = "";
    int have_cand = 0, verdict = VERDICT_NONE, waiting = 0, reflection = 0, rejected_wrong = 0;
    const char *end = s + n;
    for (const char *line = s; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) eol = end;
        const char *q = line;
        while (q < eol && (*q == ' ' || *q == '\t')) q++;
        if (q < eol && *q == '=') { /* a candidate answer */
            char c[256];
            copy_trimmed(q + 1, (size_t)(eol - q - 1), c, sizeof c);
            if (c[0]) {
                if (waiting && strcmp(c, pending) != 0) reflection = 1; /* reflected, then changed the answer */
                waiting = 0;
                memcpy(cand, c, sizeof cand);
                have_cand = 1;
                verdict = VERDICT_NONE;
            }
        } else if (have_cand) {
            int v = line_verdict(line, eol);
            if (v != VERDICT_NONE) verdict = v;
            if (v == VERDICT_NO && !task_check(t, p, cand)) rejected_wrong = 1;
            if (reward_has_reflection(line, (size_t)(eol - line))) {
                if (verdict == VERDICT_NO) reflection = 1; /* reflecting on a candidate found wrong */
                else if (!waiting) {                      /* it counts if the answer then changes */
                    waiting = 1;
                    memcpy(pending, cand, sizeof pending);
                }
            }
        }
        line = eol + 1;
    }
    if (waiting) {
        char ans[256], fin[256];
        if (reward_extract_answer(completion, ans, sizeof ans) == 0) {
            copy_trimmed(ans, strlen(ans), fin, sizeof fin);
            if (fin[0] && strcmp(fin, pending) != 0) reflection = 1;
        }
    }
    return (reflection ? (unsigned)ROLLOUT_FLAG_REFLECTION : 0u) |
           (correct && rejected_wrong ? (unsigned)ROLLOUT_FLAG_SELF_CORRECTION : 0u);
}

void reward_score(const Task *t, const Problem *p, const char *completion, const RewardWeights *w, RewardResult *out) {
    assert(w);
    out->accuracy = reward_accuracy(t, p, completion);
    out->format = reward_format(completion);
    out->language = reward_language(t, completion);
    out->correct = out->accuracy > 0.5f;
    out->flags = reward_flags(t, p, completion, out->correct);
    out->total = w->accuracy * out->accuracy + w->format * out->format + w->language * out->language;
}
