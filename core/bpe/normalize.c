/* normalize.c - the normalizers, applied in file order to each stretch of text between added tokens. Unicode
 * normalization (NFC, NFD, NFKC, NFKD) is utf8proc's; text that it cannot change (ASCII; for NFC, no code point
 * from U+0300 up) is passed through without the call. */
#include "core/bpe/bpe_internal.h"
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static int is_ascii(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80) return 0;
    return 1;
}

/* Every code point is one that NFC leaves alone whatever surrounds it (no decomposition, combining class 0, never
 * the second of a composition): below U+0300, kana and CJK punctuation (less the tone and voicing marks), CJK
 * ideographs, zero-width spaces and joiners, variation selectors, fullwidth forms, emoji. Then NFC is a copy. */
static int nfc_stable(const char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0xCC) { i++; continue; }             /* ASCII, a continuation byte, or a lead below U+0300 */
        int len;
        uint32_t cp = utf8_next(s + i, &len);
        i += (size_t)len;
        if ((cp >= 0x3000 && cp <= 0x3029) || (cp >= 0x3030 && cp <= 0x3098) || (cp >= 0x309B && cp <= 0x30FF) ||
            (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0xFE00 && cp <= 0xFE0F) ||
            (cp >= 0xFF01 && cp <= 0xFFEF) || (cp >= 0x1F000 && cp <= 0x1FAFF))
            continue;
        return 0;
    }
    return 1;
}

static int unicode_norm(int kind, const char *s, size_t n, Buf *out) {
    out->n = 0;
    if (is_ascii(s, n) || (kind == NORM_NFC && nfc_stable(s, n))) return buf_add(out, s, n);
    utf8proc_option_t opt = UTF8PROC_STABLE;
    switch (kind) {
    case NORM_NFC: opt |= UTF8PROC_COMPOSE; break;
    case NORM_NFD: opt |= UTF8PROC_DECOMPOSE; break;
    case NORM_NFKC: opt |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    default: opt |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
    }
    utf8proc_uint8_t *dst = NULL;
    utf8proc_ssize_t k = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &dst, opt);
    if (k < 0) { free(dst); return -1; }
    int rc = buf_add(out, dst, (size_t)k);
    free(dst);
    return rc;
}

static int replace_str(const NormStep *st, const char *s, size_t n, Buf *out) {
    out->n = 0;
    size_t i = 0;
    while (i < n) {
        const char *hit = memmem(s + i, n - i, st->a, st->alen);
        if (!hit) break;
        if (buf_add(out, s + i, (size_t)(hit - (s + i))) || buf_add(out, st->b, st->blen)) return -1;
        i = (size_t)(hit - s) + st->alen;
    }
    return buf_add(out, s + i, n - i);
}

static int replace_re(const NormStep *st, const char *s, size_t n, Buf *out) {
    out->n = 0;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(st->re, NULL);
    if (!md) return -1;
    size_t i = 0, from = 0;
    int rc = 0;
    while (from <= n) {
        int r = pcre2_match(st->re, (PCRE2_SPTR)s, n, from, PCRE2_NO_UTF_CHECK, md, NULL);
        if (r < 0) break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        if (buf_add(out, s + i, ov[0] - i) || buf_add(out, st->b, st->blen)) { rc = -1; break; }
        i = ov[1];
        if (ov[1] == ov[0]) {        /* an empty match: step over one character */
            if (ov[1] >= n) { from = n + 1; break; }
            from = ov[1] + (size_t)utf8_len((unsigned char)s[ov[1]]);
            if (buf_add(out, s + i, from - i)) { rc = -1; break; }
            i = from;
        } else
            from = ov[1];
    }
    pcre2_match_data_free(md);
    if (rc) return -1;
    return buf_add(out, s + i, i <= n ? n - i : 0);
}

/* Rust's char::to_lowercase: utf8proc's simple mapping, and the one unconditional special case (U+0130). */
static int lowercase(const char *s, size_t n, Buf *out) {
    out->n = 0;
    for (size_t i = 0; i < n;) {
        int len;
        uint32_t cp = utf8_next(s + i, &len);
        i += (size_t)len;
        if (cp < 0x80) { if (buf_addc(out, (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp))) return -1; continue; }
        if (cp == 0x130) { if (buf_add(out, "i\xCC\x87", 3)) return -1; continue; }
        if (buf_add_cp(out, (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp))) return -1;
    }
    return 0;
}

static int strip(const NormStep *st, const char *s, size_t n, Buf *out) {
    size_t a = 0, b = n;
    if (st->left)
        while (a < b) {
            int len;
            uint32_t cp = utf8_next(s + a, &len);
            if (!is_unicode_space(cp)) break;
            a += (size_t)len;
        }
    if (st->right)
        while (b > a) {
            size_t k = b - 1;
            while (k > a && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
            int len;
            if (!is_unicode_space(utf8_next(s + k, &len))) break;
            b = k;
        }
    out->n = 0;
    return buf_add(out, s + a, b - a);
}

int bpe_normalize(const BpeTokenizer *t, const char *s, size_t n, Buf *out) {
    Buf tmp = {0};
    out->n = 0;
    if (buf_add(out, s, n)) return -1;
    for (int k = 0; k < t->n_norm; k++) {
        const NormStep *st = &t->norm[k];
        int rc;
        switch (st->kind) {
        case NORM_PREPEND:
            if (out->n == 0) continue;        /* the reference prepends to non-empty text only */
            tmp.n = 0;
            rc = buf_add(&tmp, st->a, st->alen) || buf_add(&tmp, out->p, out->n);
            break;
        case NORM_REPLACE: rc = st->re ? replace_re(st, out->p, out->n, &tmp) : replace_str(st, out->p, out->n, &tmp); break;
        case NORM_LOWERCASE: rc = lowercase(out->p, out->n, &tmp); break;
        case NORM_STRIP: rc = strip(st, out->p, out->n, &tmp); break;
        default: rc = unicode_norm(st->kind, out->p, out->n, &tmp); break;
        }
        if (rc) { buf_free(&tmp); return -1; }
        Buf sw = *out;
        *out = tmp;
        tmp = sw;
    }
    buf_free(&tmp);
    if (!out->p && buf_reserve(out, 0)) return -1;
    return 0;
}
