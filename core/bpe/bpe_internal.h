/* bpe_internal.h - the parts of a loaded BPE tokenizer, shared by the files of core/bpe/ (not a public API).
 *   util.c       growable buffers, string and pair hash tables, UTF-8 (reading with replacement, the GPT-2 byte map)
 *   load.c       tokenizer.json and tokenizer_config.json into these structures, refusing what is unsupported
 *   normalize.c  the normalizers (NFC/NFD/NFKC/NFKD, Prepend, Replace, Lowercase, Strip)
 *   pretok.c     the pre-tokenizers (Split by regex or string, ByteLevel, Digits, Metaspace, Whitespace...)
 *   model.c      the BPE model: a piece's first symbols, then merges by rank
 *   encode.c     added tokens, the pipeline, the post-processor
 *   decode.c     the decoders, whole and streaming */
#ifndef GRPO_BPE_INTERNAL_H
#define GRPO_BPE_INTERNAL_H
#include "core/bpe/bpe.h"
#include <stdint.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* ---- util.c ---- */
typedef struct { char *p; size_t n, cap; } Buf;
int buf_reserve(Buf *b, size_t extra);               /* 0, or -1 out of memory */
int buf_add(Buf *b, const void *s, size_t n);
int buf_addc(Buf *b, char c);
int buf_add_cp(Buf *b, uint32_t cp);                 /* appends the UTF-8 of code point cp */
void buf_free(Buf *b);
int ids_push(BpeIds *v, int id);

uint64_t bpe_hash(const void *s, size_t n);

/* String -> int map over keys that the caller keeps alive (open addressing, power-of-two capacity). */
typedef struct { const char *key; uint32_t len; int32_t val; } StrSlot;
typedef struct { StrSlot *slots; size_t mask, count; } StrMap;
int strmap_init(StrMap *m, size_t expected);
int strmap_put(StrMap *m, const char *key, size_t len, int val);   /* keeps the first value of a key */
int strmap_get(const StrMap *m, const char *key, size_t len);      /* -1 when absent */
void strmap_free(StrMap *m);

/* (id, id) -> (rank, merged id). */
typedef struct { uint64_t key; int32_t rank, id; } PairSlot;
typedef struct { PairSlot *slots; size_t mask, count; } PairMap;
int pairmap_init(PairMap *m, size_t expected);
int pairmap_put(PairMap *m, int a, int b, int rank, int id);       /* 0 new, 1 replaced, -1 out of memory */
static inline const PairSlot *pairmap_get(const PairMap *m, int a, int b) {
    uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    for (size_t i = (h >> 20) & m->mask;; i = (i + 1) & m->mask) {
        const PairSlot *s = &m->slots[i];
        if (s->rank < 0) return NULL;
        if (s->key == key) return s;
    }
}
void pairmap_free(PairMap *m);

/* UTF-8. utf8_valid: the whole of s is well-formed. utf8_next: decodes the character at s (well-formed input),
 * returns its length. */
int utf8_valid(const char *s, size_t n);
static inline int utf8_len(unsigned char c) { return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; }
uint32_t utf8_next(const char *s, int *len);
/* WHATWG decoding with replacement, incremental: feed bytes, complete characters (or U+FFFD) go to out; a valid
 * prefix of a character waits in the state for the next call; final=1 turns it into U+FFFD. */
typedef struct { uint32_t cp; int needed, seen; unsigned char lower, upper; unsigned char pend[4]; int npend; } Utf8Dec;
void utf8dec_init(Utf8Dec *d);
int utf8dec_feed(Utf8Dec *d, const unsigned char *s, size_t n, int final, Buf *out);
int is_unicode_space(uint32_t cp);    /* the White_Space property (Rust char::is_whitespace) */

/* The GPT-2 byte-to-unicode map: byte b is written as code point BYTE_CP[b]; cp_to_byte inverts it (-1). */
extern uint32_t BPE_BYTE_CP[256];
void bpe_byte_map_init(void);

/* ---- the tokenizer ---- */
enum { NORM_NFC, NORM_NFD, NORM_NFKC, NORM_NFKD, NORM_PREPEND, NORM_REPLACE, NORM_LOWERCASE, NORM_STRIP };
typedef struct {
    int kind;
    char *a, *b;                   /* Prepend: a; Replace: pattern a (String) -> content b */
    size_t alen, blen;
    pcre2_code *re;                /* Replace with a Regex pattern */
    int left, right;               /* Strip */
} NormStep;

enum { SPLIT_REMOVED, SPLIT_ISOLATED, SPLIT_MERGED_PREV, SPLIT_MERGED_NEXT, SPLIT_CONTIGUOUS };
enum { PT_SPLIT, PT_BYTELEVEL, PT_DIGITS, PT_METASPACE, PT_WHITESPACE, PT_WSSPLIT };
enum { PREPEND_ALWAYS, PREPEND_FIRST, PREPEND_NEVER };
typedef struct {
    int kind;
    pcre2_code *re;                /* Split with a Regex, ByteLevel with use_regex, Whitespace */
    char *lit; size_t litlen;      /* Split with a String pattern */
    int behavior, invert;
    int add_prefix_space, use_regex;
    int individual_digits;
    char repl[8]; int repl_len;    /* Metaspace replacement (UTF-8) */
    int prepend_scheme, split;
} PtStep;

enum { DS_REPLACE, DS_BYTEFALLBACK, DS_FUSE, DS_STRIP, DS_METASPACE };
enum { DEC_NONE, DEC_BYTELEVEL, DEC_CHAIN };
typedef struct {
    int kind;
    char *a, *b; size_t alen, blen;   /* Replace: a -> b */
    uint32_t content; int start, stop;/* Strip */
    uint32_t repl; int prepend;       /* Metaspace: replacement, whether a first leading space goes */
    int fused;                        /* comes after a Fuse: works on the whole text, not on each token */
} DecStep;

/* A trie over the bytes of the added tokens' contents. */
typedef struct { int32_t first_child, next_sibling, token; unsigned char byte; } TrieNode;
typedef struct { TrieNode *nodes; int n, cap; unsigned char first[256]; } Trie;

struct BpeTokenizer {
    char path[512];
    int vocab_size;                   /* max id + 1 */
    char **tok_text;                  /* [vocab_size]: the model vocabulary's spelling, NULL for a hole; for
                                         byte-level, the bytes it stands for follow its NUL (keys of raw) */
    char *text_arena;                 /* the memory of tok_text */
    uint32_t *tok_len;
    const char **added_text;          /* [vocab_size]: an added token's content, NULL for the others */
    uint32_t *added_len;
    unsigned char *tok_special;       /* [vocab_size]: 1 special added token, 2 other added token */
    StrMap vocab;                     /* file spelling -> id (the model's vocabulary) */
    StrMap raw;                       /* byte-level: the bytes a token stands for -> id */
    StrMap added_map;                 /* added content -> id */
    PairMap merges;
    int byte_level;                   /* the pre-tokenizer has ByteLevel: a piece's symbols are its bytes */
    int byte_id[256];                 /* byte-level: the id of each single byte (-1) */
    int fallback_id[256];             /* byte_fallback: the id of <0xXX> (-1) */
    int byte_fallback, fuse_unk, ignore_merges, unk_id;
    int sp_split;                     /* "▁" is a token and no token has a character then "▁" (model.c) */

    NormStep *norm; int n_norm;
    PtStep *pt; int n_pt;
    DecStep *dec; int n_dec; int dec_kind;
    int *pre_ids, n_pre, *post_ids, n_post;   /* post-processor: special ids around the sequence */

    BpeAddedToken *added; int n_added;
    Trie trie_raw, trie_norm;         /* added tokens matched before / after normalization */
};

/* The text of id for decoding and lookups: the added content, else the vocabulary's. NULL for no token. */
static inline const char *tok_disp(const BpeTokenizer *t, int id, uint32_t *len) {
    if (id < 0 || id >= t->vocab_size) return NULL;
    if (t->added_text && t->added_text[id]) { *len = t->added_len[id]; return t->added_text[id]; }
    *len = t->tok_len[id];
    return t->tok_text[id];
}

/* normalize.c: normalizes s[0..n) through t's normalizers into out (replacing its content). first: s starts at
 * the beginning of the input. */
int bpe_normalize(const BpeTokenizer *t, const char *s, size_t n, Buf *out);

/* pretok.c: a list of pieces. Each piece is (offset, length) into one of two text buffers, a flag saying which. */
typedef struct { size_t off, len; int own; } Piece;
typedef struct { Piece *p; size_t n, cap; Buf text; } Pieces;
void pieces_free(Pieces *ps);
/* Splits s[0..n) (first: starts the input, for Metaspace's prepend_scheme "first") into the pieces of t's
 * pre-tokenizers, appended to out (out->n = 0 first). */
int bpe_pretokenize(const BpeTokenizer *t, const char *s, size_t n, int first, Pieces *out);
static inline const char *piece_ptr(const Pieces *ps, const char *s, const Piece *p) {
    return p->own ? ps->text.p + p->off : s + p->off;
}
/* Compiles a regex from tokenizer.json (Oniguruma syntax) for PCRE2 with UTF and Unicode properties; \s and \S
 * are rewritten to Oniguruma's White_Space set. NULL with err on failure. */
pcre2_code *bpe_regex_compile(const char *pat, size_t len, char *err, size_t errlen);

/* model.c: appends the ids of one piece. */
int bpe_model_encode(const BpeTokenizer *t, const char *s, size_t n, BpeIds *out);

/* util: the GPT-2 byte map inverse */
extern int16_t BPE_CP_BYTE[324];
static inline int cp_to_byte(uint32_t cp) { return cp < 324 ? BPE_CP_BYTE[cp] : -1; }

#endif
