/* token_view.c - colour buckets, legend words and token pieces of the per-token view (see token_view.h). */
#include "ui/token_view.h"
#include <math.h>
#include <string.h>
#include <utf8proc.h>

const char *token_view_measure_name(TokenMeasure m) {
    switch (m) {
    case TV_LOGPROB: return "log-prob";
    case TV_ENTROPY: return "entropy";
    case TV_RATIO: return "ratio";
    default: return "?";
    }
}

/* Upper bounds of buckets 0..3 (the last bucket is open); log-probs are ranked from high to low. */
static const float LOGPROB_EDGE[TV_BUCKETS - 1] = {-0.1f, -0.5f, -1.2f, -2.3f};
static const float ENTROPY_EDGE[TV_BUCKETS - 1] = {0.1f, 0.4f, 0.8f, 1.5f};
static const float RATIO_EDGE[TV_BUCKETS - 1] = {0.8f, 0.95f, 1.05f, 1.2f};

int token_view_bucket(TokenMeasure m, float v) {
    if (isnan(v)) return -1;
    int b = 0;
    if (m == TV_LOGPROB) {
        while (b < TV_BUCKETS - 1 && v < LOGPROB_EDGE[b]) b++;
    } else {
        const float *edge = m == TV_ENTROPY ? ENTROPY_EDGE : RATIO_EDGE;
        while (b < TV_BUCKETS - 1 && v >= edge[b]) b++;
    }
    return b;
}

const char *token_view_bucket_label(TokenMeasure m, int b) {
    static const char *const lp[TV_BUCKETS] = {">=-0.1", "-0.1..-0.5", "-0.5..-1.2", "-1.2..-2.3", "<-2.3"};
    static const char *const ent[TV_BUCKETS] = {"<0.1", "0.1-0.4", "0.4-0.8", "0.8-1.5", ">=1.5"};
    static const char *const ratio[TV_BUCKETS] = {"<0.8", "0.8-0.95", "0.95-1.05", "1.05-1.2", ">1.2"};
    if (b < 0 || b >= TV_BUCKETS) return "?";
    return m == TV_LOGPROB ? lp[b] : m == TV_ENTROPY ? ent[b] : ratio[b];
}

/* Appends s (n bytes) to out at *k; 0, or -1 when it does not fit. */
static int put(char *out, size_t cap, size_t *k, const char *s, size_t n) {
    if (*k + n >= cap) return -1;
    memcpy(out + *k, s, n);
    *k += n;
    return 0;
}

/* Appends the display form of text (a token's decoded bytes) and counts its columns. */
static int put_safe(const char *text, int utf8, char *out, size_t cap, size_t *k, TokenPiece *p) {
    size_t n = strlen(text);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n' || c == '\t' || c < 0x20 || c == 0x7f) {
            const char *mark = c == '\n' ? (utf8 ? "\xe2\x86\xb5" : "$") : c == '\t' ? (utf8 ? "\xe2\x86\x92" : ">") : "?";
            if (put(out, cap, k, mark, strlen(mark))) return -1;
            p->cols++;
            p->newline |= c == '\n';
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t len = utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(n - i), &cp);
        if (len <= 0) { /* not UTF-8: one replacement column */
            if (put(out, cap, k, "?", 1)) return -1;
            p->cols++;
            i++;
            continue;
        }
        if (!utf8 && len > 1) {
            if (put(out, cap, k, "?", 1)) return -1;
            p->cols++;
        } else {
            if (put(out, cap, k, text + i, (size_t)len)) return -1;
            p->cols += len > 1 ? utf8proc_charwidth(cp) : 1;
        }
        i += (size_t)len;
    }
    return 0;
}

int token_view_pieces(const Tokenizer *tok, const int *ids, int n, int utf8, char *out, size_t cap,
                      TokenPiece *pieces) {
    TokenizerStream *st = tokenizer_stream_new(tok);
    if (!st) return -1;
    size_t k = 0;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        const char *text = tokenizer_stream_feed(st, ids[i]);
        if (!text) { rc = -1; break; }
        TokenPiece *p = &pieces[i];
        *p = (TokenPiece){.start = (int)k};
        rc = put_safe(text, utf8, out, cap, &k, p);
        if (rc == 0 && p->cols == 0) { /* part of a character (or a zero-width one): a dot keeps its box */
            const char *dot = utf8 ? "\xc2\xb7" : ".";
            rc = put(out, cap, &k, dot, strlen(dot));
            p->cols = 1;
        }
        p->len = (int)k - p->start;
    }
    if (rc == 0 && k < cap) out[k] = '\0';
    tokenizer_stream_free(st);
    return rc;
}

int token_view_wrap(const TokenPiece *pieces, int n, int width, int *row_start, int max) {
    if (width < 1) width = 1;
    int rows = 0, cols = 0;
    for (int i = 0; i < n; i++) {
        if (i == 0 || (cols > 0 && cols + pieces[i].cols > width) || pieces[i - 1].newline) {
            if (row_start && rows < max) row_start[rows] = i;
            rows++;
            cols = 0;
        }
        cols += pieces[i].cols;
    }
    return rows;
}
