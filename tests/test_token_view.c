/* test_token_view.c - the per-token view's pure parts (ui/token_view.h): the colour bucket of a log-prob, an entropy
 * or a ratio at and around every edge, the legend's words, token pieces from the character tokenizer (specials,
 * newlines, tabs, an ASCII terminal) and from a byte-level BPE tokenizer whose tokens split a UTF-8 character, and
 * the wrapping of pieces into rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ui/token_view.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

static void test_buckets(void **state) {
    (void)state;
    /* log-prob: sure at the top */
    assert_int_equal(token_view_bucket(TV_LOGPROB, 0.0f), 0);
    assert_int_equal(token_view_bucket(TV_LOGPROB, -0.1f), 0);
    assert_int_equal(token_view_bucket(TV_LOGPROB, -0.11f), 1);
    assert_int_equal(token_view_bucket(TV_LOGPROB, -0.5f), 1);
    assert_int_equal(token_view_bucket(TV_LOGPROB, -1.0f), 2);
    assert_int_equal(token_view_bucket(TV_LOGPROB, -2.0f), 3);
    assert_int_equal(token_view_bucket(TV_LOGPROB, -2.31f), 4);
    assert_int_equal(token_view_bucket(TV_LOGPROB, -INFINITY), 4);
    /* entropy: low is sure */
    assert_int_equal(token_view_bucket(TV_ENTROPY, 0.0f), 0);
    assert_int_equal(token_view_bucket(TV_ENTROPY, 0.1f), 1);
    assert_int_equal(token_view_bucket(TV_ENTROPY, 0.5f), 2);
    assert_int_equal(token_view_bucket(TV_ENTROPY, 1.0f), 3);
    assert_int_equal(token_view_bucket(TV_ENTROPY, 1.5f), 4);
    assert_int_equal(token_view_bucket(TV_ENTROPY, 9.0f), 4);
    /* ratio: unchanged in the middle, pushed down below, pushed up above */
    assert_int_equal(token_view_bucket(TV_RATIO, 0.5f), 0);
    assert_int_equal(token_view_bucket(TV_RATIO, 0.8f), 1);
    assert_int_equal(token_view_bucket(TV_RATIO, 1.0f), 2);
    assert_int_equal(token_view_bucket(TV_RATIO, 1.1f), 3);
    assert_int_equal(token_view_bucket(TV_RATIO, 1.2f), 4);
    assert_int_equal(token_view_bucket(TV_RATIO, NAN), -1);
    /* every bucket is named, in order */
    assert_string_equal(token_view_bucket_label(TV_LOGPROB, 0), ">=-0.1");
    assert_string_equal(token_view_bucket_label(TV_ENTROPY, 4), ">=1.5");
    assert_string_equal(token_view_bucket_label(TV_RATIO, 2), "0.95-1.05");
    assert_string_equal(token_view_bucket_label(TV_RATIO, 5), "?");
    assert_string_equal(token_view_measure_name(TV_ENTROPY), "entropy");
}

static void test_char_pieces(void **state) {
    (void)state;
    Tokenizer tok;
    char err[256];
    assert_int_equal(tokenizer_init(&tok, "0123456789+-=\n \tabcdefghijklmnopqrstuvwxyz", err, sizeof err), 0);
    int ids[64];
    const char *text = "7+8=15\nwait\tok</think><answer>15</answer>";
    int n = tokenizer_encode(&tok, text, ids, 64, err, sizeof err);
    assert_true(n > 0);
    char out[512];
    TokenPiece p[64];
    assert_int_equal(token_view_pieces(&tok, ids, n, 1, out, sizeof out, p), 0);
    assert_int_equal(p[0].len, 1);
    assert_memory_equal(out + p[0].start, "7", 1);
    assert_memory_equal(out + p[6].start, "\xe2\x86\xb5", 3); /* the newline shows as a return mark ... */
    assert_int_equal(p[6].cols, 1);
    assert_int_equal(p[6].newline, 1);                         /* ... and ends the row */
    assert_memory_equal(out + p[11].start, "\xe2\x86\x92", 3); /* a tab as an arrow */
    assert_int_equal(p[14].len, 8);                            /* a special is one token: "</think>" */
    assert_memory_equal(out + p[14].start, "</think>", 8);
    assert_int_equal(p[14].cols, 8);
    /* an ASCII terminal */
    assert_int_equal(token_view_pieces(&tok, ids, n, 0, out, sizeof out, p), 0);
    assert_memory_equal(out + p[6].start, "$", 1);
    /* too small a buffer is an error, not an overflow */
    assert_int_equal(token_view_pieces(&tok, ids, n, 1, out, 10, p), -1);
    /* rows: the newline ends the first; a narrow width wraps between pieces, never inside "</answer>" */
    int rows[64];
    assert_int_equal(token_view_wrap(p, n, 80, rows, 64), 2);
    assert_int_equal(rows[1], 7);
    int r = token_view_wrap(p, n, 9, rows, 64);
    for (int i = 0; i < r; i++) {
        int end = i + 1 < r ? rows[i + 1] : n, cols = 0;
        for (int j = rows[i]; j < end; j++) cols += p[j].cols;
        assert_true(cols <= 9);
    }
    assert_int_equal(token_view_wrap(p, n, 3, NULL, 0), token_view_wrap(p, n, 3, rows, 64));
    assert_int_equal(token_view_wrap(p, 0, 10, rows, 64), 0);
    tokenizer_free(&tok);
}

static void test_bpe_pieces_split_characters(void **state) {
    (void)state;
    Tokenizer tok;
    char err[512];
    if (tokenizer_load_hf(&tok, "tokenizers/qwen3/tokenizer.json", err, sizeof err) != 0) fail_msg("%s", err);
    const char *text = "ok \xf0\x9f\xa6\x99\xe7\x8c\xab x"; /* a llama emoji and a CJK character */
    int ids[64];
    int n = tokenizer_encode(&tok, text, ids, 64, err, sizeof err);
    assert_true(n > 0);
    char out[512];
    TokenPiece p[64];
    assert_int_equal(token_view_pieces(&tok, ids, n, 1, out, sizeof out, p), 0);
    /* every piece has a box; the pieces that are not dots spell the text; a split character leaves dots */
    char spelled[128] = "";
    int dots = 0, cols = 0;
    for (int i = 0; i < n; i++) {
        assert_true(p[i].cols >= 1);
        cols += p[i].cols;
        if (p[i].len == 2 && !memcmp(out + p[i].start, "\xc2\xb7", 2)) { dots++; continue; }
        strncat(spelled, out + p[i].start, (size_t)p[i].len);
    }
    assert_string_equal(spelled, text);
    assert_true(dots >= 1);   /* the 4-byte emoji is more than one byte-level token */
    assert_int_equal(cols, 3 + 2 + 2 + 2 + dots); /* "ok ", two wide characters, " x", one column a dot */
    tokenizer_free(&tok);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_char_pieces),
        cmocka_unit_test(test_bpe_pieces_split_characters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
