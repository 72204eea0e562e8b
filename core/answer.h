/* answer.h - reading final answers out of free text, for the tasks of real models (gsm8k, math): GSM8K's
 * "#### 72" line, LaTeX's \boxed{...}, and numbers as people write them ("1,234", "$18.50", "3/4", "\frac{3}{4}",
 * "2.50", "45%"), compared after normalising. Pure functions of their arguments; they never execute input. */
#ifndef GRPO_ANSWER_H
#define GRPO_ANSWER_H
#include <stddef.h>

/* The text after the last "####" of a GSM8K solution, trimmed, with thousands separators removed ("1,234" ->
 * "1234"). Returns 0, or -1 when there is no "####" or nothing after it, or out (size n) is too small. */
int answer_after_hashes(const char *solution, char *out, size_t n);

/* The contents of the last \boxed{...} (or \fbox{...}) in text, braces matched. Returns 0, or -1 when there is
 * none, its braces do not close, or out (size n) is too small. */
int answer_boxed(const char *text, char *out, size_t n);

/* text (trimmed) as a number: an optional sign, digits with optional thousands separators (commas in groups of
 * three), a decimal part, an optional exponent; a fraction a/b or \frac{a}{b} (\dfrac, \tfrac); optionally
 * surrounded by "$" (currency or LaTeX math), followed by "%" (the number itself: 45% is 45) or a final ".".
 * Returns 0 with *v, or -1 when text is not just a number. */
int answer_number(const char *text, double *v);

/* The last number written in text (as answer_number reads one; "The answer is $1,250." gives 1250). Returns 0
 * with *v, or -1 when text holds no number. */
int answer_last_number(const char *text, double *v);

/* 1 when a and b are the same number within a relative 1e-6 (absolute below 1), else 0. */
int answer_numbers_equal(double a, double b);

/* LaTeX answer text normalised for comparison into out (size n): spaces removed, \left \right \! \, \; and "$"
 * dropped, \dfrac and \tfrac written \frac, a trailing "." removed, "\text{...}" unwrapped. Returns the length, or
 * -1 when out is too small. */
int answer_normalize_latex(const char *text, char *out, size_t n);

#endif
