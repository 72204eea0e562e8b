/* fuzz_bpe_json.c - fuzzes bpe_load (core/bpe/load.c) on tokenizer.json files: every key it reads, the
 * normalizers, pre-tokenizers (with their regexes compiled by PCRE2), model, post-processor and decoder.
 *
 * Input: the bytes of tokenizer.json. Suggested -max_len: 4096.
 *
 * A file that loads is then used: a fixed text with ASCII, CJK, emoji, spaces, an added-token-like tag and
 * invalid UTF-8 is encoded with and without special tokens, and the ids decoded whole and streamed; the stream's
 * pieces must be whole UTF-8 adding up to the whole decode (a difference aborts). */
#include "core/bpe/bpe.h"
#include "tests/fuzz/fuzz_files.h"
#include <stdint.h>
#include <string.h>

static const char TEXT[] = "Hello, world! a-a--a 123 ab12 \xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x98\x80  \n\t x<s>y "
                           "\xE2\x96\x81z <|im_start|> \xFF\xE4\xBD caf\x65\xCC\x81 \xC4\xB0 end  ";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[1024];
    BpeTokenizer *t = bpe_load(fuzz_write("tokenizer.json", data, size), err, sizeof err);
    if (!t) return 0;
    for (int special = 0; special < 2; special++) {
        BpeIds ids = {0};
        if (bpe_encode(t, TEXT, sizeof TEXT - 1, special, &ids)) abort();
        for (int skip = 0; skip < 2; skip++) {
            size_t wl;
            char *whole = bpe_decode(t, ids.ids, ids.n, skip, &wl);
            BpeStream *st = bpe_stream_new(t, skip);
            if (!whole || !st) abort();
            size_t at = 0;
            for (size_t i = 0; i <= ids.n; i++) {
                size_t len;
                const char *p = i < ids.n ? bpe_stream_feed(st, ids.ids[i], &len) : bpe_stream_finish(st, &len);
                char *c;
                size_t cn;
                if (!p || bpe_utf8_sanitize(p, len, &c, &cn)) abort();
                int whole_piece = cn == len && !memcmp(c, p, len);
                free(c);
                if (!whole_piece || at + len > wl || memcmp(whole + at, p, len) != 0) {
                    fprintf(stderr, "stream piece %zu differs from the whole decode\n", i);
                    abort();
                }
                at += len;
            }
            if (at != wl) abort();
            bpe_stream_free(st);
            free(whole);
        }
        bpe_ids_free(&ids);
    }
    bpe_token_id(t, "<s>");
    bpe_token_text(t, 0);
    bpe_free(t);
    return 0;
}
