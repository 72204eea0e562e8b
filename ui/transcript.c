/* transcript.c - byte roles and line wrapping for rollout text (see transcript.h). */
#include "ui/transcript.h"
#include "core/reward.h"
#include <ctype.h>
#include <string.h>
#include <utf8proc.h>

static int starts_with(const char *s, size_t avail, const char *tag) {
    size_t n = strlen(tag);
    return avail >= n && memcmp(s, tag, n) == 0;
}

static int is_letter(unsigned char c) { return isalpha(c); }

/* Case-insensitive match of word at text[i] on word boundaries; returns its length or 0. */
static size_t word_at(const char *text, size_t len, size_t i, const char *word, size_t wl) {
    if (wl == 0 || i + wl > len) return 0;
    if (i > 0 && is_letter((unsigned char)text[i - 1])) return 0;
    if (i + wl < len && is_letter((unsigned char)text[i + wl])) return 0;
    for (size_t k = 0; k < wl; k++)
        if (tolower((unsigned char)text[i + k]) != tolower((unsigned char)word[k])) return 0;
    return wl;
}

void transcript_roles(const char *text, size_t len, size_t prompt_len, const char *search, unsigned char *roles) {
    static const char *const tags[] = {"<think>", "</think>", "<answer>", "</answer>", "<bos>", "<eos>", "<pad>"};
    /* outside, in thinking, or in the answer; a completion given without its prompt starts inside the thinking */
    int state = prompt_len == 0 ? TR_THINK : TR_OTHER;
    size_t i = 0;
    while (i < len) {
        size_t tl = 0;
        for (size_t t = 0; t < sizeof tags / sizeof tags[0] && !tl; t++)
            if (starts_with(text + i, len - i, tags[t])) {
                tl = strlen(tags[t]);
                if (t == 0) state = TR_THINK;
                else if (t == 2) state = TR_ANSWER;
                else if (t == 1 || t == 3) state = TR_OTHER;
            }
        if (tl) {
            memset(roles + i, i < prompt_len ? TR_PROMPT : TR_TAG, tl);
            i += tl;
            continue;
        }
        if (i < prompt_len) { roles[i++] = TR_PROMPT; continue; }
        if (state == TR_THINK) {
            size_t wl = 0;
            for (int w = 0; REWARD_REFLECTION_WORDS[w] && !wl; w++)
                wl = word_at(text, len, i, REWARD_REFLECTION_WORDS[w], strlen(REWARD_REFLECTION_WORDS[w]));
            if (wl) {
                memset(roles + i, TR_REFLECT, wl);
                i += wl;
                continue;
            }
        }
        roles[i++] = (unsigned char)state;
    }
    if (!search || !*search) return;
    /* search words: substring matches, case-insensitive, over the completion */
    const char *p = search;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '"') p++;
        const char *q = p;
        while (*q && *q != ' ' && *q != '\t' && *q != '"') q++;
        size_t wl = (size_t)(q - p);
        if (wl && p[wl - 1] == '*') wl--;   /* prefix query */
        if (wl)
            for (size_t j = prompt_len; j + wl <= len; j++) {
                size_t k = 0;
                while (k < wl && tolower((unsigned char)text[j + k]) == tolower((unsigned char)p[k])) k++;
                if (k == wl) memset(roles + j, TR_MATCH, wl);
            }
        p = q;
    }
}

int transcript_wrap(const char *text, size_t len, int width, TextLine *lines, int max) {
    if (width < 1) width = 1;
    const size_t none = (size_t)-1;
    int n = 0;
    size_t i = 0;
    while (i < len) {
        size_t start = i, last_space = none;
        int cols = 0;
        while (i < len && text[i] != '\n') {
            /* one character: its bytes and the columns a terminal gives it (CJK and most emoji take two,
             * combining marks none); a byte that starts no valid character takes one */
            utf8proc_int32_t cp;
            utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(len - i), &cp);
            int w = k > 0 ? utf8proc_charwidth(cp) : 1;
            if (k <= 0) k = 1;
            if (w > 0 && cols + w > width && cols > 0) break;
            cols += w;
            if (text[i] == ' ') last_space = i;
            i += (size_t)k;
        }
        size_t end = i;
        if (i < len && text[i] != '\n') {     /* full: break at a space when there is one */
            if (text[i] == ' ') i++;
            else if (last_space != none && last_space > start) { end = last_space; i = last_space + 1; }
        }
        if (lines && n < max) { lines[n].start = (int)start; lines[n].len = (int)(end - start); }
        n++;
        if (i < len && text[i] == '\n') {
            i++;
            if (i == len) {                   /* a final newline opens an empty line */
                if (lines && n < max) { lines[n].start = (int)i; lines[n].len = 0; }
                n++;
            }
        }
    }
    return n;
}
