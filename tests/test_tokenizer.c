/* test_tokenizer.c - the character tokenizer: specials as single tokens, round trips, and errors that name the
 * offending character and its byte position. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "core/tokenizer.h"
#include <stdio.h>
#include <string.h>

static Tokenizer tok;
static char err[256];

static int setup(void **state) {
    (void)state;
    return tokenizer_init(&tok, TOKENIZER_DEFAULT_ALPHABET, err, sizeof err);
}

static void test_default_alphabet(void **state) {
    (void)state;
    assert_int_equal(tok.n_chars, 96); /* '\n' + 95 printable */
    assert_int_equal(tok.V, TOK_N_SPECIAL + 96);
    assert_int_equal(tok.id_of['\n'], TOK_N_SPECIAL);
    assert_int_equal(tok.id_of['~'], tok.V - 1);
    assert_int_equal(tok.id_of['\t'], -1);
    assert_int_equal(tok.id_of[0xC3], -1);
    assert_string_equal(tokenizer_special_text(TOK_THINK), "<think>");
    assert_string_equal(tokenizer_special_text(TOK_ANSWER_END), "</answer>");
    assert_null(tokenizer_special_text(TOK_N_SPECIAL));
    assert_null(tokenizer_special_text(-1));
}

static void test_specials_are_single_tokens(void **state) {
    (void)state;
    int ids[64];
    int n = tokenizer_encode(&tok, "12+3=<think>5</think><answer>15</answer><eos>", ids, 64, err, sizeof err);
    int want[] = {tok.id_of['1'], tok.id_of['2'], tok.id_of['+'], tok.id_of['3'], tok.id_of['='], TOK_THINK,
                  tok.id_of['5'], TOK_THINK_END, TOK_ANSWER, tok.id_of['1'], tok.id_of['5'], TOK_ANSWER_END,
                  TOK_EOS};
    assert_int_equal(n, (int)(sizeof want / sizeof want[0]));
    for (int i = 0; i < n; i++) assert_int_equal(ids[i], want[i]);
    n = tokenizer_encode(&tok, "<pad><bos>", ids, 64, err, sizeof err);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], TOK_PAD);
    assert_int_equal(ids[1], TOK_BOS);
}

static void roundtrip(const char *s) {
    int ids[512];
    char out[1024];
    int n = tokenizer_encode(&tok, s, ids, 512, err, sizeof err);
    assert_true(n >= 0);
    int len = tokenizer_decode(&tok, ids, n, out, sizeof out);
    assert_int_equal(len, (int)strlen(s));
    assert_string_equal(out, s);
}

static void test_roundtrip(void **state) {
    (void)state;
    roundtrip("");
    roundtrip("hello, world!\n");
    roundtrip("<think>a</think><answer>b</answer>");
    /* Near-misses of specials are plain characters and must come back unchanged. */
    roundtrip("<thin <think <<think>> </think </answer <answer>> <Think> < think>");
    roundtrip("a<b>c</d> x<y && y>z");
    roundtrip("{}[]|\\^_`~@#$%&'\"");
    char all[200];
    snprintf(all, sizeof all, "%s", TOKENIZER_DEFAULT_ALPHABET);
    roundtrip(all);
}

static void test_unknown_character(void **state) {
    (void)state;
    int ids[64];
    assert_int_equal(tokenizer_encode(&tok, "ab\x01" "c", ids, 64, err, sizeof err), -1);
    assert_non_null(strstr(err, "\\x01"));
    assert_non_null(strstr(err, "byte 2"));
    assert_int_equal(tokenizer_encode(&tok, "x\xC3\xA9", ids, 64, err, sizeof err), -1); /* "xé" in UTF-8 */
    assert_non_null(strstr(err, "\\xC3"));
    assert_non_null(strstr(err, "byte 1"));
    assert_int_equal(tokenizer_encode(&tok, "tab\there", ids, 64, err, sizeof err), -1);
    assert_non_null(strstr(err, "\\x09"));
    assert_non_null(strstr(err, "byte 3"));

    Tokenizer small;
    assert_int_equal(tokenizer_init(&small, "abc", err, sizeof err), 0);
    assert_int_equal(small.V, TOK_N_SPECIAL + 3);
    assert_int_equal(tokenizer_encode(&small, "abd", ids, 64, err, sizeof err), -1);
    assert_non_null(strstr(err, "'d'"));
    assert_non_null(strstr(err, "byte 2"));
    /* Specials need no alphabet entry. */
    assert_int_equal(tokenizer_encode(&small, "a<think>b", ids, 64, err, sizeof err), 3);
}

static void test_capacity(void **state) {
    (void)state;
    int ids[4];
    assert_int_equal(tokenizer_encode(&tok, "abcd", ids, 4, err, sizeof err), 4);
    assert_int_equal(tokenizer_encode(&tok, "abcde", ids, 4, err, sizeof err), -2);
    assert_non_null(strstr(err, "4 tokens"));
}

static void test_decode_edges(void **state) {
    (void)state;
    int ids[] = {tok.id_of['o'], -1, tok.V, TOK_EOS, tok.id_of['k']};
    char out[64];
    int n = tokenizer_decode(&tok, ids, 5, out, sizeof out);
    assert_string_equal(out, "o\xEF\xBF\xBD\xEF\xBF\xBD<eos>k");
    assert_int_equal(n, (int)strlen(out));
    /* Truncation: the return value is the length needed, like snprintf. */
    char tiny[4];
    n = tokenizer_decode(&tok, ids + 3, 2, tiny, sizeof tiny);
    assert_int_equal(n, 6);
    assert_string_equal(tiny, "<eo");
    assert_int_equal(tokenizer_decode(&tok, ids, 0, tiny, sizeof tiny), 0);
    assert_string_equal(tiny, "");
}

static void test_init_errors(void **state) {
    (void)state;
    Tokenizer t;
    assert_int_equal(tokenizer_init(&t, "abca", err, sizeof err), -1);
    assert_non_null(strstr(err, "'a'"));
    assert_int_equal(tokenizer_init(&t, "ab\x7f\x7f", err, sizeof err), -1);
    assert_non_null(strstr(err, "\\x7F"));
    assert_int_equal(tokenizer_init(&t, "", err, sizeof err), -1);
    assert_non_null(strstr(err, "empty"));
    char big[TOKENIZER_MAX_CHARS + 2];
    for (int i = 0; i < TOKENIZER_MAX_CHARS + 1; i++) big[i] = (char)(i + 1);
    big[TOKENIZER_MAX_CHARS + 1] = '\0';
    assert_int_equal(tokenizer_init(&t, big, err, sizeof err), -1);
    assert_non_null(strstr(err, "129"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_alphabet),  cmocka_unit_test(test_specials_are_single_tokens),
        cmocka_unit_test(test_roundtrip),         cmocka_unit_test(test_unknown_character),
        cmocka_unit_test(test_capacity),          cmocka_unit_test(test_decode_edges),
        cmocka_unit_test(test_init_errors),
    };
    return cmocka_run_group_tests_name("tokenizer", tests, setup, NULL);
}
