/* test_bpe.c - the tokenizer.json BPE tokenizers of core/bpe against the reference, on the Qwen3, Llama-3,
 * DeepSeek-V3 and Llama-2 files (tests/fixtures/tokenizers, decompressed by the build into build/tokenizers):
 *   - the ids of 2,703 strings (corpus.hex: English, code, LaTeX, Chinese, emoji, runs of spaces, special tokens in
 *     text, numbers, mixed scripts, invalid UTF-8) equal @huggingface/tokenizers' (make_expected.mjs), with and
 *     without the post-processor's special tokens; the first difference is reported with its string and position;
 *   - decode(encode(s)) == s: always for Llama-3 and DeepSeek-V3, NFC(s) for Qwen3 (its normalizer), and for
 *     Llama-2 when s holds no added token (the Prepend normalizer puts a "▁" after each, the reference's legacy
 *     behaviour, checked below as such) and no "▁" (U+2581: the decoder turns every one into a space); invalid
 *     UTF-8 comes back as its replacement reading;
 *   - streaming decode, one id at a time, gives the whole decode and never a piece of incomplete UTF-8, on the
 *     corpus and on random id sequences;
 *   - the components the four files do not use (Split behaviours, Digits, Metaspace, lstrip/rstrip/single_word,
 *     ignore_merges, other normalizers) on small hand-made files;
 *   - bad files (missing keys, wrong types, unknown types, truncated) give an error naming the key and value. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "core/bpe/bpe.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <utf8proc.h>

enum { QWEN3, LLAMA3, DEEPSEEK, LLAMA2, N_TOK };
static const char *NAMES[N_TOK] = {"qwen3", "llama3", "deepseek_v3", "llama2"};
static BpeTokenizer *toks[N_TOK];

typedef struct { char *s; size_t n; } Str;
static Str *corpus;
static size_t n_corpus;

/* ---- helpers ---- */
static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) { free(p); p = NULL; }
    fclose(f);
    if (p) { p[n] = 0; if (len) *len = (size_t)n; }
    return p;
}

static void write_file(const char *path, const char *s, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(s, 1, n, f), n);
    fclose(f);
}

static int hexv(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

/* s, C-escaped and cut to about max characters, for messages. */
static const char *show(const char *s, size_t n, size_t max) {
    static char buf[1024];
    size_t k = 0;
    for (size_t i = 0; i < n && k + 8 < sizeof buf && k < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') k += (size_t)snprintf(buf + k, sizeof buf - k, "\\n");
        else if (c == '\t') k += (size_t)snprintf(buf + k, sizeof buf - k, "\\t");
        else if (c == '"' || c == '\\') k += (size_t)snprintf(buf + k, sizeof buf - k, "\\%c", c);
        else if (c < 32 || c == 127) k += (size_t)snprintf(buf + k, sizeof buf - k, "\\x%02X", c);
        else buf[k++] = (char)c;
    }
    if (k >= max) k += (size_t)snprintf(buf + k, sizeof buf - k, "...");
    buf[k] = 0;
    return buf;
}

static int is_valid_utf8(const char *s, size_t n) {
    char *clean;
    size_t cn;
    if (bpe_utf8_sanitize(s, n, &clean, &cn)) return 0;
    int ok = cn == n && !memcmp(clean, s, n);
    free(clean);
    return ok;
}

static BpeIds encode(BpeTokenizer *t, const char *s, size_t n, int special) {
    BpeIds v = {0};
    assert_int_equal(bpe_encode(t, s, n, special, &v), 0);
    return v;
}

static int group_setup(void **state) {
    (void)state;
    char err[512], path[256];
    for (int i = 0; i < N_TOK; i++) {
        snprintf(path, sizeof path, "tokenizers/%s/tokenizer.json", NAMES[i]);
        if (!(toks[i] = bpe_load(path, err, sizeof err))) { fprintf(stderr, "%s\n", err); return -1; }
    }
    size_t len;
    char *hex = read_file("tokenizers/corpus.hex", &len);
    if (!hex) { fprintf(stderr, "cannot read tokenizers/corpus.hex (built from tests/fixtures)\n"); return -1; }
    for (size_t i = 0; i < len; i++) n_corpus += hex[i] == '\n';
    corpus = calloc(n_corpus, sizeof *corpus);
    char *p = hex;
    for (size_t i = 0; i < n_corpus; i++) {
        char *nl = strchr(p, '\n');
        size_t h = (size_t)(nl - p);
        corpus[i].n = h / 2;
        corpus[i].s = malloc(h / 2 + 1);
        for (size_t k = 0; k < h / 2; k++) corpus[i].s[k] = (char)(hexv(p[2 * k]) * 16 + hexv(p[2 * k + 1]));
        corpus[i].s[h / 2] = 0;
        p = nl + 1;
    }
    free(hex);
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    for (int i = 0; i < N_TOK; i++) bpe_free(toks[i]);
    for (size_t i = 0; i < n_corpus; i++) free(corpus[i].s);
    free(corpus);
    return 0;
}

/* ---- the reference ids ---- */
static void check_reference(int which) {
    BpeTokenizer *t = toks[which];
    char path[256];
    snprintf(path, sizeof path, "tokenizers/%s/expected.txt", NAMES[which]);
    char *exp = read_file(path, NULL);
    assert_non_null(exp);
    char *line = exp;
    size_t checked = 0;
    for (size_t i = 0; i < n_corpus; i++) {
        assert_non_null(line);
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        *nl = 0;
        char *part = line;
        for (int special = 1; special >= 0; special--) {
            char *tab = special ? strchr(part, '\t') : NULL;
            if (special) { assert_non_null(tab); *tab = 0; }
            BpeIds got = encode(t, corpus[i].s, corpus[i].n, special);
            size_t k = 0;
            char *q = part;
            for (;; k++) {
                while (*q == ' ') q++;
                int have = *q != 0;
                long want = have ? strtol(q, &q, 10) : -1;
                if (!have && k == got.n) break;
                if (!have || k >= got.n || got.ids[k] != want) {
                    fail_msg("%s: string %zu \"%s\" (add_special %d): at position %zu expected %ld, got %d "
                             "(%zu ids expected so far, %zu got in all)",
                             NAMES[which], i, show(corpus[i].s, corpus[i].n, 200), special, k, want,
                             k < got.n ? got.ids[k] : -1, k, got.n);
                }
            }
            /* the caller's-buffer form gives the same ids, and the count when the buffer is short */
            if (i % 97 == 0) {
                int small[4];
                long n = bpe_encode_buf(t, corpus[i].s, corpus[i].n, special, small, 4);
                assert_int_equal(n, (long)got.n);
                if (got.n <= 4 && got.n) assert_memory_equal(small, got.ids, got.n * sizeof *small);
            }
            bpe_ids_free(&got);
            checked++;
            if (special) part = tab + 1;
        }
        line = nl + 1;
    }
    free(exp);
    assert_int_equal(checked, 2 * n_corpus);
    assert_true(n_corpus >= 2000);
}

static void test_reference_qwen3(void **state) { (void)state; check_reference(QWEN3); }
static void test_reference_llama3(void **state) { (void)state; check_reference(LLAMA3); }
static void test_reference_deepseek_v3(void **state) { (void)state; check_reference(DEEPSEEK); }
static void test_reference_llama2(void **state) { (void)state; check_reference(LLAMA2); }

/* ---- round trips and streaming ---- */
static int has_added_token(BpeTokenizer *t, const char *s) {
    for (int i = 0; i < bpe_n_added(t); i++)
        if (strstr(s, bpe_added(t, i)->content)) return 1;
    return 0;
}

static void test_roundtrip(void **state) {
    (void)state;
    for (int w = 0; w < N_TOK; w++) {
        BpeTokenizer *t = toks[w];
        size_t exact = 0;
        for (size_t i = 0; i < n_corpus; i++) {
            char *clean;
            size_t cn;
            assert_int_equal(bpe_utf8_sanitize(corpus[i].s, corpus[i].n, &clean, &cn), 0);
            char *want = clean;
            size_t wn = cn;
            utf8proc_uint8_t *nfc = NULL;
            if (w == QWEN3 && cn) {   /* NFC normalizer: the text comes back composed */
                utf8proc_ssize_t k = utf8proc_map((const utf8proc_uint8_t *)clean, (utf8proc_ssize_t)cn, &nfc,
                                                  UTF8PROC_STABLE | UTF8PROC_COMPOSE);
                assert_true(k >= 0);
                want = (char *)nfc;
                wn = (size_t)k;
            }
            if (w == LLAMA2 && (has_added_token(t, clean) || strstr(clean, "\xE2\x96\x81"))) {
                free(clean);
                continue;
            }
            BpeIds ids = encode(t, corpus[i].s, corpus[i].n, 0);
            size_t dn;
            char *back = bpe_decode(t, ids.ids, ids.n, 0, &dn);
            assert_non_null(back);
            if (dn != wn || memcmp(back, want, wn) != 0) {
                char a[1100];
                snprintf(a, sizeof a, "%s", show(want, wn, 200));
                fail_msg("%s: string %zu: decode(encode(s)) = \"%s\", want \"%s\"", NAMES[w], i,
                         show(back, dn, 200), a);
            }
            exact++;
            free(back);
            bpe_ids_free(&ids);
            free(nfc);
            free(clean);
        }
        assert_true(exact >= n_corpus * 9 / 10);
    }
}

/* Llama-2's legacy normalizer: each stretch between added tokens gets its own "▁", so decoding puts a space
 * after each added token (as the reference does). */
static void test_llama2_added_tokens_spacing(void **state) {
    (void)state;
    BpeTokenizer *t = toks[LLAMA2];
    const char *s = "Hello</s>world";
    BpeIds ids = encode(t, s, strlen(s), 0);
    char *back = bpe_decode(t, ids.ids, ids.n, 0, NULL);
    assert_string_equal(back, "Hello</s> world");
    free(back);
    back = bpe_decode(t, ids.ids, ids.n, 1, NULL);
    assert_string_equal(back, "Hello world");
    free(back);
    bpe_ids_free(&ids);
}

/* Feeds ids one at a time; every piece must be whole UTF-8 and all of them together the whole decode. */
static void check_stream(BpeTokenizer *t, const int *ids, size_t n, int skip, const char *what) {
    size_t wn;
    char *whole = bpe_decode(t, ids, n, skip, &wn);
    assert_non_null(whole);
    BpeStream *s = bpe_stream_new(t, skip);
    assert_non_null(s);
    char *acc = malloc(wn + 1);
    size_t an = 0;
    for (size_t i = 0; i <= n; i++) {
        size_t len;
        const char *piece = i < n ? bpe_stream_feed(s, ids[i], &len) : bpe_stream_finish(s, &len);
        assert_non_null(piece);
        if (!is_valid_utf8(piece, len)) fail_msg("%s: piece %zu \"%s\" is not whole UTF-8", what, i, show(piece, len, 100));
        if (an + len > wn || memcmp(whole + an, piece, len) != 0)
            fail_msg("%s: piece %zu \"%s\" does not continue the whole decode", what, i, show(piece, len, 100));
        memcpy(acc + an, piece, len);
        an += len;
    }
    if (an != wn) fail_msg("%s: the stream gave %zu bytes, the whole decode %zu", what, an, wn);
    bpe_stream_free(s);
    free(acc);
    free(whole);
}

static void test_stream_corpus(void **state) {
    (void)state;
    for (int w = 0; w < N_TOK; w++)
        for (size_t i = 0; i < n_corpus; i++) {
            BpeIds ids = encode(toks[w], corpus[i].s, corpus[i].n, 1);
            char what[64];
            snprintf(what, sizeof what, "%s string %zu", NAMES[w], i);
            check_stream(toks[w], ids.ids, ids.n, 0, what);
            if (i % 5 == 0) check_stream(toks[w], ids.ids, ids.n, 1, what);
            bpe_ids_free(&ids);
        }
}

static void test_stream_random_ids(void **state) {
    (void)state;
    uint64_t x = 88172645463325252ull;
    for (int w = 0; w < N_TOK; w++) {
        int V = bpe_vocab_size(toks[w]);
        for (int r = 0; r < 400; r++) {
            int ids[48];
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            int n = (int)(x % 48);
            for (int k = 0; k < n; k++) {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                /* mostly single-byte tokens (ids below 300 in these files), some anything, some out of range */
                ids[k] = x % 4 ? (int)((x >> 8) % 300) : (int)((x >> 8) % (uint64_t)(V + 10)) - 5;
            }
            char what[64];
            snprintf(what, sizeof what, "%s random sequence %d", NAMES[w], r);
            check_stream(toks[w], ids, (size_t)n, (int)(x >> 40) & 1, what);
        }
    }
}

/* A character split over several tokens is held back until it is whole. */
static void test_stream_holds_partial_characters(void **state) {
    (void)state;
    BpeTokenizer *t = toks[LLAMA2];
    int ids[3] = {bpe_token_id(t, "<0xE4>"), bpe_token_id(t, "<0xBD>"), bpe_token_id(t, "<0xA0>")};
    int world = bpe_token_id(t, "▁world");
    assert_true(ids[0] >= 0 && ids[1] >= 0 && ids[2] >= 0 && world >= 0);
    BpeStream *s = bpe_stream_new(t, 0);
    size_t len;
    assert_string_equal(bpe_stream_feed(s, ids[0], &len), "");
    assert_string_equal(bpe_stream_feed(s, ids[1], &len), "");
    assert_string_equal(bpe_stream_feed(s, ids[2], &len), "");      /* a run of bytes is whole only at its end */
    assert_string_equal(bpe_stream_feed(s, world, &len), "你 world");
    assert_string_equal(bpe_stream_finish(s, &len), "");
    /* an invalid run: one U+FFFD per byte, as ByteFallback does */
    assert_string_equal(bpe_stream_feed(s, ids[0], &len), "");
    assert_string_equal(bpe_stream_feed(s, ids[1], &len), "");
    assert_string_equal(bpe_stream_feed(s, world, &len), "\xEF\xBF\xBD\xEF\xBF\xBD world");
    bpe_stream_free(s);

    t = toks[QWEN3];
    const char *text = "你🫠";
    BpeIds v = encode(t, text, strlen(text), 0);
    s = bpe_stream_new(t, 0);
    Str out = {calloc(64, 1), 0};
    for (size_t i = 0; i < v.n; i++) {
        const char *p = bpe_stream_feed(s, v.ids[i], &len);
        assert_true(is_valid_utf8(p, len));
        memcpy(out.s + out.n, p, len);
        out.n += len;
    }
    assert_string_equal(out.s, text);
    assert_true(v.n >= 3);   /* the emoji is more than one byte-level token: something was held back */
    bpe_stream_free(s);
    bpe_ids_free(&v);
    free(out.s);
}

/* ---- what the files say ---- */
static void test_vocab_and_specials(void **state) {
    (void)state;
    assert_int_equal(bpe_vocab_size(toks[QWEN3]), 151669);
    assert_int_equal(bpe_vocab_size(toks[LLAMA3]), 128256);
    assert_int_equal(bpe_vocab_size(toks[DEEPSEEK]), 128815);
    assert_int_equal(bpe_vocab_size(toks[LLAMA2]), 32000);
    assert_int_equal(bpe_token_id(toks[QWEN3], "<|endoftext|>"), 151643);
    assert_int_equal(bpe_token_id(toks[QWEN3], "<|im_start|>"), 151644);
    assert_int_equal(bpe_token_id(toks[QWEN3], "<|im_end|>"), 151645);
    assert_int_equal(bpe_token_id(toks[QWEN3], "<think>"), 151667);
    assert_int_equal(bpe_token_id(toks[QWEN3], "</think>"), 151668);
    assert_int_equal(bpe_token_id(toks[QWEN3], "Ġthe"), 279);
    assert_int_equal(bpe_token_id(toks[QWEN3], "no such token"), -1);
    assert_string_equal(bpe_token_text(toks[QWEN3], 151644), "<|im_start|>");
    assert_null(bpe_token_text(toks[QWEN3], 151669));
    assert_null(bpe_token_text(toks[QWEN3], -1));
    assert_int_equal(bpe_token_id(toks[LLAMA3], "<|begin_of_text|>"), 128000);
    assert_int_equal(bpe_token_id(toks[DEEPSEEK], "<｜begin▁of▁sentence｜>"), 0);
    assert_int_equal(bpe_token_id(toks[DEEPSEEK], "<｜end▁of▁sentence｜>"), 1);
    assert_int_equal(bpe_token_id(toks[LLAMA2], "<s>"), 1);
    assert_int_equal(bpe_token_id(toks[LLAMA2], "<0x0A>"), 13);
    assert_int_equal(bpe_n_added(toks[QWEN3]), 26);
    const BpeAddedToken *a = bpe_added(toks[QWEN3], 0);
    assert_string_equal(a->content, "<|endoftext|>");
    assert_true(a->special);
    assert_false(bpe_added(toks[QWEN3], 24)->special);   /* <think> is an added token, not a special one */
    assert_int_equal(bpe_bos_id(toks[LLAMA2]), 1);
    assert_int_equal(bpe_bos_id(toks[QWEN3]), -1);
    assert_int_equal(bpe_eos_id(toks[LLAMA2]), -1);
}

static void test_known_ids(void **state) {
    (void)state;
    struct { int w; const char *s; int special; int ids[8]; int n; } K[] = {
        {QWEN3, "Hello world", 1, {9707, 1879}, 2},
        {QWEN3, "Hello, world!", 0, {9707, 11, 1879, 0}, 4},
        {QWEN3, "<|im_start|>user\n", 0, {151644, 872, 198}, 3},
        {LLAMA3, "Hello world", 1, {9906, 1917}, 2},
        {LLAMA2, "Hello world", 1, {1, 22557, 1526}, 3},
        {LLAMA2, "Hello world", 0, {22557, 1526}, 2},
        {DEEPSEEK, "Hello world", 1, {19923, 2058}, 2},
    };
    for (size_t i = 0; i < sizeof K / sizeof *K; i++) {
        BpeIds v = encode(toks[K[i].w], K[i].s, strlen(K[i].s), K[i].special);
        assert_int_equal(v.n, K[i].n);
        assert_memory_equal(v.ids, K[i].ids, v.n * sizeof(int));
        bpe_ids_free(&v);
    }
}

/* tokenizer_config.json: DeepSeek's LlamaTokenizerFast with add_bos_token puts its BOS first, as transformers
 * does (tokenizer.json alone does not); Qwen's class keeps the file's post-processor. */
static void test_tokenizer_config(void **state) {
    (void)state;
    char err[512];
    BpeTokenizer *t = bpe_load("tokenizers/deepseek_v3/tokenizer.json", err, sizeof err);
    assert_non_null(t);
    assert_int_equal(bpe_load_config(t, GRPO_SOURCE_DIR "/tests/fixtures/tokenizers/deepseek_v3/tokenizer_config.json",
                                     err, sizeof err), 0);
    BpeIds v = encode(t, "Hello world", 11, 1);
    int want[] = {0, 19923, 2058};
    assert_int_equal(v.n, 3);
    assert_memory_equal(v.ids, want, sizeof want);
    bpe_ids_free(&v);
    v = encode(t, "Hello world", 11, 0);
    assert_int_equal(v.n, 2);
    bpe_ids_free(&v);
    assert_int_equal(bpe_bos_id(t), 0);
    assert_int_equal(bpe_load_config(t, "no/such/tokenizer_config.json", err, sizeof err), -1);
    assert_non_null(strstr(err, "no/such/tokenizer_config.json"));
    bpe_free(t);

    assert_int_equal(bpe_load_config(toks[QWEN3], GRPO_SOURCE_DIR "/tests/fixtures/tokenizers/qwen3/tokenizer_config.json",
                                     err, sizeof err), 0);
    v = encode(toks[QWEN3], "Hello world", 11, 1);
    assert_int_equal(v.n, 2);
    bpe_ids_free(&v);
    assert_int_equal(bpe_load_config(toks[LLAMA2], GRPO_SOURCE_DIR "/tests/fixtures/tokenizers/llama2/tokenizer_config.json",
                                     err, sizeof err), 0);
    v = encode(toks[LLAMA2], "Hello world", 11, 1);
    assert_int_equal(v.n, 3);
    assert_int_equal(v.ids[0], 1);
    bpe_ids_free(&v);
}

/* Invalid UTF-8 reads as WHATWG's decoder with replacement: one U+FFFD per maximal ill-formed subpart. */
static void test_invalid_utf8(void **state) {
    (void)state;
    struct { const char *in, *out; } K[] = {
        {"\xE4\xBD", "\xEF\xBF\xBD"},
        {"\xFF\xFF", "\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"\xF0\x9F\x98", "\xEF\xBF\xBD"},
        {"a\xE4\xBD" "b", "a\xEF\xBF\xBD" "b"},
        {"\xE0\xA0\x41", "\xEF\xBF\xBD" "A"},
        {"\xF4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"ok \xE4\xBD\xA0", "ok \xE4\xBD\xA0"},
    };
    for (size_t i = 0; i < sizeof K / sizeof *K; i++) {
        char *c;
        size_t n;
        assert_int_equal(bpe_utf8_sanitize(K[i].in, strlen(K[i].in), &c, &n), 0);
        assert_string_equal(c, K[i].out);
        free(c);
        for (int w = 0; w < N_TOK; w++) {
            BpeIds a = encode(toks[w], K[i].in, strlen(K[i].in), 0), b = encode(toks[w], K[i].out, strlen(K[i].out), 0);
            assert_int_equal(a.n, b.n);
            assert_memory_equal(a.ids, b.ids, a.n * sizeof(int));
            bpe_ids_free(&a);
            bpe_ids_free(&b);
        }
    }
}

/* ---- small hand-made files for the components the four files do not use ---- */
static const char *TMP = "bpe_tmp";

/* A tokenizer.json whose vocabulary is `vocab` (a JSON array of strings, ids in order), with ignore_merges, so
 * that each piece in the vocabulary comes out as one token: the pieces can be read back. */
static BpeTokenizer *small(const char *vocab_array, const char *extra, char *err, size_t errlen) {
    mkdir(TMP, 0755);
    char json[8192];
    int k = snprintf(json, sizeof json, "{\"model\": {\"type\": \"BPE\", \"ignore_merges\": true, \"merges\": [], \"vocab\": {");
    const char *p = vocab_array;
    int id = 0;
    while ((p = strchr(p, '"'))) {
        const char *e = p + 1;
        while (*e != '"') e += *e == '\\' ? 2 : 1;
        k += snprintf(json + k, sizeof json - (size_t)k, "%s%.*s: %d", id ? ", " : "", (int)(e - p + 1), p, id);
        id++;
        p = e + 1;
    }
    snprintf(json + k, sizeof json - (size_t)k, "}}%s%s}", *extra ? ", " : "", extra);
    char path[256];
    snprintf(path, sizeof path, "%s/small.json", TMP);
    write_file(path, json, strlen(json));
    return bpe_load(path, err, errlen);
}

/* The tokens of s, joined with '|'. */
static const char *pieces(BpeTokenizer *t, const char *s) {
    static char out[1024];
    BpeIds v = encode(t, s, strlen(s), 1);
    size_t k = 0;
    out[0] = 0;
    for (size_t i = 0; i < v.n; i++)
        k += (size_t)snprintf(out + k, sizeof out - k, "%s%s", i ? "|" : "", bpe_token_text(t, v.ids[i]));
    bpe_ids_free(&v);
    return out;
}

#define VOCAB_AD "[\"a\", \"-\", \"a-\", \"-a\", \"--\", \"a--\", \"--a\"]"

static void test_split_behaviours(void **state) {
    (void)state;
    char err[512];
    struct { const char *pt, *want; } K[] = {
        {"{\"type\": \"Split\", \"pattern\": {\"String\": \"-\"}, \"behavior\": \"Removed\", \"invert\": false}", "a|a|a"},
        {"{\"type\": \"Split\", \"pattern\": {\"String\": \"-\"}, \"behavior\": \"Isolated\", \"invert\": false}", "a|-|a|-|-|a"},
        {"{\"type\": \"Split\", \"pattern\": {\"String\": \"-\"}, \"behavior\": \"MergedWithPrevious\", \"invert\": false}", "a-|a-|-|a"},
        {"{\"type\": \"Split\", \"pattern\": {\"String\": \"-\"}, \"behavior\": \"MergedWithNext\", \"invert\": false}", "a|-a|-|-a"},
        {"{\"type\": \"Split\", \"pattern\": {\"String\": \"-\"}, \"behavior\": \"Contiguous\", \"invert\": false}", "a|-|a|--|a"},
        {"{\"type\": \"Split\", \"pattern\": {\"Regex\": \"-+\"}, \"behavior\": \"Isolated\", \"invert\": false}", "a|-|a|--|a"},
        {"{\"type\": \"Split\", \"pattern\": {\"Regex\": \"-+\"}, \"behavior\": \"Removed\", \"invert\": true}", "-|--"},
        {"{\"type\": \"Split\", \"pattern\": {\"Regex\": \"a\"}, \"behavior\": \"Removed\", \"invert\": true}", "a|a|a"},
    };
    for (size_t i = 0; i < sizeof K / sizeof *K; i++) {
        char extra[1024];
        snprintf(extra, sizeof extra, "\"pre_tokenizer\": %s", K[i].pt);
        BpeTokenizer *t = small(VOCAB_AD, extra, err, sizeof err);
        if (!t) fail_msg("%s", err);
        assert_string_equal(pieces(t, "a-a--a"), K[i].want);
        bpe_free(t);
    }
}

static void test_digits_metaspace_whitespace(void **state) {
    (void)state;
    char err[512];
    BpeTokenizer *t = small("[\"ab\", \"c\", \"1\", \"2\", \"3\", \"123\", \"45\", \"4\", \"5\"]",
                            "\"pre_tokenizer\": {\"type\": \"Digits\", \"individual_digits\": true}", err, sizeof err);
    assert_non_null(t);
    assert_string_equal(pieces(t, "ab123c45"), "ab|1|2|3|c|4|5");
    bpe_free(t);
    t = small("[\"ab\", \"c\", \"1\", \"2\", \"3\", \"123\", \"45\", \"4\", \"5\"]",
              "\"pre_tokenizer\": {\"type\": \"Digits\", \"individual_digits\": false}", err, sizeof err);
    assert_string_equal(pieces(t, "ab123c45"), "ab|123|c|45");
    bpe_free(t);
    t = small("[\"▁hello\", \"▁world\", \"▁\", \"h\", \"e\", \"l\", \"o\", \"w\", \"r\", \"d\"]",
              "\"pre_tokenizer\": {\"type\": \"Metaspace\", \"replacement\": \"▁\", \"prepend_scheme\": \"always\", "
              "\"split\": true}, \"decoder\": {\"type\": \"Metaspace\", \"replacement\": \"▁\", \"prepend_scheme\": "
              "\"always\", \"split\": true}", err, sizeof err);
    if (!t) fail_msg("%s", err);
    assert_string_equal(pieces(t, "hello world"), "▁hello|▁world");
    BpeIds v = encode(t, "hello world", 11, 0);
    char *back = bpe_decode(t, v.ids, v.n, 0, NULL);
    assert_string_equal(back, "hello world");
    free(back);
    bpe_ids_free(&v);
    bpe_free(t);
    t = small("[\"hi\", \"there\", \"!?\", \"h\", \"i\"]", "\"pre_tokenizer\": {\"type\": \"Whitespace\"}", err, sizeof err);
    assert_string_equal(pieces(t, " hi  there!? "), "hi|there|!?");
    bpe_free(t);
    t = small("[\"hi\", \"there!?\"]", "\"pre_tokenizer\": {\"type\": \"WhitespaceSplit\"}", err, sizeof err);
    assert_string_equal(pieces(t, "hi \n there!?"), "hi|there!?");
    bpe_free(t);
}

static void test_normalizers(void **state) {
    (void)state;
    char err[512];
    BpeTokenizer *t = small("[\"hello\", \"istanbul\", \"i̇stanbul\"]",
                            "\"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"Strip\", "
                            "\"strip_left\": true, \"strip_right\": true}, {\"type\": \"Lowercase\"}]}", err, sizeof err);
    if (!t) fail_msg("%s", err);
    assert_string_equal(pieces(t, "  HeLLo \n"), "hello");
    assert_string_equal(pieces(t, "İSTANBUL"), "i̇stanbul");
    bpe_free(t);
    t = small("[\"e\\u0301\", \"é\", \"x\"]", "\"normalizer\": {\"type\": \"NFD\"}", err, sizeof err);
    assert_string_equal(pieces(t, "é"), "e\xCC\x81");
    bpe_free(t);
    t = small("[\"e\\u0301\", \"é\", \"fi\"]", "\"normalizer\": {\"type\": \"NFKC\"}", err, sizeof err);
    assert_string_equal(pieces(t, "e\xCC\x81"), "é");
    assert_string_equal(pieces(t, "ﬁ"), "fi");
    bpe_free(t);
    t = small("[\"a_b\", \"a\"]", "\"normalizer\": {\"type\": \"Replace\", \"pattern\": {\"Regex\": \"\\\\s+\"}, "
              "\"content\": \"_\"}", err, sizeof err);
    if (!t) fail_msg("%s", err);
    assert_string_equal(pieces(t, "a \t b"), "a_b");
    bpe_free(t);
}

static void test_added_token_flags(void **state) {
    (void)state;
    char err[512];
    const char *added =
        "\"added_tokens\": [{\"id\": 10, \"content\": \"<L>\", \"lstrip\": true, \"special\": true},"
        " {\"id\": 11, \"content\": \"<R>\", \"rstrip\": true, \"special\": true},"
        " {\"id\": 12, \"content\": \"cat\", \"single_word\": true, \"special\": false},"
        " {\"id\": 13, \"content\": \"<LONG>\", \"special\": true}, {\"id\": 14, \"content\": \"<LO\", \"special\": true}]";
    BpeTokenizer *t = small("[\"x\", \" \", \"cats\", \"c\", \"a\", \"t\", \"s\", \"<\", \"L\", \"O\"]", added, err, sizeof err);
    if (!t) fail_msg("%s", err);
    assert_string_equal(pieces(t, "x  <L>  x"), "x|<L>| | |x");     /* lstrip takes the spaces before it */
    assert_string_equal(pieces(t, "x  <R>  x"), "x| | |<R>|x");     /* rstrip the spaces after it */
    assert_string_equal(pieces(t, "x cat x"), "x| |cat| |x");
    assert_string_equal(pieces(t, "cats"), "cats");                 /* single_word: not inside a word */
    assert_string_equal(pieces(t, "<LONG><LO"), "<LONG>|<LO");      /* the longest match first */
    assert_int_equal(bpe_vocab_size(t), 15);
    bpe_free(t);
}

/* ---- bad files ---- */
static void expect_error(const char *json, const char *want) {
    char path[256], err[512];
    mkdir(TMP, 0755);
    snprintf(path, sizeof path, "%s/bad.json", TMP);
    write_file(path, json, strlen(json));
    BpeTokenizer *t = bpe_load(path, err, sizeof err);
    if (t) fail_msg("loaded, expected an error with '%s': %s", want, json);
    if (!strstr(err, want) || !strstr(err, path)) fail_msg("error '%s' does not say '%s' (and the file)", err, want);
}

#define M_OK "\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, \"merges\": [\"a b\"]}"

static void test_bad_files(void **state) {
    (void)state;
    char err[512];
    assert_null(bpe_load("no/such/tokenizer.json", err, sizeof err));
    assert_non_null(strstr(err, "no/such/tokenizer.json"));
    expect_error("", "line 1");
    expect_error("[1, 2]", "expected a JSON object");
    expect_error("{}", "model is missing");
    expect_error("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}", "model.type = \"WordPiece\" is not supported");
    expect_error("{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}", "model.type = \"Unigram\"");
    expect_error("{\"model\": {\"type\": 7}}", "model.type = 7: expected a string");
    expect_error("{\"model\": {\"vocab\": {}}}", "model.type is missing");
    expect_error("{\"model\": {\"type\": \"BPE\", \"vocab\": [], \"merges\": []}}", "model.vocab = []");
    expect_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": \"x\"}, \"merges\": []}}", "model.vocab[\"a\"] = \"x\"");
    expect_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}}}", "model.merges = (missing)");
    expect_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [3]}}", "model.merges[0] = 3");
    expect_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a c\"]}}",
                 "model.merges[0] = \"a c\": \"c\" is not in the vocabulary");
    expect_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [[\"a\", \"a\"]]}}",
                 "\"aa\" is not in the vocabulary");
    expect_error("{\"model\": {\"type\": \"BPE\", \"dropout\": 0.1, \"vocab\": {}, \"merges\": []}}", "model.dropout = 0.1");
    expect_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": [], \"unk_token\": \"<unk>\"}}",
                 "model.unk_token = \"<unk>\": not in the vocabulary");
    expect_error("{\"model\": {\"type\": \"BPE\", \"continuing_subword_prefix\": \"##\", \"vocab\": {}, \"merges\": []}}",
                 "model.continuing_subword_prefix = \"##\"");
    expect_error("{" M_OK ", \"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"}}",
                 "pre_tokenizer.type = \"BertPreTokenizer\" is not supported");
    expect_error("{" M_OK ", \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Digits\"},"
                 " {\"type\": \"Punctuation\"}]}}", "pre_tokenizer.pretokenizers[1].type = \"Punctuation\"");
    expect_error("{" M_OK ", \"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"(\"}, "
                 "\"behavior\": \"Isolated\"}}", "pre_tokenizer.pattern.Regex = \"(\"");
    expect_error("{" M_OK ", \"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"a\"}, "
                 "\"behavior\": \"Sideways\"}}", "pre_tokenizer.behavior = \"Sideways\"");
    expect_error("{" M_OK ", \"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": \"a\", \"behavior\": \"Isolated\"}}",
                 "pre_tokenizer.pattern = \"a\"");
    expect_error("{" M_OK ", \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"ByteLevel\"},"
                 " {\"type\": \"Digits\"}]}}", "after a ByteLevel pre-tokenizer");
    expect_error("{" M_OK ", \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": \"yes\"}}",
                 "pre_tokenizer.add_prefix_space = \"yes\": expected true or false");
    expect_error("{" M_OK ", \"normalizer\": {\"type\": \"BertNormalizer\"}}", "normalizer.type = \"BertNormalizer\"");
    expect_error("{" M_OK ", \"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"Precompiled\"}]}}",
                 "normalizer.normalizers[0].type = \"Precompiled\"");
    expect_error("{" M_OK ", \"normalizer\": {\"type\": \"Prepend\"}}", "normalizer.prepend is missing");
    expect_error("{" M_OK ", \"decoder\": {\"type\": \"WordPiece\"}}", "decoder.type = \"WordPiece\"");
    expect_error("{" M_OK ", \"decoder\": {\"type\": \"Sequence\", \"decoders\": [{\"type\": \"Fuse\"}, "
                 "{\"type\": \"ByteFallback\"}]}}", "ByteFallback after Fuse");
    expect_error("{" M_OK ", \"decoder\": {\"type\": \"Strip\", \"content\": \" \", \"start\": \"1\", \"stop\": 0}}",
                 "decoder.start = \"1\"");
    expect_error("{" M_OK ", \"post_processor\": {\"type\": \"RobertaProcessing\"}}",
                 "post_processor.type = \"RobertaProcessing\"");
    expect_error("{" M_OK ", \"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": "
                 "{\"id\": \"<s>\"}}, {\"Sequence\": {\"id\": \"A\"}}], \"special_tokens\": {}}}",
                 "post_processor.special_tokens[\"<s>\"].ids = (missing)");
    expect_error("{" M_OK ", \"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": [{\"Sequence\": "
                 "{\"id\": \"B\"}}]}}", "post_processor.single[0].Sequence.id = \"B\"");
    expect_error("{" M_OK ", \"added_tokens\": {}}", "added_tokens = {}");
    expect_error("{" M_OK ", \"added_tokens\": [{\"id\": \"3\", \"content\": \"<s>\"}]}", "added_tokens[0].id = \"3\"");
    expect_error("{" M_OK ", \"added_tokens\": [{\"id\": 3}]}", "added_tokens[0].content is missing");
    expect_error("{" M_OK ", \"added_tokens\": [{\"id\": 3, \"content\": \"<s>\", \"special\": 1}]}",
                 "added_tokens[0].special = 1");
}

/* Every prefix of a real file (the Llama-2 one, cut at many lengths) is refused with the parser's position, never
 * a crash; the whole of it loads. */
static void test_truncated_files(void **state) {
    (void)state;
    size_t len;
    char *json = read_file("tokenizers/llama2/tokenizer.json", &len);
    assert_non_null(json);
    char path[256], err[512];
    mkdir(TMP, 0755);
    snprintf(path, sizeof path, "%s/cut.json", TMP);
    size_t cuts[] = {1, 2, 10, 100, 1000, 2000, 5000, 100000, len / 2, len - 100, len - 2, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        write_file(path, json, cuts[i]);
        BpeTokenizer *t = bpe_load(path, err, sizeof err);
        if (t) fail_msg("a file cut at %zu of %zu bytes loaded", cuts[i], len);
        assert_non_null(strstr(err, "line "));
    }
    write_file(path, json, len);
    BpeTokenizer *t = bpe_load(path, err, sizeof err);
    assert_non_null(t);
    bpe_free(t);
    free(json);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vocab_and_specials),      cmocka_unit_test(test_known_ids),
        cmocka_unit_test(test_reference_qwen3),         cmocka_unit_test(test_reference_llama3),
        cmocka_unit_test(test_reference_deepseek_v3),   cmocka_unit_test(test_reference_llama2),
        cmocka_unit_test(test_roundtrip),               cmocka_unit_test(test_llama2_added_tokens_spacing),
        cmocka_unit_test(test_stream_corpus),           cmocka_unit_test(test_stream_random_ids),
        cmocka_unit_test(test_stream_holds_partial_characters), cmocka_unit_test(test_tokenizer_config),
        cmocka_unit_test(test_invalid_utf8),            cmocka_unit_test(test_split_behaviours),
        cmocka_unit_test(test_digits_metaspace_whitespace), cmocka_unit_test(test_normalizers),
        cmocka_unit_test(test_added_token_flags),       cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_truncated_files),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
