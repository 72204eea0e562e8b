/* tokenizer.c - the tokenizer interface (tokenizer.h). The character kind: one id per special (written "<think>"
 * etc. in text), then one id per alphabet byte; encoding prefers a special wherever its text starts, so
 * decode(encode(s)) == s for every s the alphabet covers. The BPE kind passes through to core/bpe. */
#include "core/tokenizer.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    t->kind = TOKENIZER_CHAR;
    t->bos = TOK_BOS, t->eos = TOK_EOS, t->pad = TOK_PAD;
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

/* path, or path/tokenizer.json when path is a folder, into out */
static void json_path(const char *path, char *out, size_t n) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) snprintf(out, n, "%s/tokenizer.json", path);
    else snprintf(out, n, "%s", path);
}

int tokenizer_is_hf(const char *path) {
    char file[1024], head[4096];
    json_path(path, file, sizeof file);
    FILE *f = fopen(file, "rb");
    if (!f) return 0;
    size_t n = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    head[n] = '\0';
    return n > 0 && !strstr(head, "\"grpo-studio-char\"");
}

/* The id of the first of names the tokenizer has, or -1. */
static int first_token(const BpeTokenizer *b, const char *const *names, int n) {
    for (int i = 0; i < n; i++) {
        int id = bpe_token_id(b, names[i]);
        if (id >= 0) return id;
    }
    return -1;
}

int tokenizer_load_hf(Tokenizer *t, const char *path, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    char file[1024], cfg[1100];
    json_path(path, file, sizeof file);
    BpeTokenizer *b = bpe_load(file, err, errlen);
    if (!b) return -1;
    const char *slash = strrchr(file, '/');
    snprintf(cfg, sizeof cfg, "%.*stokenizer_config.json", slash ? (int)(slash - file + 1) : 0, file);
    struct stat st;
    if (stat(cfg, &st) == 0 && bpe_load_config(b, cfg, err, errlen) != 0) {
        bpe_free(b);
        return -1;
    }
    static const char *const EOS_NAMES[] = {"<|endoftext|>", "</s>", "<|end_of_text|>", "<｜end▁of▁sentence｜>"};
    int eos = bpe_eos_id(b);
    if (eos < 0) eos = first_token(b, EOS_NAMES, 4);
    t->kind = TOKENIZER_BPE;
    t->bpe = b;
    t->V = bpe_vocab_size(b);
    t->bos = bpe_bos_id(b);
    t->eos = eos;
    t->pad = eos >= 0 ? eos : 0;
    /* a token decodes to at most as many bytes as its text has: byte-level text is a character per byte,
     * SentencePiece's "\xe2\x96\x81" and "<0xAB>" decode to one byte */
    for (int id = 0; id < t->V; id++) {
        const char *s = bpe_token_text(b, id);
        int n = s ? (int)strlen(s) : 0;
        if (n > t->max_token_bytes) t->max_token_bytes = n;
    }
    snprintf(t->source, sizeof t->source, "%s", file);
    return 0;
}

void tokenizer_free(Tokenizer *t) {
    if (t->kind == TOKENIZER_BPE) bpe_free(t->bpe);
    memset(t, 0, sizeof *t);
}

int tokenizer_is_end(const Tokenizer *t, int id) {
    if (id == t->eos) return 1;
    for (int i = 0; i < t->n_stop; i++)
        if (id == t->stop[i]) return 1;
    return 0;
}

void tokenizer_add_stop(Tokenizer *t, int id) {
    if (id < 0 || tokenizer_is_end(t, id) || t->n_stop == (int)(sizeof t->stop / sizeof t->stop[0])) return;
    t->stop[t->n_stop++] = id;
}

int tokenizer_put_bos(const Tokenizer *t, int *ids) {
    if (t->bos < 0) return 0;
    ids[0] = t->bos;
    return 1;
}

int tokenizer_max_token_bytes(const Tokenizer *t) {
    if (t->kind == TOKENIZER_CHAR) return 10; /* the longest special, "</answer>", is 9 */
    return t->max_token_bytes > 4 ? t->max_token_bytes : 4; /* at least a replacement character's 3 bytes */
}

static int bpe_encode_capped(const Tokenizer *t, const char *s, int *ids, int cap, char *err, size_t errlen) {
    long n = bpe_encode_buf(t->bpe, s, strlen(s), 0, ids, (size_t)cap);
    if (n < 0) {
        snprintf(err, errlen, "out of memory encoding %zu bytes", strlen(s));
        return -1;
    }
    if (n > cap) {
        snprintf(err, errlen, "text needs %ld tokens, more than %d", n, cap);
        return -2;
    }
    return (int)n;
}

int tokenizer_encode(const Tokenizer *t, const char *s, int *ids, int cap, char *err, size_t errlen) {
    if (t->kind == TOKENIZER_BPE) return bpe_encode_capped(t, s, ids, cap, err, errlen);
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
    if (t->kind == TOKENIZER_BPE) {
        size_t got;
        char *s = bpe_decode(t->bpe, ids, (size_t)n, 0, &got);
        if (!s) return -1;
        if (cap > 0) snprintf(out, cap, "%s", s);
        free(s);
        return (int)got;
    }
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

struct TokenizerStream {
    const Tokenizer *t;
    BpeStream *bpe;
    char piece[16];
};

TokenizerStream *tokenizer_stream_new(const Tokenizer *t) {
    TokenizerStream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->t = t;
    if (t->kind == TOKENIZER_BPE && !(s->bpe = bpe_stream_new(t->bpe, 0))) {
        free(s);
        return NULL;
    }
    return s;
}

const char *tokenizer_stream_feed(TokenizerStream *s, int id) {
    if (s->bpe) {
        size_t len;
        return bpe_stream_feed(s->bpe, id, &len);
    }
    tokenizer_decode(s->t, &id, 1, s->piece, sizeof s->piece);
    return s->piece;
}

void tokenizer_stream_reset(TokenizerStream *s) {
    size_t len;
    if (s->bpe) bpe_stream_finish(s->bpe, &len);
}

void tokenizer_stream_free(TokenizerStream *s) {
    if (!s) return;
    if (s->bpe) bpe_stream_free(s->bpe);
    free(s);
}
