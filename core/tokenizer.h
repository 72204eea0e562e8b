/* tokenizer.h - the two kinds of tokenizer behind one interface (encode, decode, streaming decode):
 *
 * Character-level, for the models this project pretrains: ids 0..TOK_N_SPECIAL-1 are the specials, written in
 * text as "<pad>", "<bos>", "<eos>", "<think>", "</think>", "<answer>", "</answer>"; then one id per character of
 * the alphabet. decode(encode(s)) == s.
 *
 * BPE from a Hugging Face tokenizer.json (core/bpe/bpe.h), for the models people have: "<think>" and "<answer>"
 * are plain text there (rewards parse text), special tokens written in a text ("<|im_start|>") encode as their
 * ids, and bos / eos / pad are the file's (bos -1 when the model's prompts start without one, as Qwen's do).
 *
 * A Tokenizer is a value: copies share a BPE tokenizer, which the one that loaded it frees (tokenizer_free; a
 * no-op for the character kind). */
#ifndef GRPO_TOKENIZER_H
#define GRPO_TOKENIZER_H
#include "core/bpe/bpe.h"
#include <stddef.h>

enum { TOK_PAD = 0, TOK_BOS, TOK_EOS, TOK_THINK, TOK_THINK_END, TOK_ANSWER, TOK_ANSWER_END, TOK_N_SPECIAL };

#define TOKENIZER_MAX_CHARS 128
typedef enum { TOKENIZER_CHAR = 0, TOKENIZER_BPE = 1 } TokenizerKind;
typedef struct {
    TokenizerKind kind;
    int V;                              /* ids 0..V-1 (character: TOK_N_SPECIAL + number of characters) */
    int bos, eos, pad;                  /* bos -1: none is put first */
    int n_stop, stop[4];                /* more ids that end a completion (an instruct model's end of turn) */
    /* character */
    int n_chars;
    char chars[TOKENIZER_MAX_CHARS + 1];/* the alphabet, NUL-terminated; id of chars[i] is TOK_N_SPECIAL + i */
    short id_of[256];                   /* byte -> id, or -1 */
    /* BPE */
    BpeTokenizer *bpe;
    int max_token_bytes;                /* the longest token's text (a bound on the bytes one token decodes to) */
    char source[1024];                  /* the tokenizer.json it was read from */
} Tokenizer;

/* The default alphabet: '\n' and printable ASCII 32..126 (the macro is the same text, for static initializers). */
#define TOKENIZER_DEFAULT_ALPHABET_TEXT \
    "\n !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"
extern const char *TOKENIZER_DEFAULT_ALPHABET;
/* The text form of special id i < TOK_N_SPECIAL. */
const char *tokenizer_special_text(int id);

/* Builds a character tokenizer over `alphabet` (distinct bytes, at most TOKENIZER_MAX_CHARS). Returns 0, or -1
 * with a message in err naming the offending character. */
int tokenizer_init(Tokenizer *t, const char *alphabet, char *err, size_t errlen);
/* Loads a Hugging Face tokenizer: path is a tokenizer.json, or a folder holding one; a tokenizer_config.json
 * beside it is applied too. eos is the file's end-of-sequence token (the post-processor's or tokenizer_config's
 * eos_token, else <|endoftext|>, </s> or <|end_of_text|>), or -1 when it names none (a model folder's config.json
 * may: checkpoint.h); pad is eos, or 0 (padding never enters a loss). Returns 0, or -1 with err naming the file
 * and what is wrong. Pair with tokenizer_free. */
int tokenizer_load_hf(Tokenizer *t, const char *path, char *err, size_t errlen);
/* 1 when path is a Hugging Face tokenizer.json (or a folder with one) rather than this project's own character
 * tokenizer.json, else 0 (also when there is no such file). */
int tokenizer_is_hf(const char *path);
/* Frees what a load allocated (a BPE tokenizer) and leaves t zeroed; accepts a character tokenizer. */
void tokenizer_free(Tokenizer *t);
/* Encodes s into ids (at most cap). Returns the count, or -1 with err naming the unknown character and its byte
 * position, or -2 when cap is too small. */
int tokenizer_encode(const Tokenizer *t, const char *s, int *ids, int cap, char *err, size_t errlen);
/* Decodes n ids into out (NUL-terminated, truncated to cap). Returns the length it needed (like snprintf).
 * Character: ids out of range decode as "\xEF\xBF\xBD" (U+FFFD); BPE: as the file's decoder does (ids that
 * name no token are left out), -1 when memory ran out. */
int tokenizer_decode(const Tokenizer *t, const int *ids, int n, char *out, size_t cap);
/* 1 when id ends a completion: eos or one of the stop ids. */
int tokenizer_is_end(const Tokenizer *t, int id);
/* Adds id to the stop ids (when it is not eos or one already; at most 4). */
void tokenizer_add_stop(Tokenizer *t, int id);
/* Writes the tokenizer's bos into ids[0] when it has one: returns the number of ids written (0 or 1). */
int tokenizer_put_bos(const Tokenizer *t, int *ids);
/* The most bytes one token can decode to (sizes completion text buffers). */
int tokenizer_max_token_bytes(const Tokenizer *t);

/* Streaming decode for the live trace: feed the ids of one sequence one at a time and get the newly complete text;
 * incomplete UTF-8 (half a Chinese character in a byte-level token) is held back until it completes. */
typedef struct TokenizerStream TokenizerStream;
TokenizerStream *tokenizer_stream_new(const Tokenizer *t); /* NULL when out of memory */
/* The text id completes (NUL-terminated, possibly empty), valid until the next call; NULL when out of memory. */
const char *tokenizer_stream_feed(TokenizerStream *s, int id);
/* Starts a new sequence, dropping what was held back. */
void tokenizer_stream_reset(TokenizerStream *s);
void tokenizer_stream_free(TokenizerStream *s); /* accepts NULL */

#endif
