/* load.c - tokenizer.json (and tokenizer_config.json) into a BpeTokenizer. Every key this module reads is
 * checked for its type, and every component it does not implement is refused: the message names the file, the key
 * path (such as pre_tokenizer.pretokenizers[1].type) and the value. */
#include "core/bpe/bpe_internal.h"
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { const char *file; char *err; size_t errlen; } Ctx;

static int fail(Ctx *c, const char *fmt, ...) {
    if (!c->err || !c->errlen) return -1;
    int k = snprintf(c->err, c->errlen, "%s: ", c->file);
    if (k < 0 || (size_t)k >= c->errlen) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + k, c->errlen - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

/* A short JSON rendering of v for messages. */
static const char *show(const json_t *v, char *buf, size_t cap) {
    if (!v) { snprintf(buf, cap, "(missing)"); return buf; }
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!s) { snprintf(buf, cap, "(?)"); return buf; }
    if (strlen(s) > 80) snprintf(buf, cap, "%.77s...", s);
    else snprintf(buf, cap, "%s", s);
    free(s);
    return buf;
}

static int bad(Ctx *c, const char *path, const char *key, const json_t *v, const char *why) {
    char b[128];
    return fail(c, "%s%s%s = %s: %s", path, *path && *key ? "." : "", key, show(v, b, sizeof b), why);
}

/* Optional boolean: absent or null gives def. */
static int get_bool(Ctx *c, const json_t *o, const char *path, const char *key, int def, int *out) {
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) { *out = def; return 0; }
    if (!json_is_boolean(v)) return bad(c, path, key, v, "expected true or false");
    *out = json_is_true(v);
    return 0;
}

/* Required string (or optional when opt: NULL if absent or null). */
static int get_str(Ctx *c, const json_t *o, const char *path, const char *key, int opt, const char **out,
                   size_t *len) {
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) {
        if (opt) { *out = NULL; if (len) *len = 0; return 0; }
        return fail(c, "%s%s%s is missing", path, *path ? "." : "", key);
    }
    if (!json_is_string(v)) return bad(c, path, key, v, "expected a string");
    *out = json_string_value(v);
    if (len) *len = json_string_length(v);
    return 0;
}

static char *dupn(const char *s, size_t n) {
    char *p = malloc(n + 1);
    if (p) { memcpy(p, s, n); p[n] = 0; }
    return p;
}

/* pattern: {"String": s} or {"Regex": r}. */
static int get_pattern(Ctx *c, const json_t *o, const char *path, const char **s, size_t *n, int *is_regex) {
    json_t *p = json_object_get(o, "pattern");
    if (!json_is_object(p)) return bad(c, path, "pattern", p, "expected {\"String\": ...} or {\"Regex\": ...}");
    json_t *v;
    if ((v = json_object_get(p, "String")) && json_is_string(v)) *is_regex = 0;
    else if ((v = json_object_get(p, "Regex")) && json_is_string(v)) *is_regex = 1;
    else return bad(c, path, "pattern", p, "expected {\"String\": ...} or {\"Regex\": ...}");
    *s = json_string_value(v);
    *n = json_string_length(v);
    return 0;
}

static int type_of(Ctx *c, const json_t *o, const char *path, const char **type) {
    if (!json_is_object(o)) {
        char b[128];
        return fail(c, "%s = %s: expected an object", path, show(o, b, sizeof b));
    }
    return get_str(c, o, path, "type", 0, type, NULL);
}

static int unsupported(Ctx *c, const char *path, const char *type, const char *what) {
    return fail(c, "%s.type = \"%s\" is not supported (%s)", path, type, what);
}

static pcre2_code *regex(Ctx *c, const char *path, const char *pat, size_t n) {
    char e[256];
    pcre2_code *re = bpe_regex_compile(pat, n, e, sizeof e);
    if (!re) {
        char b[128];
        json_t *s = json_stringn(pat, n);
        fail(c, "%s.pattern.Regex = %s: %s", path, show(s, b, sizeof b), e);
        json_decref(s);
    }
    return re;
}

/* ---- normalizers ---- */
static int add_norm(BpeTokenizer *t, NormStep *s) {
    NormStep *p = realloc(t->norm, (size_t)(t->n_norm + 1) * sizeof *p);
    if (!p) return -1;
    t->norm = p;
    t->norm[t->n_norm++] = *s;
    return 0;
}

static int parse_norm(Ctx *c, BpeTokenizer *t, const json_t *o, const char *path, int depth) {
    const char *type;
    if (depth > 16) return fail(c, "%s: Sequence nested too deep", path);
    if (type_of(c, o, path, &type)) return -1;
    NormStep s = {0};
    if (!strcmp(type, "Sequence")) {
        json_t *a = json_object_get(o, "normalizers");
        if (!json_is_array(a)) return bad(c, path, "normalizers", a, "expected an array");
        for (size_t i = 0; i < json_array_size(a); i++) {
            char sub[256];
            snprintf(sub, sizeof sub, "%s.normalizers[%zu]", path, i);
            if (parse_norm(c, t, json_array_get(a, i), sub, depth + 1)) return -1;
        }
        return 0;
    }
    if (!strcmp(type, "NFC")) s.kind = NORM_NFC;
    else if (!strcmp(type, "NFD")) s.kind = NORM_NFD;
    else if (!strcmp(type, "NFKC")) s.kind = NORM_NFKC;
    else if (!strcmp(type, "NFKD")) s.kind = NORM_NFKD;
    else if (!strcmp(type, "Lowercase")) s.kind = NORM_LOWERCASE;
    else if (!strcmp(type, "Prepend")) {
        const char *p; size_t n;
        s.kind = NORM_PREPEND;
        if (get_str(c, o, path, "prepend", 0, &p, &n)) return -1;
        if (!(s.a = dupn(p, n))) return fail(c, "out of memory");
        s.alen = n;
    } else if (!strcmp(type, "Replace")) {
        const char *p, *r; size_t n, rn; int is_re;
        s.kind = NORM_REPLACE;
        if (get_pattern(c, o, path, &p, &n, &is_re) || get_str(c, o, path, "content", 0, &r, &rn)) return -1;
        if (is_re && !(s.re = regex(c, path, p, n))) return -1;
        if (!is_re && n == 0) return bad(c, path, "pattern", json_object_get(o, "pattern"), "empty pattern");
        s.a = dupn(p, n); s.alen = n;
        s.b = dupn(r, rn); s.blen = rn;
        if (!s.a || !s.b) { free(s.a); free(s.b); pcre2_code_free(s.re); return fail(c, "out of memory"); }
    } else if (!strcmp(type, "Strip")) {
        s.kind = NORM_STRIP;
        if (get_bool(c, o, path, "strip_left", 1, &s.left) || get_bool(c, o, path, "strip_right", 1, &s.right))
            return -1;
    } else
        return unsupported(c, path, type, "normalizers: NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Strip, "
                                          "Sequence");
    if (add_norm(t, &s)) { free(s.a); free(s.b); pcre2_code_free(s.re); return fail(c, "out of memory"); }
    return 0;
}

/* ---- pre-tokenizers ---- */
static int add_pt(BpeTokenizer *t, PtStep *s) {
    PtStep *p = realloc(t->pt, (size_t)(t->n_pt + 1) * sizeof *p);
    if (!p) return -1;
    t->pt = p;
    t->pt[t->n_pt++] = *s;
    return 0;
}

static int behavior_of(Ctx *c, const json_t *o, const char *path, int *out) {
    const char *b;
    if (get_str(c, o, path, "behavior", 0, &b, NULL)) return -1;
    static const char *NAMES[] = {"Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"};
    for (int i = 0; i < 5; i++)
        if (!strcmp(b, NAMES[i])) { *out = i; return 0; }
    return bad(c, path, "behavior", json_object_get(o, "behavior"),
               "expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous");
}

/* The regex of GPT-2's ByteLevel pre-tokenizer (use_regex), as the reference has it. */
static const char GPT2_PATTERN[] = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

static int metaspace_fields(Ctx *c, const json_t *o, const char *path, uint32_t *repl, int *scheme) {
    const char *r; size_t n;
    if (get_str(c, o, path, "replacement", 0, &r, &n)) return -1;
    int len;
    if (n == 0 || (size_t)utf8_len((unsigned char)r[0]) != n || (*repl = utf8_next(r, &len), (size_t)len != n))
        return bad(c, path, "replacement", json_object_get(o, "replacement"), "expected one character");
    json_t *ps = json_object_get(o, "prepend_scheme");
    if (ps && !json_is_null(ps)) {
        const char *v = json_is_string(ps) ? json_string_value(ps) : "";
        if (!strcmp(v, "always")) *scheme = PREPEND_ALWAYS;
        else if (!strcmp(v, "first")) *scheme = PREPEND_FIRST;
        else if (!strcmp(v, "never")) *scheme = PREPEND_NEVER;
        else return bad(c, path, "prepend_scheme", ps, "expected \"always\", \"first\" or \"never\"");
    } else {
        int aps;
        if (get_bool(c, o, path, "add_prefix_space", 1, &aps)) return -1;
        *scheme = aps ? PREPEND_ALWAYS : PREPEND_NEVER;
    }
    return 0;
}

static int parse_pt(Ctx *c, BpeTokenizer *t, const json_t *o, const char *path, int depth) {
    const char *type;
    if (depth > 16) return fail(c, "%s: Sequence nested too deep", path);
    if (type_of(c, o, path, &type)) return -1;
    PtStep s = {0};
    if (!strcmp(type, "Sequence")) {
        json_t *a = json_object_get(o, "pretokenizers");
        if (!json_is_array(a)) return bad(c, path, "pretokenizers", a, "expected an array");
        for (size_t i = 0; i < json_array_size(a); i++) {
            char sub[256];
            snprintf(sub, sizeof sub, "%s.pretokenizers[%zu]", path, i);
            if (parse_pt(c, t, json_array_get(a, i), sub, depth + 1)) return -1;
        }
        return 0;
    }
    if (t->byte_level)
        return fail(c, "%s.type = \"%s\" after a ByteLevel pre-tokenizer is not supported (ByteLevel must come "
                       "last)", path, type);
    if (!strcmp(type, "Split")) {
        const char *p; size_t n; int is_re;
        s.kind = PT_SPLIT;
        if (get_pattern(c, o, path, &p, &n, &is_re) || behavior_of(c, o, path, &s.behavior) ||
            get_bool(c, o, path, "invert", 0, &s.invert))
            return -1;
        if (is_re) { if (!(s.re = regex(c, path, p, n))) return -1; }
        else {
            if (n == 0) return bad(c, path, "pattern", json_object_get(o, "pattern"), "empty pattern");
            if (!(s.lit = dupn(p, n))) return fail(c, "out of memory");
            s.litlen = n;
        }
    } else if (!strcmp(type, "ByteLevel")) {
        s.kind = PT_BYTELEVEL;
        if (get_bool(c, o, path, "add_prefix_space", 1, &s.add_prefix_space) ||
            get_bool(c, o, path, "use_regex", 1, &s.use_regex))
            return -1;
        if (s.use_regex && !(s.re = bpe_regex_compile(GPT2_PATTERN, sizeof GPT2_PATTERN - 1, NULL, 0)))
            return fail(c, "cannot compile the GPT-2 pattern");
        t->byte_level = 1;
    } else if (!strcmp(type, "Digits")) {
        s.kind = PT_DIGITS;
        if (get_bool(c, o, path, "individual_digits", 0, &s.individual_digits)) return -1;
    } else if (!strcmp(type, "Metaspace")) {
        uint32_t repl;
        s.kind = PT_METASPACE;
        if (metaspace_fields(c, o, path, &repl, &s.prepend_scheme) || get_bool(c, o, path, "split", 1, &s.split))
            return -1;
        Buf b = {0};
        if (buf_add_cp(&b, repl)) return fail(c, "out of memory");
        memcpy(s.repl, b.p, b.n);
        s.repl_len = (int)b.n;
        buf_free(&b);
    } else if (!strcmp(type, "Whitespace")) {
        static const char W[] = "\\w+|[^\\w\\s]+";
        s.kind = PT_WHITESPACE;
        if (!(s.re = bpe_regex_compile(W, sizeof W - 1, NULL, 0))) return fail(c, "cannot compile \\w+|[^\\w\\s]+");
    } else if (!strcmp(type, "WhitespaceSplit")) {
        s.kind = PT_WSSPLIT;
    } else
        return unsupported(c, path, type, "pre-tokenizers: Split, ByteLevel, Digits, Metaspace, Whitespace, "
                                          "WhitespaceSplit, Sequence");
    if (add_pt(t, &s)) { pcre2_code_free(s.re); free(s.lit); return fail(c, "out of memory"); }
    return 0;
}

/* ---- post-processor ---- */
static int push_ids(int **ids, int *n, const int *add, int k) {
    int *p = realloc(*ids, (size_t)(*n + k + 1) * sizeof *p);
    if (!p) return -1;
    *ids = p;
    memcpy(p + *n, add, (size_t)k * sizeof *add);
    *n += k;
    return 0;
}

static int parse_template(Ctx *c, BpeTokenizer *t, const json_t *o, const char *path) {
    json_t *single = json_object_get(o, "single"), *specials = json_object_get(o, "special_tokens");
    if (!json_is_array(single)) return bad(c, path, "single", single, "expected an array");
    if (specials && !json_is_null(specials) && !json_is_object(specials))
        return bad(c, path, "special_tokens", specials, "expected an object");
    int seen_a = 0;
    for (size_t i = 0; i < json_array_size(single); i++) {
        json_t *it = json_array_get(single, i), *v;
        char sub[256];
        snprintf(sub, sizeof sub, "%s.single[%zu]", path, i);
        if (json_is_object(it) && (v = json_object_get(it, "Sequence"))) {
            json_t *id = json_object_get(v, "id");
            if (!json_is_string(id) || strcmp(json_string_value(id), "A") != 0)
                return bad(c, sub, "Sequence.id", id, "a single-sequence template takes sequence \"A\" only");
            if (seen_a++) return fail(c, "%s: sequence A appears twice", sub);
        } else if (json_is_object(it) && (v = json_object_get(it, "SpecialToken"))) {
            json_t *id = json_object_get(v, "id");
            if (!json_is_string(id)) return bad(c, sub, "SpecialToken.id", id, "expected a string");
            json_t *sp = specials ? json_object_get(specials, json_string_value(id)) : NULL;
            json_t *ids = sp ? json_object_get(sp, "ids") : NULL;
            char spath[320];
            snprintf(spath, sizeof spath, "%s.special_tokens[\"%s\"]", path, json_string_value(id));
            if (!json_is_array(ids)) return bad(c, spath, "ids", ids, "expected an array of ids");
            for (size_t k = 0; k < json_array_size(ids); k++) {
                json_t *x = json_array_get(ids, k);
                if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) >= t->vocab_size)
                    return bad(c, spath, "ids", ids, "expected ids of the vocabulary");
                int idv = (int)json_integer_value(x);
                if (seen_a ? push_ids(&t->post_ids, &t->n_post, &idv, 1) : push_ids(&t->pre_ids, &t->n_pre, &idv, 1))
                    return fail(c, "out of memory");
            }
        } else
            return bad(c, sub, "", it, "expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
    }
    if (!seen_a) return fail(c, "%s.single has no sequence A", path);
    return 0;
}

static int parse_post(Ctx *c, BpeTokenizer *t, const json_t *o, const char *path, int depth) {
    const char *type;
    if (depth > 16) return fail(c, "%s: Sequence nested too deep", path);
    if (type_of(c, o, path, &type)) return -1;
    if (!strcmp(type, "ByteLevel")) return 0;          /* offsets only */
    if (!strcmp(type, "TemplateProcessing")) return parse_template(c, t, o, path);
    if (!strcmp(type, "Sequence")) {
        json_t *a = json_object_get(o, "processors");
        if (!json_is_array(a)) return bad(c, path, "processors", a, "expected an array");
        for (size_t i = 0; i < json_array_size(a); i++) {
            char sub[256];
            snprintf(sub, sizeof sub, "%s.processors[%zu]", path, i);
            if (parse_post(c, t, json_array_get(a, i), sub, depth + 1)) return -1;
        }
        return 0;
    }
    return unsupported(c, path, type, "post-processors: ByteLevel, TemplateProcessing, Sequence");
}

/* ---- decoder ---- */
static int add_dec(BpeTokenizer *t, DecStep *s) {
    DecStep *p = realloc(t->dec, (size_t)(t->n_dec + 1) * sizeof *p);
    if (!p) return -1;
    t->dec = p;
    t->dec[t->n_dec++] = *s;
    return 0;
}

static int parse_dec_step(Ctx *c, BpeTokenizer *t, const json_t *o, const char *path, int *fused) {
    const char *type;
    if (type_of(c, o, path, &type)) return -1;
    DecStep s = {0};
    s.fused = *fused;
    if (!strcmp(type, "Replace")) {
        const char *p, *r; size_t n, rn; int is_re;
        s.kind = DS_REPLACE;
        if (get_pattern(c, o, path, &p, &n, &is_re) || get_str(c, o, path, "content", 0, &r, &rn)) return -1;
        if (is_re) return fail(c, "%s.pattern: a Regex pattern in a Replace decoder is not supported", path);
        int cl;
        if (n == 0) return bad(c, path, "pattern", json_object_get(o, "pattern"), "empty pattern");
        if (*fused && (utf8_next(p, &cl), (size_t)cl != n))
            return fail(c, "%s: a Replace decoder of more than one character after Fuse is not supported", path);
        s.a = dupn(p, n); s.alen = n;
        s.b = dupn(r, rn); s.blen = rn;
        if (!s.a || !s.b) { free(s.a); free(s.b); return fail(c, "out of memory"); }
    } else if (!strcmp(type, "ByteFallback")) {
        if (*fused) return fail(c, "%s: ByteFallback after Fuse is not supported", path);
        s.kind = DS_BYTEFALLBACK;
    } else if (!strcmp(type, "Fuse")) {
        s.kind = DS_FUSE;
        *fused = 1;
    } else if (!strcmp(type, "Strip")) {
        const char *p; size_t n; int cl;
        json_t *st = json_object_get(o, "start"), *sp = json_object_get(o, "stop");
        s.kind = DS_STRIP;
        if (get_str(c, o, path, "content", 0, &p, &n)) return -1;
        if (n == 0 || (s.content = utf8_next(p, &cl), (size_t)cl != n))
            return bad(c, path, "content", json_object_get(o, "content"), "expected one character");
        if (!json_is_integer(st) || json_integer_value(st) < 0 || json_integer_value(st) > 1000)
            return bad(c, path, "start", st, "expected a count");
        if (!json_is_integer(sp) || json_integer_value(sp) < 0 || json_integer_value(sp) > 1000)
            return bad(c, path, "stop", sp, "expected a count");
        s.start = (int)json_integer_value(st);
        s.stop = (int)json_integer_value(sp);
    } else if (!strcmp(type, "Metaspace")) {
        int scheme;
        s.kind = DS_METASPACE;
        if (metaspace_fields(c, o, path, &s.repl, &scheme)) return -1;
        s.prepend = scheme != PREPEND_NEVER;
    } else if (!strcmp(type, "ByteLevel"))
        return fail(c, "%s: a ByteLevel decoder inside a Sequence with other decoders is not supported", path);
    else
        return unsupported(c, path, type, "decoders: ByteLevel, or Replace, ByteFallback, Fuse, Strip, Metaspace "
                                          "in a Sequence");
    if (add_dec(t, &s)) { free(s.a); free(s.b); return fail(c, "out of memory"); }
    return 0;
}

static int parse_decoder(Ctx *c, BpeTokenizer *t, const json_t *o) {
    const char *type;
    if (!o || json_is_null(o)) { t->dec_kind = DEC_NONE; return 0; }
    if (type_of(c, o, "decoder", &type)) return -1;
    int fused = 0;
    if (!strcmp(type, "ByteLevel")) { t->dec_kind = DEC_BYTELEVEL; return 0; }
    t->dec_kind = DEC_CHAIN;
    if (!strcmp(type, "Sequence")) {
        json_t *a = json_object_get(o, "decoders");
        if (!json_is_array(a)) return bad(c, "decoder", "decoders", a, "expected an array");
        if (json_array_size(a) == 1) {
            const char *t1;
            if (type_of(c, json_array_get(a, 0), "decoder.decoders[0]", &t1)) return -1;
            if (!strcmp(t1, "ByteLevel")) { t->dec_kind = DEC_BYTELEVEL; return 0; }
        }
        for (size_t i = 0; i < json_array_size(a); i++) {
            char sub[64];
            snprintf(sub, sizeof sub, "decoder.decoders[%zu]", i);
            if (parse_dec_step(c, t, json_array_get(a, i), sub, &fused)) return -1;
        }
        return 0;
    }
    return parse_dec_step(c, t, o, "decoder", &fused);
}

/* ---- added tokens ---- */
static int trie_node(Trie *tr, unsigned char byte) {
    if (tr->n == tr->cap) {
        int cap = tr->cap ? tr->cap * 2 : 64;
        TrieNode *p = realloc(tr->nodes, (size_t)cap * sizeof *p);
        if (!p) return -1;
        tr->nodes = p;
        tr->cap = cap;
    }
    TrieNode *nd = &tr->nodes[tr->n];
    nd->first_child = nd->next_sibling = nd->token = -1;
    nd->byte = byte;
    return tr->n++;
}

/* Inserts s -> index of the added token. A content already present keeps its first token. */
static int trie_insert(Trie *tr, const char *s, size_t n, int token) {
    if (n == 0) return 0;
    if (tr->n == 0 && trie_node(tr, 0) < 0) return -1;
    int cur = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        int ch = tr->nodes[cur].first_child;
        while (ch >= 0 && tr->nodes[ch].byte != b) ch = tr->nodes[ch].next_sibling;
        if (ch < 0) {
            if ((ch = trie_node(tr, b)) < 0) return -1;
            tr->nodes[ch].next_sibling = tr->nodes[cur].first_child;
            tr->nodes[cur].first_child = ch;
        }
        cur = ch;
    }
    if (tr->nodes[cur].token < 0) tr->nodes[cur].token = token;
    tr->first[(unsigned char)s[0]] = 1;
    return 0;
}

static int parse_added(Ctx *c, BpeTokenizer *t, const json_t *a) {
    if (!a || json_is_null(a)) return 0;
    if (!json_is_array(a)) return bad(c, "", "added_tokens", a, "expected an array");
    size_t n = json_array_size(a);
    if (!(t->added = calloc(n ? n : 1, sizeof *t->added))) return fail(c, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(a, i), *id = json_object_get(o, "id");
        char path[64];
        snprintf(path, sizeof path, "added_tokens[%zu]", i);
        BpeAddedToken *at = &t->added[t->n_added];
        const char *content; size_t len;
        if (!json_is_object(o)) return bad(c, path, "", o, "expected an object");
        if (!json_is_integer(id) || json_integer_value(id) < 0 || json_integer_value(id) > 16777216)
            return bad(c, path, "id", id, "expected a token id");
        if (get_str(c, o, path, "content", 0, &content, &len)) return -1;
        if (len == 0) return bad(c, path, "content", json_object_get(o, "content"), "empty token");
        if (get_bool(c, o, path, "special", 0, &at->special) || get_bool(c, o, path, "single_word", 0, &at->single_word) ||
            get_bool(c, o, path, "lstrip", 0, &at->lstrip) || get_bool(c, o, path, "rstrip", 0, &at->rstrip) ||
            get_bool(c, o, path, "normalized", !at->special, &at->normalized))
            return -1;
        if (!utf8_valid(content, len)) return bad(c, path, "content", json_object_get(o, "content"), "not UTF-8");
        if (!(at->content = dupn(content, len))) return fail(c, "out of memory");
        at->id = (int)json_integer_value(id);
        t->n_added++;
    }
    return 0;
}

/* ---- the model ---- */
static int parse_model(Ctx *c, BpeTokenizer *t, const json_t *m, int max_added_id) {
    const char *type;
    if (!json_is_object(m)) return bad(c, "", "model", m, "expected an object");
    json_t *ty = json_object_get(m, "type");
    if (ty && !json_is_null(ty)) {
        if (get_str(c, m, "model", "type", 0, &type, NULL)) return -1;
        if (strcmp(type, "BPE") != 0) return fail(c, "model.type = \"%s\" is not supported (only BPE)", type);
    } else if (!json_object_get(m, "merges"))
        return fail(c, "model.type is missing (and there are no merges: not a BPE model)");
    json_t *dropout = json_object_get(m, "dropout");
    if (dropout && !json_is_null(dropout) && !(json_is_number(dropout) && json_number_value(dropout) == 0))
        return bad(c, "model", "dropout", dropout, "BPE dropout is not supported (it samples; ids would vary)");
    for (int k = 0; k < 2; k++) {
        const char *key = k ? "end_of_word_suffix" : "continuing_subword_prefix", *v;
        if (get_str(c, m, "model", key, 1, &v, NULL)) return -1;
        if (v && *v) return bad(c, "model", key, json_object_get(m, key), "not supported (only empty or null)");
    }
    if (get_bool(c, m, "model", "byte_fallback", 0, &t->byte_fallback) ||
        get_bool(c, m, "model", "fuse_unk", 0, &t->fuse_unk) ||
        get_bool(c, m, "model", "ignore_merges", 0, &t->ignore_merges))
        return -1;

    json_t *vocab = json_object_get(m, "vocab"), *merges = json_object_get(m, "merges");
    if (!json_is_object(vocab)) return bad(c, "model", "vocab", vocab, "expected an object of token: id");
    if (!json_is_array(merges)) return bad(c, "model", "merges", merges, "expected an array");
    const char *key;
    json_t *v;
    int max_id = max_added_id;
    json_object_foreach(vocab, key, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 16777216) {
            char path[320];
            snprintf(path, sizeof path, "model.vocab[\"%.200s\"]", key);
            return bad(c, path, "", v, "expected a token id");
        }
        if (json_integer_value(v) > max_id) max_id = (int)json_integer_value(v);
    }
    t->vocab_size = max_id + 1;
    size_t total = 0;
    json_object_foreach(vocab, key, v) total += 2 * strlen(key) + 1;
    if (!(t->tok_text = calloc((size_t)t->vocab_size, sizeof *t->tok_text)) ||
        !(t->tok_len = calloc((size_t)t->vocab_size, sizeof *t->tok_len)) ||
        !(t->tok_special = calloc((size_t)t->vocab_size, 1)) || !(t->text_arena = malloc(total + 1)) ||
        strmap_init(&t->vocab, json_object_size(vocab)) || (t->byte_level && strmap_init(&t->raw, json_object_size(vocab))))
        return fail(c, "out of memory");
    for (int b = 0; b < 256; b++) t->byte_id[b] = -1;
    size_t at = 0;
    json_object_foreach(vocab, key, v) {
        int id = (int)json_integer_value(v);
        size_t len = strlen(key);   /* jansson keys stop at NUL */
        if (t->tok_text[id])
            return fail(c, "model.vocab: id %d is given to both \"%.100s\" and \"%.100s\"", id, t->tok_text[id], key);
        char *text = t->text_arena + at;
        memcpy(text, key, len + 1);
        at += len + 1;
        t->tok_text[id] = text;
        t->tok_len[id] = (uint32_t)len;
        if (strmap_put(&t->vocab, text, len, id)) return fail(c, "out of memory");
        if (!t->byte_level) continue;
        /* byte-level: the bytes the token stands for, after its NUL, when each character is in the byte map */
        size_t i = 0, k = 0;
        while (i < len) {
            int cl;
            int byte = cp_to_byte(utf8_next(text + i, &cl));
            if (byte < 0) break;
            text[len + 1 + k++] = (char)byte;
            i += (size_t)cl;
        }
        if (i < len || k == 0) continue;
        if (strmap_put(&t->raw, text + len + 1, k, id)) return fail(c, "out of memory");
        if (k == 1 && t->byte_id[(unsigned char)text[len + 1]] < 0) t->byte_id[(unsigned char)text[len + 1]] = id;
        at += k;
    }
    t->unk_id = -1;
    const char *unk;
    if (get_str(c, m, "model", "unk_token", 1, &unk, NULL)) return -1;
    if (unk && (t->unk_id = strmap_get(&t->vocab, unk, strlen(unk))) < 0)
        return bad(c, "model", "unk_token", json_object_get(m, "unk_token"), "not in the vocabulary");

    if (pairmap_init(&t->merges, json_array_size(merges))) return fail(c, "out of memory");
    Buf cat = {0};
    for (size_t i = 0; i < json_array_size(merges); i++) {
        json_t *mi = json_array_get(merges, i);
        const char *a, *b;
        size_t an, bn;
        if (json_is_string(mi)) {
            a = json_string_value(mi);
            const char *sp = strchr(a, ' ');
            if (!sp || sp == a || !sp[1] || strchr(sp + 1, ' ')) {
                char path[64];
                snprintf(path, sizeof path, "model.merges[%zu]", i);
                buf_free(&cat);
                return bad(c, path, "", mi, "expected \"a b\" (two tokens and one space)");
            }
            an = (size_t)(sp - a);
            b = sp + 1;
            bn = strlen(b);
        } else if (json_is_array(mi) && json_array_size(mi) == 2 && json_is_string(json_array_get(mi, 0)) &&
                   json_is_string(json_array_get(mi, 1))) {
            a = json_string_value(json_array_get(mi, 0));
            an = json_string_length(json_array_get(mi, 0));
            b = json_string_value(json_array_get(mi, 1));
            bn = json_string_length(json_array_get(mi, 1));
        } else {
            char path[64];
            snprintf(path, sizeof path, "model.merges[%zu]", i);
            buf_free(&cat);
            return bad(c, path, "", mi, "expected \"a b\" or [\"a\", \"b\"]");
        }
        int ia = strmap_get(&t->vocab, a, an), ib = strmap_get(&t->vocab, b, bn), ic = -1;
        cat.n = 0;
        if (buf_add(&cat, a, an) || buf_add(&cat, b, bn)) { buf_free(&cat); return fail(c, "out of memory"); }
        if (ia >= 0 && ib >= 0) ic = strmap_get(&t->vocab, cat.p, cat.n);
        if (ia < 0 || ib < 0 || ic < 0) {
            char path[64];
            snprintf(path, sizeof path, "model.merges[%zu]", i);
            const char *which = ia < 0 ? a : ib < 0 ? b : cat.p;
            size_t wn = ia < 0 ? an : ib < 0 ? bn : cat.n;
            json_t *w = json_stringn(which, wn);
            char sb[128], wb[128];
            fail(c, "%s = %s: %s is not in the vocabulary", path, show(mi, sb, sizeof sb), show(w, wb, sizeof wb));
            json_decref(w);
            buf_free(&cat);
            return -1;
        }
        if (pairmap_put(&t->merges, ia, ib, (int)i, ic) < 0) { buf_free(&cat); return fail(c, "out of memory"); }
    }
    buf_free(&cat);
    return 0;
}

/* Whether no vocabulary entry holds a character other than "▁" followed by "▁" (and "▁" is one): then a
 * SentencePiece text can be merged word by word (model.c). */
static int sentencepiece_words(const BpeTokenizer *t) {
    if (t->byte_level || strmap_get(&t->vocab, "\xE2\x96\x81", 3) < 0) return 0;
    for (int id = 0; id < t->vocab_size; id++) {
        const char *s = t->tok_text[id];
        if (!s) continue;
        for (const char *p = s; (p = memmem(p, t->tok_len[id] - (size_t)(p - s), "\xE2\x96\x81", 3)); p += 3)
            if (p > s && !(p - s >= 3 && memcmp(p - 3, "\xE2\x96\x81", 3) == 0)) return 0;
    }
    return 1;
}

/* The <0xXX> tokens of byte fallback. */
static void build_fallback(BpeTokenizer *t) {
    for (int b = 0; b < 256; b++) {
        char name[8];
        snprintf(name, sizeof name, "<0x%02X>", b);
        t->fallback_id[b] = strmap_get(&t->vocab, name, 6);
    }
}

static int finish_added(Ctx *c, BpeTokenizer *t) {
    if (strmap_init(&t->added_map, (size_t)t->n_added + 1) ||
        !(t->added_text = calloc((size_t)t->vocab_size, sizeof *t->added_text)) ||
        !(t->added_len = calloc((size_t)t->vocab_size, sizeof *t->added_len)))
        return fail(c, "out of memory");
    for (int i = 0; i < t->n_added; i++) {
        BpeAddedToken *at = &t->added[i];
        size_t len = strlen(at->content);
        t->added_text[at->id] = at->content;   /* the added content names its id, over a vocabulary entry */
        t->added_len[at->id] = (uint32_t)len;
        t->tok_special[at->id] = at->special ? 1 : 2;
        if (strmap_put(&t->added_map, at->content, len, at->id)) return fail(c, "out of memory");
        Buf norm = {0};
        const char *key = at->content;
        size_t klen = len;
        Trie *tr = &t->trie_raw;
        if (at->normalized && t->n_norm > 0) {
            if (bpe_normalize(t, at->content, len, &norm)) return fail(c, "out of memory");
            key = norm.p ? norm.p : "";
            klen = norm.n;
            tr = &t->trie_norm;
        }
        int rc = trie_insert(tr, key, klen, i);
        buf_free(&norm);
        if (rc) return fail(c, "out of memory");
    }
    return 0;
}

/* The file read whole, then parsed from memory (jansson's file reader goes a character at a time). */
static json_t *load_json(const char *path, size_t flags, json_error_t *je) {
    FILE *f = fopen(path, "rb");
    if (!f) return json_load_file(path, 0, je);      /* its message names the failure */
    Buf b = {0};
    char chunk[1 << 16];
    size_t got;
    int bad = 0;
    while (!bad && (got = fread(chunk, 1, sizeof chunk, f)) > 0) bad = buf_add(&b, chunk, got);
    bad |= ferror(f);
    fclose(f);
    if (bad) { buf_free(&b); return json_load_file(path, 0, je); }
    json_t *root = json_loadb(b.p ? b.p : "", b.n, flags, je);
    buf_free(&b);
    return root;
}

BpeTokenizer *bpe_load(const char *path, char *err, size_t errlen) {
    Ctx c = {path, err, errlen};
    bpe_byte_map_init();
    json_error_t je;
    json_t *root = load_json(path, JSON_ALLOW_NUL, &je);
    if (!root) {
        if (je.line > 0) fail(&c, "line %d column %d: %s", je.line, je.column, je.text);
        else fail(&c, "%s", je.text);
        return NULL;
    }
    BpeTokenizer *t = calloc(1, sizeof *t);
    if (!t) { json_decref(root); fail(&c, "out of memory"); return NULL; }
    snprintf(t->path, sizeof t->path, "%s", path);
    t->unk_id = -1;
    int rc = -1;
    if (!json_is_object(root)) { bad(&c, "", "(the file)", root, "expected a JSON object"); goto out; }
    json_t *model = json_object_get(root, "model");
    if (!model) { fail(&c, "model is missing"); goto out; }
    if (parse_added(&c, t, json_object_get(root, "added_tokens"))) goto out;
    int max_added = -1;
    for (int i = 0; i < t->n_added; i++)
        if (t->added[i].id > max_added) max_added = t->added[i].id;
    json_t *v;
    if ((v = json_object_get(root, "normalizer")) && !json_is_null(v) && parse_norm(&c, t, v, "normalizer", 0)) goto out;
    if ((v = json_object_get(root, "pre_tokenizer")) && !json_is_null(v) && parse_pt(&c, t, v, "pre_tokenizer", 0))
        goto out;
    if (parse_model(&c, t, model, max_added)) goto out;
    build_fallback(t);
    t->sp_split = sentencepiece_words(t);
    if ((v = json_object_get(root, "post_processor")) && !json_is_null(v) &&
        parse_post(&c, t, v, "post_processor", 0))
        goto out;
    if (parse_decoder(&c, t, json_object_get(root, "decoder")) || finish_added(&c, t)) goto out;
    rc = 0;
out:
    json_decref(root);
    if (rc) { bpe_free(t); return NULL; }
    return t;
}

static void trie_free(Trie *tr) { free(tr->nodes); memset(tr, 0, sizeof *tr); }

void bpe_free(BpeTokenizer *t) {
    if (!t) return;
    free(t->tok_text);
    free(t->text_arena);
    free(t->tok_len);
    free(t->tok_special);
    free(t->added_text);
    free(t->added_len);
    strmap_free(&t->vocab);
    strmap_free(&t->raw);
    strmap_free(&t->added_map);
    pairmap_free(&t->merges);
    for (int i = 0; i < t->n_norm; i++) { free(t->norm[i].a); free(t->norm[i].b); pcre2_code_free(t->norm[i].re); }
    free(t->norm);
    for (int i = 0; i < t->n_pt; i++) { free(t->pt[i].lit); pcre2_code_free(t->pt[i].re); }
    free(t->pt);
    for (int i = 0; i < t->n_dec; i++) { free(t->dec[i].a); free(t->dec[i].b); }
    free(t->dec);
    free(t->pre_ids);
    free(t->post_ids);
    for (int i = 0; i < t->n_added; i++) free((char *)t->added[i].content);
    free(t->added);
    trie_free(&t->trie_raw);
    trie_free(&t->trie_norm);
    free(t);
}

/* tokenizer_config.json: transformers' LlamaTokenizerFast rebuilds the post-processor from add_bos_token and
 * add_eos_token (update_post_processor); the other classes keep tokenizer.json's. */
static int config_token(Ctx *c, BpeTokenizer *t, json_t *root, const char *key, int *id) {
    json_t *v = json_object_get(root, key);
    const char *s = NULL;
    if (json_is_string(v)) s = json_string_value(v);
    else if (json_is_object(v) && json_is_string(json_object_get(v, "content")))
        s = json_string_value(json_object_get(v, "content"));
    if (!s) return bad(c, "", key, v, "expected a token (a string or {\"content\": ...})");
    if ((*id = bpe_token_id(t, s)) < 0) return bad(c, "", key, v, "not a token of tokenizer.json");
    return 0;
}

int bpe_load_config(BpeTokenizer *t, const char *path, char *err, size_t errlen) {
    Ctx c = {path, err, errlen};
    json_error_t je;
    json_t *root = load_json(path, JSON_DECODE_INT_AS_REAL, &je);   /* model_max_length can be 1e30 */
    if (!root) {
        if (je.line > 0) return fail(&c, "line %d column %d: %s", je.line, je.column, je.text);
        return fail(&c, "%s", je.text);
    }
    int rc = -1;
    if (!json_is_object(root)) { bad(&c, "", "(the file)", root, "expected a JSON object"); goto out; }
    const char *cls;
    if (get_str(&c, root, "", "tokenizer_class", 1, &cls, NULL)) goto out;
    static const char *LLAMA[] = {"LlamaTokenizer", "LlamaTokenizerFast", "CodeLlamaTokenizer",
                                  "CodeLlamaTokenizerFast", "GemmaTokenizer", "GemmaTokenizerFast"};
    int llama = 0;
    for (size_t i = 0; cls && i < sizeof LLAMA / sizeof *LLAMA; i++) llama |= !strcmp(cls, LLAMA[i]);
    if (!llama) { rc = 0; goto out; }
    int add_bos, add_eos, bos = -1, eos = -1;
    if (get_bool(&c, root, "", "add_bos_token", 1, &add_bos) || get_bool(&c, root, "", "add_eos_token", 0, &add_eos))
        goto out;
    if (add_bos && config_token(&c, t, root, "bos_token", &bos)) goto out;
    if (add_eos && config_token(&c, t, root, "eos_token", &eos)) goto out;
    t->n_pre = t->n_post = 0;
    if ((add_bos && push_ids(&t->pre_ids, &t->n_pre, &bos, 1)) || (add_eos && push_ids(&t->post_ids, &t->n_post, &eos, 1))) {
        fail(&c, "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

int bpe_vocab_size(const BpeTokenizer *t) { return t->vocab_size; }

int bpe_token_id(const BpeTokenizer *t, const char *s) {
    size_t n = strlen(s);
    int id = strmap_get(&t->added_map, s, n);
    return id >= 0 ? id : strmap_get(&t->vocab, s, n);
}

const char *bpe_token_text(const BpeTokenizer *t, int id) {
    uint32_t len;
    return tok_disp(t, id, &len);
}

int bpe_n_added(const BpeTokenizer *t) { return t->n_added; }
const BpeAddedToken *bpe_added(const BpeTokenizer *t, int i) { return i >= 0 && i < t->n_added ? &t->added[i] : NULL; }
int bpe_bos_id(const BpeTokenizer *t) { return t->n_pre ? t->pre_ids[0] : -1; }
int bpe_eos_id(const BpeTokenizer *t) { return t->n_post ? t->post_ids[t->n_post - 1] : -1; }
