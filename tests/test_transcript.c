/* test_transcript.c - byte roles (prompt, thinking, answer, tags, reflection words, search matches) and wrapping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "ui/transcript.h"

/* The roles as one letter per byte: p prompt, o other, t think, a answer, g tag, r reflect, m match. */
static void roles_str(const char *text, size_t prompt_len, const char *search, char *out) {
    size_t len = strlen(text);
    unsigned char roles[512];
    transcript_roles(text, len, prompt_len, search, roles);
    for (size_t i = 0; i < len; i++) out[i] = "potagrm"[roles[i]];
    out[len] = 0;
}

static void test_roles(void **state) {
    (void)state;
    const char *prompt = "Q 1+2=? <think>";
    char text[256], r[256];
    snprintf(text, sizeof text, "%s1+2=3 wait ok</think><answer>3</answer>", prompt);
    roles_str(text, strlen(prompt), NULL, r);
    char want[256];
    snprintf(want, sizeof want, "%s%s%s%s%s%s%s", "ppppppppppppppp", "tttttt", "rrrr", "ttt", "gggggggg",
             "gggggggg", "a" "ggggggggg");
    assert_string_equal(r, want);
}

static void test_reflection_only_in_thinking_and_on_word_boundaries(void **state) {
    (void)state;
    char r[256];
    /* "awaiting" is no reflection word; "Wait," is; in the answer nothing is marked */
    roles_str("awaiting Wait,</think><answer>wait</answer>", 0, NULL, r);
    assert_string_equal(r, "ttttttttt" "rrrr" "t" "gggggggg" "gggggggg" "aaaa" "ggggggggg");
    roles_str("let me check again", 0, NULL, r);
    assert_int_equal(r[0], 't');  /* "let me check" is verification, not a reflection phrase */
    assert_int_equal(r[7], 'r');  /* "check again" is one */
}

static void test_search_matches(void **state) {
    (void)state;
    char r[256];
    roles_str("P<think>abc ABC</think>", 8, "bc", r);
    assert_string_equal(r, "pppppppp" "tmmttmm" "gggggggg");
    roles_str("P<think>abc ABC</think>", 8, "\"ab*\" zz", r);
    assert_string_equal(r, "pppppppp" "mmttmmt" "gggggggg");
    roles_str("P", 1, "P", r);       /* the prompt is never matched */
    assert_string_equal(r, "p");
}

static void test_wrap(void **state) {
    (void)state;
    TextLine L[16];
    const char *t = "hello world foo";
    int n = transcript_wrap(t, strlen(t), 11, L, 16);
    assert_int_equal(n, 2);
    assert_int_equal(L[0].len, 11);                    /* "hello world", the space after it dropped */
    assert_int_equal(L[1].start, 12);
    assert_int_equal(L[1].len, 3);
    n = transcript_wrap(t, strlen(t), 8, L, 16);
    assert_int_equal(n, 3);                             /* "hello" / "world" / "foo": breaks at spaces */
    assert_int_equal(L[0].len, 5);
    assert_int_equal(L[1].start, 6);
    assert_int_equal(L[1].len, 5);
    const char *hard = "abcdefghij";
    n = transcript_wrap(hard, 10, 4, L, 16);            /* no space: hard breaks */
    assert_int_equal(n, 3);
    assert_int_equal(L[2].len, 2);
    const char *nl = "a\n\nb\n";
    n = transcript_wrap(nl, strlen(nl), 10, L, 16);
    assert_int_equal(n, 4);                             /* "a", "", "b", "" */
    assert_int_equal(L[1].len, 0);
    assert_int_equal(L[2].start, 3);
    assert_int_equal(transcript_wrap("", 0, 10, L, 16), 0);
    const char *u = "\xe2\xa3\x80\xe2\xa3\x80\xe2\xa3\x80";  /* 3 columns of UTF-8 */
    n = transcript_wrap(u, strlen(u), 3, L, 16);
    assert_int_equal(n, 1);
    n = transcript_wrap(u, strlen(u), 2, L, 16);
    assert_int_equal(n, 2);
    assert_int_equal(L[0].len, 6);
    assert_int_equal(transcript_wrap(hard, 10, 1, NULL, 0), 10);   /* counting only */
    /* wide characters take two columns (a BPE model's Chinese), combining marks none */
    const char *cjk = "\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c\xe4\xbd\xa0\xe5\xa5\xbd"; /* 6 chars, 12 cols */
    n = transcript_wrap(cjk, strlen(cjk), 5, L, 16);
    assert_int_equal(n, 3);
    assert_int_equal(L[0].len, 6);                      /* two characters: a third would make 6 columns */
    const char *mix = "ab\xe4\xbd\xa0";
    n = transcript_wrap(mix, strlen(mix), 3, L, 16);
    assert_int_equal(n, 2);                             /* "ab" (2) + a wide one would be 4 */
    assert_int_equal(L[0].len, 2);
    const char *comb = "e\xcc\x81" "e\xcc\x81" "e\xcc\x81"; /* e + combining acute, three times: 3 columns */
    assert_int_equal(transcript_wrap(comb, strlen(comb), 3, L, 16), 1);
    assert_int_equal(transcript_wrap(cjk, strlen(cjk), 1, NULL, 0), 6); /* one wide character per line */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_reflection_only_in_thinking_and_on_word_boundaries),
        cmocka_unit_test(test_search_matches),
        cmocka_unit_test(test_wrap),
    };
    return cmocka_run_group_tests_name("transcript", tests, NULL, NULL);
}
