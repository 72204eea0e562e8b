/* bpe.h - Hugging Face tokenizer.json BPE tokenizers (byte-level BPE as in GPT-2/Qwen/Llama-3/DeepSeek, and
 * SentencePiece-style BPE with byte fallback as in Llama-2/TinyLlama/Mistral), with the ids of the reference
 * implementation (the `tokenizers` library; checked against its JavaScript ports, tests/test_bpe.c).
 *
 * The pipeline is the reference's: the text is made valid UTF-8 (below); added tokens whose `normalized` is false
 * are matched in it (leftmost, longest first); each stretch between them is normalized, then searched for the
 * added tokens whose `normalized` is true, then pre-tokenized into pieces; each piece goes through the BPE model
 * (merges by rank); the post-processor adds its special tokens when asked (add_special, as HF add_special_tokens).
 *
 * Invalid UTF-8 input: the bytes are read as the reference sees a string made from them by a UTF-8 decoder with
 * replacement, as WHATWG TextDecoder and Rust's String::from_utf8_lossy do: each maximal subpart of an ill-formed
 * sequence becomes one U+FFFD (so "\xE4\xBD" is one U+FFFD, "\xFF\xFF" two, "\xED\xA0\x80" (a surrogate) three).
 *
 * A loaded tokenizer is read-only: encode and decode may run on several threads at once; a BpeStream is one
 * thread's. Everything that the file holds and this module does not implement is refused at load with a message
 * naming the file, the JSON key and its value. */
#ifndef GRPO_BPE_H
#define GRPO_BPE_H
#include <stddef.h>

typedef struct BpeTokenizer BpeTokenizer;

/* Loads tokenizer.json at path. Returns the tokenizer, or NULL with a message in err (the file, the JSON key and
 * the value that is wrong or unsupported, or the JSON parser's line and column). */
BpeTokenizer *bpe_load(const char *path, char *err, size_t errlen);
/* Reads tokenizer_config.json at path and applies what transformers applies on top of tokenizer.json: for
 * tokenizer_class LlamaTokenizer/LlamaTokenizerFast (DeepSeek-V3, Llama-2), add_bos_token/add_eos_token decide
 * whether encode with add_special puts bos_token first / eos_token last (transformers rebuilds the post-processor
 * so; the `tokenizers` library alone, and its JavaScript ports, do not read this file). Other classes: no change.
 * Returns 0, or -1 with err (a token named there that the tokenizer lacks, a wrong type, an unreadable file). */
int bpe_load_config(BpeTokenizer *t, const char *path, char *err, size_t errlen);
void bpe_free(BpeTokenizer *t);

/* One more than the largest id of the vocabulary and the added tokens. */
int bpe_vocab_size(const BpeTokenizer *t);
/* The id of a token given as the file spells it: an added token's content ("<|im_start|>", "<think>"), else a
 * vocabulary entry ("Ġthe", "▁the", "<0x0A>"). -1 when there is none. */
int bpe_token_id(const BpeTokenizer *t, const char *s);
/* The file's spelling of id (added-token content, or the vocabulary entry), NUL-terminated; NULL when the id has
 * none. */
const char *bpe_token_text(const BpeTokenizer *t, int id);

typedef struct {
    const char *content;
    int id;
    int special;                        /* skipped by decode with skip_special */
    int single_word, lstrip, rstrip, normalized;
} BpeAddedToken;
/* The added tokens (specials such as <|endoftext|>, <|im_start|>, and others such as <think>) in file order. */
int bpe_n_added(const BpeTokenizer *t);
const BpeAddedToken *bpe_added(const BpeTokenizer *t, int i);
/* The post-processor's (or tokenizer_config's) BOS and EOS for add_special, or -1. */
int bpe_bos_id(const BpeTokenizer *t);
int bpe_eos_id(const BpeTokenizer *t);

/* A growable id list: zero-initialise, let encode append, bpe_ids_free when done. */
typedef struct { int *ids; size_t n, cap; } BpeIds;
void bpe_ids_free(BpeIds *v);

/* Appends the ids of text[0..len) to out. add_special: the post-processor's special tokens (a BOS for Llama-2),
 * as HF encode(add_special_tokens=True); special tokens written in the text are matched either way, as the
 * reference does. Returns 0, or -1 when memory ran out or PCRE2 gave up on a split regex (its match limit; not
 * seen on any input so far) - out then holds what was appended before. */
int bpe_encode(const BpeTokenizer *t, const char *text, size_t len, int add_special, BpeIds *out);
/* The same into a caller's buffer: returns the number of ids (written when <= cap, like snprintf: call again with
 * a larger buffer when it is more), or -1 when memory ran out. */
long bpe_encode_buf(const BpeTokenizer *t, const char *text, size_t len, int add_special, int *ids, size_t cap);

/* Decodes n ids through the file's decoder into a malloc'd NUL-terminated string (its length in *len when len is
 * not NULL). skip_special: special added tokens are left out (HF skip_special_tokens). Ids that name no token
 * are left out, as the reference does. Returns NULL when memory ran out. */
char *bpe_decode(const BpeTokenizer *t, const int *ids, size_t n, int skip_special, size_t *len);

/* Streaming decode, one id at a time, for showing tokens as they are generated: the concatenation of everything
 * feed and finish return is exactly bpe_decode of all the ids, and every returned piece is whole UTF-8: bytes of
 * a character still incomplete (a byte-level token holding half of a Chinese character, a run of <0xXX> tokens)
 * are held back until a later token completes them, or until finish turns them into U+FFFD as decode does. */
typedef struct BpeStream BpeStream;
BpeStream *bpe_stream_new(const BpeTokenizer *t, int skip_special);
/* Feeds one id. Returns the newly complete text (NUL-terminated, *len bytes, possibly empty), valid until the next
 * call on the stream; NULL when memory ran out. */
const char *bpe_stream_feed(BpeStream *s, int id, size_t *len);
/* Ends the sequence: returns what was held back (decoded as whole decode would), and resets the stream. */
const char *bpe_stream_finish(BpeStream *s, size_t *len);
void bpe_stream_free(BpeStream *s);

/* The reading of arbitrary bytes described above: appends to out (malloc'd, NUL-terminated, *out_len bytes) the
 * valid UTF-8 made from in, each maximal ill-formed subpart replaced by U+FFFD. Returns 0, or -1 out of memory. */
int bpe_utf8_sanitize(const char *in, size_t len, char **out, size_t *out_len);

#endif
