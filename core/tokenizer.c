/* tokenizer.c - the character-level tokenizer: one id per special (written "<think>" etc. in text), then one id
 * per alphabet byte. Encoding prefers a special wherever its text starts, so decode(encode(s)) == s for every s the
 * alphabet covers (a special decodes to exactly the text it was matched from). */
#include "core/tokenizer.h"
#include <stdio.h>
#include <string.h>

const char *TOKENIZER_DEFAULT_ALPHABET = TOKENIZER_DEFAULT_ALPHABET_TEXT;

static const char *const SPECIAL_TEXT[TOK_N_SPECIAL] = {
    "<pad>", "<bos>", "<eos>", "<think>", "</think>", "<answer>", "</answer>",
};

const char *tokenizer_special_text(int id) {
    if (id < 0 || id >= TOK_N_SPECIAL) return NULL;
    return SPECIAL_TEXT[id];
}

/* Writes byte c as 'x' when printable, else as \xNN, so an error message never carries a raw control byte. */
static void describe_byte(unsigned char c, char *buf, size_t n) {
    if (c >= 32 && c < 127) snprintf(buf, n, "'%c'", c);
    else snprintf(buf, n, "'\\x%02X'", c);
}

int tokenizer_init(Tokenizer *t, const char *alphabet, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    for (int i = 0; i < 256; i++) t->id_of[i] = -1;
    size_t n = strlen(alphabet);
    if (n == 0) {
        snprintf(err, errlen, "tokenizer alphabet is empty: expected at least one character");
        return -1;
    }
    if (n > TOKENIZER_MAX_CHARS) {
        snprintf(err, errlen, "tokenizer alphabet has %zu characters: at most %d fit", n, TOKENIZER_MAX_CHARS);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)alphabet[i];
        if (t->id_of[c] >= 0) {
            char d[16];
            describe_byte(c, d, sizeof d);
            snprintf(err, errlen, "tokenizer alphabet repeats character %s (at positions %d and %zu)", d,
                     t->id_of[c] - TOK_N_SPECIAL, i);
            return -1;
        }
        t->id_of[c] = (short)(TOK_N_SPECIAL + i);
        t->chars[i] = (char)c;
    }
    t->n_chars = (int)n;
    t->chars[n] = '\0';
    t->V = TOK_N_SPECIAL + (int)n;
    return 0;
}

/* The special whose text starts at s, or -1. */
static int special_at(const char *s) {
    if (s[0] != '<') return -1;
    for (int i = 0; i < TOK_N_SPECIAL; i++) {
        size_t k = strlen(SPECIAL_TEXT[i]);
        if (strncmp(s, SPECIAL_TEXT[i], k) == 0) return i;
    }
    return -1;
}

int tokenizer_encode(const Tokenizer *t, const char *s, int *ids, int cap, char *err, size_t errlen) {
    int n = 0;
    for (size_t i = 0; s[i];) {
        int id = special_at(s + i);
        size_t step = 1;
        if (id >= 0) {
            step = strlen(SPECIAL_TEXT[id]);
        } else {
            unsigned char c = (unsigned char)s[i];
            id = t->id_of[c];
            if (id < 0) {
                char d[16];
                describe_byte(c, d, sizeof d);
                snprintf(err, errlen, "unknown character %s at byte %zu: not in the tokenizer's alphabet", d, i);
                return -1;
            }
        }
        if (n >= cap) {
            snprintf(err, errlen, "text needs more than %d tokens (stopped at byte %zu)", cap, i);
            return -2;
        }
        ids[n++] = id;
        i += step;
    }
    return n;
}

int tokenizer_decode(const Tokenizer *t, const int *ids, int n, char *out, size_t cap) {
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        int id = ids[i];
        const char *piece;
        char one[2] = {0, 0};
        if (id >= 0 && id < TOK_N_SPECIAL) {
            piece = SPECIAL_TEXT[id];
        } else if (id >= TOK_N_SPECIAL && id < t->V) {
            one[0] = t->chars[id - TOK_N_SPECIAL];
            piece = one;
        } else {
            piece = "\xEF\xBF\xBD";
        }
        for (const char *p = piece; *p; p++, len++)
            if (cap > 0 && len < cap - 1) out[len] = *p;
    }
    if (cap > 0) out[len < cap ? len : cap - 1] = '\0';
    return (int)len;
}
