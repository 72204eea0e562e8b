/* test_sha256.c - SHA-256 against the FIPS 180-2 / NIST example vectors, one-shot and fed in odd-sized pieces. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "core/sha256.h"

static const struct { const char *msg; const char *hex; } VECTORS[] = {
    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    {"The quick brown fox jumps over the lazy dog",
     "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"},
};

static void test_vectors(void **state) {
    (void)state;
    char hex[65];
    for (size_t i = 0; i < sizeof(VECTORS) / sizeof(VECTORS[0]); i++) {
        sha256_hex(VECTORS[i].msg, strlen(VECTORS[i].msg), hex);
        assert_string_equal(hex, VECTORS[i].hex);
    }
}

/* One million 'a', fed in pieces of 1, 7, 63, 64, 65 ... bytes: every path through the block buffer. */
static void test_million_a_in_pieces(void **state) {
    (void)state;
    const size_t n = 1000000;
    char *a = malloc(n);
    assert_non_null(a);
    memset(a, 'a', n);
    static const size_t pieces[] = {1, 7, 63, 64, 65, 1000, 4096};
    for (size_t k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
        Sha256 s;
        unsigned char d[32];
        char hex[65];
        sha256_init(&s);
        for (size_t off = 0; off < n; off += pieces[k])
            sha256_update(&s, a + off, off + pieces[k] <= n ? pieces[k] : n - off);
        sha256_final(&s, d);
        sha256_to_hex(d, hex);
        assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    }
    free(a);
}

/* Lengths around the padding boundary (55, 56, 63, 64 bytes) agree between one-shot and byte-by-byte. */
static void test_padding_boundaries(void **state) {
    (void)state;
    unsigned char buf[130];
    for (int i = 0; i < 130; i++) buf[i] = (unsigned char)(i * 37 + 11);
    for (size_t len = 50; len <= 130; len++) {
        char one[65], bytewise[65];
        unsigned char d[32];
        Sha256 s;
        sha256_hex(buf, len, one);
        sha256_init(&s);
        for (size_t i = 0; i < len; i++) sha256_update(&s, buf + i, 1);
        sha256_final(&s, d);
        sha256_to_hex(d, bytewise);
        assert_string_equal(one, bytewise);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_million_a_in_pieces),
        cmocka_unit_test(test_padding_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
