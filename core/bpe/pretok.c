/* pretok.c - the pre-tokenizers: each splits every piece of the previous one (a Sequence runs them in order).
 * Regexes are the file's, run by PCRE2 with UTF and Unicode properties; a split follows the reference's
 * SplitDelimiterBehavior (Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous) and `invert`. */
#include "core/bpe/bpe_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Oniguruma's \s is the White_Space property; PCRE2's (with UCP) adds U+180E. The set, for a character class. */
#define ONIG_SPACE "\\t\\n\\x0B\\f\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}"

pcre2_code *bpe_regex_compile(const char *pat, size_t len, char *err, size_t errlen) {
    Buf b = {0};
    int in_class = 0;
    size_t class_start = 0;
    for (size_t i = 0; i < len; i++) {
        char c = pat[i];
        int rc = 0;
        if (c == '\\' && i + 1 < len) {
            char d = pat[++i];
            if (d == 's') rc = in_class ? buf_add(&b, ONIG_SPACE, sizeof ONIG_SPACE - 1)
                                        : buf_add(&b, "[" ONIG_SPACE "]", sizeof ONIG_SPACE + 1);
            else if (d == 'S' && !in_class) rc = buf_add(&b, "[^" ONIG_SPACE "]", sizeof ONIG_SPACE + 2);
            else rc = buf_addc(&b, '\\') || buf_addc(&b, d);
        } else {
            if (!in_class && c == '[') { in_class = 1; class_start = i; }
            else if (in_class && c == ']' && i != class_start + 1 && !(i == class_start + 2 && pat[class_start + 1] == '^'))
                in_class = 0;
            rc = buf_addc(&b, c);
        }
        if (rc) { buf_free(&b); if (err) snprintf(err, errlen, "out of memory"); return NULL; }
    }
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)(b.p ? b.p : ""), b.n, PCRE2_UTF | PCRE2_UCP, &ec, &eo, NULL);
    buf_free(&b);
    if (!re) {
        if (err) {
            PCRE2_UCHAR msg[200];
            pcre2_get_error_message(ec, msg, sizeof msg);
            snprintf(err, errlen, "PCRE2 cannot compile it: %s", (char *)msg);
        }
        return NULL;
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);    /* when JIT is unavailable, pcre2_match interprets */
    return re;
}

void pieces_free(Pieces *ps) { free(ps->p); ps->p = NULL; ps->n = ps->cap = 0; buf_free(&ps->text); }

static int piece_push(Piece **p, size_t *n, size_t *cap, size_t off, size_t len, int own) {
    if (len == 0) return 0;
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        Piece *q = realloc(*p, c * sizeof *q);
        if (!q) return -1;
        *p = q;
        *cap = c;
    }
    (*p)[(*n)++] = (Piece){off, len, own};
    return 0;
}

/* Spans of one piece: (start, end, is_match) in the piece's offsets, in order, covering it. */
typedef struct { size_t a, b; int m; } Span;
typedef struct { Span *s; size_t n, cap; } Spans;

static int span_push(Spans *sp, size_t a, size_t b, int m) {
    if (sp->n == sp->cap) {
        size_t c = sp->cap ? sp->cap * 2 : 64;
        Span *q = realloc(sp->s, c * sizeof *q);
        if (!q) return -1;
        sp->s = q;
        sp->cap = c;
    }
    sp->s[sp->n++] = (Span){a, b, m};
    return 0;
}

/* The reference's find_matches for a regex: matches and the gaps between them. Returns 0, -1 out of memory, -2
 * when PCRE2 gave up (match or stack limit). */
static int regex_spans(pcre2_code *re, pcre2_match_data *md, const char *s, size_t n, Spans *sp) {
    size_t prev = 0, from = 0;
    pcre2_match_context *mc = NULL;
    pcre2_jit_stack *js = NULL;
    int rc = 0;
    while (from <= n) {
        int r = pcre2_match(re, (PCRE2_SPTR)s, n, from, PCRE2_NO_UTF_CHECK, md, mc);
        if (r == PCRE2_ERROR_NOMATCH) break;
        if (r == PCRE2_ERROR_JIT_STACKLIMIT && !js) {   /* a deep backtrack: retry with a large stack */
            if (!(mc = pcre2_match_context_create(NULL)) || !(js = pcre2_jit_stack_create(1 << 16, 1 << 26, NULL))) {
                rc = -1;
                break;
            }
            pcre2_jit_stack_assign(mc, NULL, js);
            continue;
        }
        if (r < 0) { rc = -2; break; }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        if (ov[0] > prev && span_push(sp, prev, ov[0], 0)) { rc = -1; break; }
        if (span_push(sp, ov[0], ov[1], 1)) { rc = -1; break; }
        prev = ov[1];
        if (ov[1] == ov[0]) {
            if (ov[1] >= n) break;
            from = ov[1] + (size_t)utf8_len((unsigned char)s[ov[1]]);
        } else
            from = ov[1];
    }
    if (js) pcre2_jit_stack_free(js);
    if (mc) pcre2_match_context_free(mc);
    if (rc) return rc;
    if (prev < n && span_push(sp, prev, n, 0)) return -1;
    return 0;
}

static int literal_spans(const char *lit, size_t ln, const char *s, size_t n, Spans *sp) {
    size_t prev = 0;
    while (prev < n) {
        const char *hit = memmem(s + prev, n - prev, lit, ln);
        if (!hit) break;
        size_t a = (size_t)(hit - s);
        if (a > prev && span_push(sp, prev, a, 0)) return -1;
        if (span_push(sp, a, a + ln, 1)) return -1;
        prev = a + ln;
    }
    if (prev < n && span_push(sp, prev, n, 0)) return -1;
    return 0;
}

static int is_numeric(uint32_t cp) {
    if (cp < 0x80) return cp >= '0' && cp <= '9';
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

/* The reference's find_matches for a character predicate: each matching character is one match. which: 0 numeric,
 * 1 whitespace, 2 the code point `cp`. */
static int char_spans(int which, uint32_t want, const char *s, size_t n, Spans *sp) {
    size_t last = 0;
    for (size_t i = 0; i < n;) {
        int len;
        uint32_t cp = utf8_next(s + i, &len);
        int m = which == 0 ? is_numeric(cp) : which == 1 ? is_unicode_space(cp) : cp == want;
        if (m) {
            if (last < i && span_push(sp, last, i, 0)) return -1;
            if (span_push(sp, i, i + (size_t)len, 1)) return -1;
            last = i + (size_t)len;
        }
        i += (size_t)len;
    }
    if (last < n && span_push(sp, last, n, 0)) return -1;
    return 0;
}

/* The behaviors of the reference's NormalizedString::split over spans (m = the span is a delimiter). */
static int apply_behavior(Spans *sp, int behavior, int invert, size_t base, int own, Piece **out, size_t *n,
                          size_t *cap) {
    if (invert)
        for (size_t i = 0; i < sp->n; i++) sp->s[i].m = !sp->s[i].m;
    Span *s = sp->s;
    size_t k = 0;                                   /* spans kept, merged in place */
    switch (behavior) {
    case SPLIT_REMOVED:
        for (size_t i = 0; i < sp->n; i++)
            if (!s[i].m) s[k++] = s[i];
        break;
    case SPLIT_ISOLATED: k = sp->n; break;
    case SPLIT_MERGED_PREV: {
        int prev_m = 0;
        for (size_t i = 0; i < sp->n; i++) {
            if (s[i].m && !prev_m && k > 0) s[k - 1].b = s[i].b;
            else s[k++] = s[i];
            prev_m = s[i].m;
        }
        break;
    }
    case SPLIT_MERGED_NEXT: {
        int prev_m = 0;                             /* walked from the end, as the reference does */
        size_t w = sp->n;
        for (size_t i = sp->n; i-- > 0;) {
            if (s[i].m && !prev_m && w < sp->n) s[w].a = s[i].a;
            else s[--w] = s[i];
            prev_m = s[i].m;
        }
        memmove(s, s + w, (sp->n - w) * sizeof *s);
        k = sp->n - w;
        break;
    }
    default: {                                      /* Contiguous */
        int prev_m = 0;
        for (size_t i = 0; i < sp->n; i++) {
            if (s[i].m == prev_m && k > 0) s[k - 1].b = s[i].b;
            else s[k++] = s[i];
            prev_m = s[i].m;
        }
        break;
    }
    }
    for (size_t i = 0; i < k; i++)
        if (piece_push(out, n, cap, base + s[i].a, s[i].b - s[i].a, own)) return -1;
    return 0;
}

int bpe_pretokenize(const BpeTokenizer *t, const char *s, size_t n, int first, Pieces *out) {
    Piece *cur = NULL, *nxt = NULL;
    size_t ncur = 0, ccur = 0, nnxt = 0, cnxt = 0;
    Spans sp = {0};
    int rc = 0;
    out->n = 0;
    out->text.n = 0;
    if (piece_push(&cur, &ncur, &ccur, 0, n, 0)) return -1;
    for (int k = 0; k < t->n_pt && rc == 0; k++) {
        const PtStep *st = &t->pt[k];
        pcre2_match_data *md = NULL;
        if (st->re && !(md = pcre2_match_data_create_from_pattern(st->re, NULL))) { rc = -1; break; }
        nnxt = 0;
        for (size_t i = 0; i < ncur && rc == 0; i++) {
            Piece p = cur[i];
            sp.n = 0;
            if (st->kind == PT_METASPACE || (st->kind == PT_BYTELEVEL && st->add_prefix_space)) {
                /* rewrite the piece into the owned text: spaces replaced, a prefix added */
                int meta = st->kind == PT_METASPACE;
                size_t extra = meta ? p.len * (size_t)(st->repl_len > 1 ? st->repl_len - 1 : 0) + (size_t)st->repl_len : 1;
                if (buf_reserve(&out->text, p.len + extra)) { rc = -1; break; }
                const char *src = piece_ptr(out, s, &p);
                size_t start = out->text.n;
                if (meta) {
                    int starts = (size_t)st->repl_len <= p.len && !memcmp(src, st->repl, (size_t)st->repl_len);
                    int starts_space = p.len > 0 && src[0] == ' ';
                    int pre = !starts && !starts_space &&
                              (st->prepend_scheme == PREPEND_ALWAYS ||
                               (st->prepend_scheme == PREPEND_FIRST && first && p.off == 0 && !p.own));
                    if (starts_space && st->prepend_scheme == PREPEND_NEVER) pre = 0;
                    if (pre) buf_add(&out->text, st->repl, (size_t)st->repl_len);
                    for (size_t j = 0; j < p.len; j++) {
                        if (src[j] == ' ') buf_add(&out->text, st->repl, (size_t)st->repl_len);
                        else buf_addc(&out->text, src[j]);
                    }
                } else {
                    if (src[0] != ' ') buf_addc(&out->text, ' ');
                    buf_add(&out->text, src, p.len);
                }
                p = (Piece){start, out->text.n - start, 1};
                if (meta && !st->split) { rc = piece_push(&nxt, &nnxt, &cnxt, p.off, p.len, 1); continue; }
                if (!meta && !st->use_regex) { rc = piece_push(&nxt, &nnxt, &cnxt, p.off, p.len, 1); continue; }
            }
            const char *src = piece_ptr(out, s, &p);
            int behavior = SPLIT_ISOLATED, invert = 0;
            switch (st->kind) {
            case PT_SPLIT:
                rc = st->re ? regex_spans(st->re, md, src, p.len, &sp) : literal_spans(st->lit, st->litlen, src, p.len, &sp);
                behavior = st->behavior;
                invert = st->invert;
                break;
            case PT_BYTELEVEL:
                if (!st->use_regex) { rc = piece_push(&nxt, &nnxt, &cnxt, p.off, p.len, p.own); continue; }
                rc = regex_spans(st->re, md, src, p.len, &sp);
                break;
            case PT_DIGITS:
                rc = char_spans(0, 0, src, p.len, &sp);
                behavior = st->individual_digits ? SPLIT_ISOLATED : SPLIT_CONTIGUOUS;
                break;
            case PT_METASPACE: {
                int len;
                rc = char_spans(2, utf8_next(st->repl, &len), src, p.len, &sp);
                behavior = SPLIT_MERGED_NEXT;
                break;
            }
            case PT_WHITESPACE:
                rc = regex_spans(st->re, md, src, p.len, &sp);
                behavior = SPLIT_REMOVED;
                invert = 1;
                break;
            default:                                /* WhitespaceSplit */
                rc = char_spans(1, 0, src, p.len, &sp);
                behavior = SPLIT_REMOVED;
                break;
            }
            if (rc == 0) rc = apply_behavior(&sp, behavior, invert, p.off, p.own, &nxt, &nnxt, &cnxt);
        }
        if (md) pcre2_match_data_free(md);
        Piece *sw = cur; cur = nxt; nxt = sw;
        size_t sc = ccur; ccur = cnxt; cnxt = sc;
        ncur = nnxt;
    }
    free(nxt);
    free(sp.s);
    if (rc) { free(cur); return rc; }
    free(out->p);
    out->p = cur;
    out->n = ncur;
    out->cap = ccur;
    return 0;
}
