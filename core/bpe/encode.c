/* encode.c - text to ids: the reading of the bytes (invalid UTF-8 as U+FFFD), the added tokens matched before and
 * after normalization, then for each stretch between them the normalizers, the pre-tokenizers and the model; the
 * post-processor's special tokens around it all when asked. */
#include "core/bpe/bpe_internal.h"
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

typedef struct {
    const BpeTokenizer *t;
    BpeIds *out;
    Buf norm;
    Pieces pieces;
} Enc;

/* Longest added token starting exactly at s[i] (its index into t->added), or -1. */
static int trie_longest(const Trie *tr, const char *s, size_t n, size_t i, size_t *end) {
    int cur = 0, best = -1;
    for (size_t j = i; j < n; j++) {
        unsigned char b = (unsigned char)s[j];
        int ch = tr->nodes[cur].first_child;
        while (ch >= 0 && tr->nodes[ch].byte != b) ch = tr->nodes[ch].next_sibling;
        if (ch < 0) break;
        cur = ch;
        if (tr->nodes[cur].token >= 0) { best = tr->nodes[cur].token; *end = j + 1; }
    }
    return best;
}

static int is_word_char(uint32_t cp) {
    if (cp < 0x80) return (cp >= '0' && cp <= '9') || ((cp | 32) >= 'a' && (cp | 32) <= 'z') || cp == '_';
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) || c == UTF8PROC_CATEGORY_ND ||
           c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO || c == UTF8PROC_CATEGORY_MN ||
           c == UTF8PROC_CATEGORY_PC;
}

static size_t prev_char(const char *s, size_t i) {
    do i--; while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80);
    return i;
}

/* The next added token of tr in s[from..n), leftmost then longest: [*a, *b) is what it takes from the text
 * (with lstrip/rstrip, the whitespace around it too; never before floor). Returns its index, or -1. */
static int next_added(const BpeTokenizer *t, const Trie *tr, const char *s, size_t n, size_t from, size_t floor,
                      size_t *a, size_t *b) {
    if (tr->n == 0) return -1;
    for (size_t i = from; i < n; i++) {
        if (!tr->first[(unsigned char)s[i]]) continue;
        size_t end;
        int k = trie_longest(tr, s, n, i, &end);
        if (k < 0) continue;
        const BpeAddedToken *at = &t->added[k];
        if (at->single_word) {
            int len;
            if ((i > 0 && is_word_char(utf8_next(s + prev_char(s, i), &len))) ||
                (end < n && is_word_char(utf8_next(s + end, &len))))
                continue;
        }
        size_t lo = i, hi = end;
        if (at->lstrip)
            while (lo > floor) {
                size_t p = prev_char(s, lo);
                int len;
                if (!is_unicode_space(utf8_next(s + p, &len))) break;
                lo = p;
            }
        if (at->rstrip)
            while (hi < n) {
                int len;
                if (!is_unicode_space(utf8_next(s + hi, &len))) break;
                hi += (size_t)len;
            }
        *a = lo;
        *b = hi;
        return k;
    }
    return -1;
}

static int encode_piece_text(Enc *e, const char *s, size_t n, int first) {
    if (n == 0) return 0;
    int rc = bpe_pretokenize(e->t, s, n, first, &e->pieces);
    if (rc) return -1;
    for (size_t i = 0; i < e->pieces.n; i++) {
        const Piece *p = &e->pieces.p[i];
        if (bpe_model_encode(e->t, piece_ptr(&e->pieces, s, p), p->len, e->out)) return -1;
    }
    return 0;
}

/* A stretch between non-normalized added tokens: normalize, then the normalized added tokens, then the rest. */
static int encode_section(Enc *e, const char *s, size_t n, int first) {
    const BpeTokenizer *t = e->t;
    if (n == 0) return 0;
    if (t->n_norm) {
        if (bpe_normalize(t, s, n, &e->norm)) return -1;
        s = e->norm.p;
        n = e->norm.n;
        if (n == 0) return 0;
    }
    if (t->trie_norm.n == 0) return encode_piece_text(e, s, n, first);
    /* the normalized text is reused by the pieces: keep it while its stretches are encoded */
    Buf keep = e->norm;
    e->norm = (Buf){0};
    const char *base = t->n_norm ? keep.p : s;
    size_t pos = 0, a, b;
    int k, rc = 0;
    while (rc == 0 && (k = next_added(t, &t->trie_norm, base, n, pos, pos, &a, &b)) >= 0) {
        rc = encode_piece_text(e, base + pos, a - pos, first && pos == 0);
        if (rc == 0) rc = ids_push(e->out, t->added[k].id);
        pos = b;
    }
    if (rc == 0) rc = encode_piece_text(e, base + pos, n - pos, first && pos == 0);
    buf_free(&e->norm);
    e->norm = keep;
    return rc;
}

static int encode_valid(const BpeTokenizer *t, const char *s, size_t n, int add_special, BpeIds *out) {
    Enc e = {t, out, {0}, {0}};
    int rc = 0;
    if (add_special)
        for (int i = 0; i < t->n_pre && rc == 0; i++) rc = ids_push(out, t->pre_ids[i]);
    size_t pos = 0, a, b;
    int k;
    while (rc == 0 && (k = next_added(t, &t->trie_raw, s, n, pos, pos, &a, &b)) >= 0) {
        rc = encode_section(&e, s + pos, a - pos, pos == 0);
        if (rc == 0) rc = ids_push(out, t->added[k].id);
        pos = b;
    }
    if (rc == 0) rc = encode_section(&e, s + pos, n - pos, pos == 0);
    if (add_special)
        for (int i = 0; i < t->n_post && rc == 0; i++) rc = ids_push(out, t->post_ids[i]);
    buf_free(&e.norm);
    pieces_free(&e.pieces);
    return rc ? -1 : 0;
}

int bpe_encode(const BpeTokenizer *t, const char *text, size_t len, int add_special, BpeIds *out) {
    if (utf8_valid(text, len)) return encode_valid(t, text, len, add_special, out);
    char *clean;
    size_t n;
    if (bpe_utf8_sanitize(text, len, &clean, &n)) return -1;
    int rc = encode_valid(t, clean, n, add_special, out);
    free(clean);
    return rc;
}

long bpe_encode_buf(const BpeTokenizer *t, const char *text, size_t len, int add_special, int *ids, size_t cap) {
    BpeIds v = {0};
    if (bpe_encode(t, text, len, add_special, &v)) { bpe_ids_free(&v); return -1; }
    if (v.n <= cap && v.n) memcpy(ids, v.ids, v.n * sizeof *ids);
    long n = (long)v.n;
    bpe_ids_free(&v);
    return n;
}
