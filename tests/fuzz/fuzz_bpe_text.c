/* fuzz_bpe_text.c - fuzzes encode and decode of core/bpe on arbitrary bytes, with two real tokenizers loaded once
 * from the build's decompressed fixtures (tokenizers/<name>/tokenizer.json, from the working directory, else
 * build-fuzz/ or build/): Qwen3 (byte-level BPE, NFC normalizer, 26 added tokens) and Llama-2 (SentencePiece BPE
 * with byte fallback, Prepend/Replace normalizers, a BOS template).
 *
 * Input: one byte choosing the tokenizer (even: Qwen3, odd: Llama-2), then the text (any bytes; invalid UTF-8 is
 * read with replacement). Suggested -max_len: 4096.
 *
 * Properties (a failure aborts): encoding never fails; decode(encode(s)) is the replacement reading of s (NFC for
 * Qwen3; for Llama-2 only when s holds no added token and no U+2581, see tests/test_bpe.c); streaming decode one id
 * at a time gives whole UTF-8 pieces that add up to the whole decode. */
#include "core/bpe/bpe.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static BpeTokenizer *qwen, *llama2;

static BpeTokenizer *load(const char *name) {
    static const char *DIRS[] = {"tokenizers", "build-fuzz/tokenizers", "build/tokenizers"};
    char path[256], err[512] = "";
    for (size_t i = 0; i < sizeof DIRS / sizeof *DIRS; i++) {
        snprintf(path, sizeof path, "%s/%s/tokenizer.json", DIRS[i], name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        fclose(f);
        BpeTokenizer *t = bpe_load(path, err, sizeof err);
        if (t) return t;
        break;
    }
    fprintf(stderr, "fuzz_bpe_text: cannot load the %s fixture (build the tokenizer_fixtures target) %s\n", name, err);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    qwen = load("qwen3");
    llama2 = load("llama2");
    return 0;
}

static int whole_utf8(const char *s, size_t n) {
    char *c;
    size_t cn;
    if (bpe_utf8_sanitize(s, n, &c, &cn)) abort();
    int ok = cn == n && !memcmp(c, s, n);
    free(c);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    BpeTokenizer *t = data[0] & 1 ? llama2 : qwen;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    BpeIds ids = {0}, with = {0};
    if (bpe_encode(t, s, n, 0, &ids) || bpe_encode(t, s, n, 1, &with)) abort();

    size_t dn, cn;
    char *back = bpe_decode(t, ids.ids, ids.n, 0, &dn), *clean;
    if (!back || bpe_utf8_sanitize(s, n, &clean, &cn)) abort();
    char *want = clean;
    size_t wn = cn;
    utf8proc_uint8_t *nfc = NULL;
    int check = 1;
    if (t == qwen && cn) {
        utf8proc_ssize_t k = utf8proc_map((const utf8proc_uint8_t *)clean, (utf8proc_ssize_t)cn, &nfc,
                                          UTF8PROC_STABLE | UTF8PROC_COMPOSE);
        if (k < 0) abort();
        want = (char *)nfc;
        wn = (size_t)k;
    }
    if (t == llama2) {
        if (memmem(clean, cn, "\xE2\x96\x81", 3)) check = 0;
        for (int i = 0; i < bpe_n_added(t) && check; i++) {
            const char *a = bpe_added(t, i)->content;
            if (memmem(clean, cn, a, strlen(a))) check = 0;
        }
    }
    if (check && (dn != wn || memcmp(back, want, wn) != 0)) {
        fprintf(stderr, "decode(encode(s)) differs from s (%zu bytes against %zu)\n", dn, wn);
        abort();
    }
    /* the stream, over the ids with the special tokens */
    size_t wl;
    char *whole = bpe_decode(t, with.ids, with.n, 0, &wl);
    BpeStream *st = bpe_stream_new(t, 0);
    if (!whole || !st) abort();
    size_t at = 0;
    for (size_t i = 0; i <= with.n; i++) {
        size_t len;
        const char *p = i < with.n ? bpe_stream_feed(st, with.ids[i], &len) : bpe_stream_finish(st, &len);
        if (!p || !whole_utf8(p, len) || at + len > wl || memcmp(whole + at, p, len) != 0) {
            fprintf(stderr, "the stream's piece %zu is not the whole decode's next text\n", i);
            abort();
        }
        at += len;
    }
    if (at != wl) abort();
    bpe_stream_free(st);
    free(whole);
    free(nfc);
    free(clean);
    free(back);
    bpe_ids_free(&ids);
    bpe_ids_free(&with);
    return 0;
}
