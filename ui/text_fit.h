/* text_fit.h - text cut to a number of terminal columns: what one screen row of a list or title can hold. */
#ifndef GRPO_UI_TEXT_FIT_H
#define GRPO_UI_TEXT_FIT_H
#include <stddef.h>

/* Copies the longest start of s that fills at most `width` terminal columns into out (NUL-terminated, at most cap
 * bytes), counting each character by its display width (2 for CJK and emoji, 0 for combining marks). Control
 * characters become a space and bytes that are not UTF-8 a '?', so that nothing moves the cursor; a zero-width
 * character with nothing before it to combine with (the start of the text) is left out, so that it cannot join
 * whatever is drawn to the left. Returns the columns out fills. */
int text_fit(const char *s, int width, char *out, size_t cap);

#endif
