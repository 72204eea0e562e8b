/* transcript.h - a rollout's text, classified and wrapped for display. Pure: tests/test_transcript.c.
 *
 * transcript_roles gives every byte of prompt + completion a role: the prompt, thinking, answer, a special tag, a
 * reflection word inside the thinking (REWARD_REFLECTION_WORDS, matched as core/reward.c matches them), or a search
 * match. The think / answer state runs through the prompt, because the template ends by opening <think> and the
 * completion starts inside it. transcript_wrap cuts the text into lines of at most `width` columns at newlines and
 * spaces (UTF-8 continuation bytes take no column). */
#ifndef GRPO_UI_TRANSCRIPT_H
#define GRPO_UI_TRANSCRIPT_H
#include <stddef.h>

typedef enum {
    TR_PROMPT = 0, TR_OTHER, TR_THINK, TR_ANSWER, TR_TAG, TR_REFLECT, TR_MATCH
} TextRole;

/* roles[i] for text[i], i < len. The first prompt_len bytes are the prompt. search: words separated by blanks,
 * each marked case-insensitively after the prompt (NULL or "": none). */
void transcript_roles(const char *text, size_t len, size_t prompt_len, const char *search, unsigned char *roles);

typedef struct { int start, len; } TextLine;   /* a byte range of the text, without its newline */

/* Wraps text[0..len) into lines; writes at most max (lines may be NULL to count). Returns the number of lines. */
int transcript_wrap(const char *text, size_t len, int width, TextLine *lines, int max);

#endif
