/* tokenizer.h - character-level tokenizer with single-token specials.
 * Ids 0..TOK_N_SPECIAL-1 are the specials, written in text as "<pad>", "<bos>", "<eos>", "<think>", "</think>",
 * "<answer>", "</answer>"; then one id per character of the alphabet. decode(encode(s)) == s. */
#ifndef GRPO_TOKENIZER_H
#define GRPO_TOKENIZER_H
#include <stddef.h>

enum { TOK_PAD = 0, TOK_BOS, TOK_EOS, TOK_THINK, TOK_THINK_END, TOK_ANSWER, TOK_ANSWER_END, TOK_N_SPECIAL };

#define TOKENIZER_MAX_CHARS 128
typedef struct {
    int V;                              /* TOK_N_SPECIAL + number of characters */
    int n_chars;
    char chars[TOKENIZER_MAX_CHARS + 1];/* the alphabet, NUL-terminated; id of chars[i] is TOK_N_SPECIAL + i */
    short id_of[256];                   /* byte -> id, or -1 */
} Tokenizer;

/* The default alphabet: '\n' and printable ASCII 32..126 (the macro is the same text, for static initializers). */
#define TOKENIZER_DEFAULT_ALPHABET_TEXT \
    "\n !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"
extern const char *TOKENIZER_DEFAULT_ALPHABET;
/* The text form of special id i < TOK_N_SPECIAL. */
const char *tokenizer_special_text(int id);

/* Builds a tokenizer over `alphabet` (distinct bytes, at most TOKENIZER_MAX_CHARS). Returns 0, or -1 with a
 * message in err naming the offending character. */
int tokenizer_init(Tokenizer *t, const char *alphabet, char *err, size_t errlen);
/* Encodes s into ids (at most cap). Returns the count, or -1 with err naming the unknown character and its byte
 * position, or -2 when cap is too small. */
int tokenizer_encode(const Tokenizer *t, const char *s, int *ids, int cap, char *err, size_t errlen);
/* Decodes n ids into out (NUL-terminated, truncated to cap). Returns the length it needed (like snprintf).
 * Ids out of range decode as "\xEF\xBF\xBD" (U+FFFD). */
int tokenizer_decode(const Tokenizer *t, const int *ids, int n, char *out, size_t cap);

#endif
