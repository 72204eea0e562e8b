/* decode.c - ids to text through the file's decoder, as a stream: each id's token goes through the decoder steps
 * one at a time, and a step that needs what follows holds its part back (ByteLevel: the bytes of an incomplete
 * character; ByteFallback: a run of <0xXX> tokens, valid UTF-8 only as a whole; Strip after Fuse: spaces that may
 * be the text's last). Whole decode is the same stream fed every id and then finished, so the two agree by
 * construction; tests/test_bpe.c checks the text against round trips and the reference's rules.
 *
 * The reference's rules kept here: a token is its added-token content or its vocabulary entry, ids without one
 * are left out; no decoder joins the tokens with spaces; ByteLevel maps each character back to its byte (a token
 * with a character outside the map gives its own UTF-8 bytes) and reads the bytes with replacement; ByteFallback
 * turns a run of <0xXX> tokens into its UTF-8 text, or one U+FFFD per byte when the run is not valid UTF-8;
 * Replace, Strip and Metaspace act on each token, or on the whole text after Fuse. */
#include "core/bpe/bpe_internal.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
    long count;          /* tokens this step has taken (Metaspace's "first token") */
    int start_left;      /* Strip after Fuse: leading content characters still to drop */
    int started;         /* Strip after Fuse: a character other than content has been seen */
    Buf hold;            /* Strip after Fuse with stop: a trailing run of content characters */
} StepState;

struct BpeStream {
    const BpeTokenizer *t;
    int skip_special;
    long emitted;        /* tokens emitted (the spaces of no decoder) */
    Utf8Dec u8;
    Buf group;           /* ByteFallback: the bytes of the current run */
    StepState *st;
    Buf out;
    int oom;
};

static int stage(BpeStream *s, int k, const char *tok, size_t n);

static int is_byte_token(const char *tok, size_t n, unsigned char *byte) {
    if (n != 6 || memcmp(tok, "<0x", 3) != 0 || tok[5] != '>') return 0;
    int v = 0;
    for (int i = 3; i < 5; i++) {
        char c = tok[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return 0;
        v = v * 16 + d;
    }
    *byte = (unsigned char)v;
    return 1;
}

/* The run of <0xXX> bytes, into step k + 1. */
static int flush_group(BpeStream *s, int k) {
    if (s->group.n == 0) return 0;
    Buf g = s->group;
    s->group = (Buf){0};
    int rc = 0;
    if (utf8_valid(g.p, g.n)) rc = stage(s, k + 1, g.p, g.n);
    else
        for (size_t i = 0; i < g.n && rc == 0; i++) rc = stage(s, k + 1, "\xEF\xBF\xBD", 3);
    buf_free(&g);
    return rc;
}

static int replace_all(const char *s, size_t n, const char *a, size_t an, const char *b, size_t bn, Buf *out) {
    size_t i = 0;
    while (i < n) {
        const char *hit = memmem(s + i, n - i, a, an);
        if (!hit) break;
        if (buf_add(out, s + i, (size_t)(hit - (s + i))) || buf_add(out, b, bn)) return -1;
        i = (size_t)(hit - s) + an;
    }
    return buf_add(out, s + i, n - i);
}

/* The length in bytes of the trailing run of code point c in s[0..n). */
static size_t trailing_run(const char *s, size_t n, uint32_t c) {
    size_t end = n;
    while (end > 0) {
        size_t p = end - 1;
        while (p > 0 && ((unsigned char)s[p] & 0xC0) == 0x80) p--;
        int len;
        if (utf8_next(s + p, &len) != c) break;
        end = p;
    }
    return n - end;
}

static int strip_token(const DecStep *d, const char *tok, size_t n, Buf *out) {
    size_t a = 0, b = n;
    for (int i = 0; i < d->start && a < b; i++) {
        int len;
        if (utf8_next(tok + a, &len) != d->content) break;
        a += (size_t)len;
    }
    for (int i = 0; i < d->stop && b > a; i++) {
        size_t p = b - 1;
        while (p > a && ((unsigned char)tok[p] & 0xC0) == 0x80) p--;
        int len;
        if (utf8_next(tok + p, &len) != d->content) break;
        b = p;
    }
    return buf_add(out, tok + a, b - a);
}

static int stage(BpeStream *s, int k, const char *tok, size_t n) {
    const BpeTokenizer *t = s->t;
    if (k == t->n_dec) return buf_add(&s->out, tok, n);
    const DecStep *d = &t->dec[k];
    StepState *ss = &s->st[k];
    Buf tmp = {0};
    int rc = 0;
    switch (d->kind) {
    case DS_FUSE: return stage(s, k + 1, tok, n);
    case DS_BYTEFALLBACK: {
        unsigned char byte;
        if (is_byte_token(tok, n, &byte)) return buf_addc(&s->group, (char)byte);
        if (flush_group(s, k)) return -1;
        return stage(s, k + 1, tok, n);
    }
    case DS_REPLACE:
        rc = replace_all(tok, n, d->a, d->alen, d->b, d->blen, &tmp);
        break;
    case DS_METASPACE: {
        Buf r = {0}, rep = {0};
        rc = buf_add_cp(&rep, d->repl) || replace_all(tok, n, rep.p, rep.n, " ", 1, &r);
        buf_free(&rep);
        if (rc == 0) {
            size_t skip = ss->count == 0 && d->prepend && r.n > 0 && r.p[0] == ' ' ? 1 : 0;
            rc = buf_add(&tmp, r.p ? r.p + skip : "", r.n - skip);
        }
        buf_free(&r);
        if (!d->fused || n > 0) ss->count++;
        break;
    }
    case DS_STRIP:
        if (!d->fused) { rc = strip_token(d, tok, n, &tmp); break; }
        /* the whole text: drop its first `start` content characters, hold back a trailing run for `stop` */
        size_t i = 0;
        while (!ss->started && i < n) {
            int len;
            uint32_t cp = utf8_next(tok + i, &len);
            if (ss->start_left > 0 && cp == d->content) { ss->start_left--; i += (size_t)len; continue; }
            ss->started = 1;
        }
        if (d->stop == 0) { rc = buf_add(&tmp, tok + i, n - i); break; }
        rc = buf_add(&ss->hold, tok + i, n - i);
        if (rc == 0) {
            size_t run = trailing_run(ss->hold.p, ss->hold.n, d->content);
            size_t keep = ss->hold.n - run;
            rc = buf_add(&tmp, ss->hold.p, keep);
            memmove(ss->hold.p, ss->hold.p + keep, run);
            ss->hold.n = run;
        }
        break;
    }
    if (rc == 0 && (tmp.n > 0 || !d->fused)) rc = stage(s, k + 1, tmp.p ? tmp.p : "", tmp.n);
    buf_free(&tmp);
    return rc;
}

static int flush_steps(BpeStream *s) {
    const BpeTokenizer *t = s->t;
    for (int k = 0; k < t->n_dec; k++) {
        const DecStep *d = &t->dec[k];
        StepState *ss = &s->st[k];
        if (d->kind == DS_BYTEFALLBACK && flush_group(s, k)) return -1;
        if (d->kind == DS_STRIP && d->fused && ss->hold.n) {
            /* the text ends here: drop the last min(stop, run) characters of the held run */
            size_t end = ss->hold.n;
            for (int i = 0; i < d->stop && end > 0; i++) {
                size_t p = end - 1;
                while (p > 0 && ((unsigned char)ss->hold.p[p] & 0xC0) == 0x80) p--;
                end = p;
            }
            Buf h = ss->hold;
            ss->hold = (Buf){0};
            int rc = stage(s, k + 1, h.p, end);
            buf_free(&h);
            if (rc) return -1;
        }
    }
    return 0;
}

static void reset(BpeStream *s) {
    s->emitted = 0;
    utf8dec_init(&s->u8);
    s->group.n = 0;
    for (int k = 0; k < s->t->n_dec; k++) {
        s->st[k].count = 0;
        s->st[k].start_left = s->t->dec[k].start;
        s->st[k].started = 0;
        s->st[k].hold.n = 0;
    }
}

BpeStream *bpe_stream_new(const BpeTokenizer *t, int skip_special) {
    bpe_byte_map_init();
    BpeStream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->t = t;
    s->skip_special = skip_special;
    if (!(s->st = calloc((size_t)t->n_dec + 1, sizeof *s->st))) { free(s); return NULL; }
    reset(s);
    return s;
}

void bpe_stream_free(BpeStream *s) {
    if (!s) return;
    for (int k = 0; k < s->t->n_dec; k++) buf_free(&s->st[k].hold);
    free(s->st);
    buf_free(&s->group);
    buf_free(&s->out);
    free(s);
}

/* Appends id's text to s->out. */
static int push(BpeStream *s, int id) {
    const BpeTokenizer *t = s->t;
    uint32_t n;
    const char *tok = tok_disp(t, id, &n);
    if (!tok) return 0;
    if (s->skip_special && t->tok_special[id] == 1) return 0;
    switch (t->dec_kind) {
    case DEC_NONE:
        if (s->emitted++ && buf_addc(&s->out, ' ')) return -1;
        return buf_add(&s->out, tok, n);
    case DEC_BYTELEVEL: {
        unsigned char small[64], *bytes = n <= sizeof small ? small : malloc(n);
        if (!bytes) return -1;
        size_t k = 0, i = 0;
        while (i < n) {
            int len;
            int b = cp_to_byte(utf8_next(tok + i, &len));
            if (b < 0) break;
            bytes[k++] = (unsigned char)b;
            i += (size_t)len;
        }
        int rc = i < n ? utf8dec_feed(&s->u8, (const unsigned char *)tok, n, 0, &s->out)
                       : utf8dec_feed(&s->u8, bytes, k, 0, &s->out);
        if (bytes != small) free(bytes);
        return rc;
    }
    default:
        return stage(s, 0, tok, n);
    }
}

static int finish(BpeStream *s) {
    if (s->t->dec_kind == DEC_BYTELEVEL) return utf8dec_feed(&s->u8, NULL, 0, 1, &s->out);
    if (s->t->dec_kind == DEC_CHAIN) return flush_steps(s);
    return 0;
}

const char *bpe_stream_feed(BpeStream *s, int id, size_t *len) {
    s->out.n = 0;
    if (push(s, id) || buf_reserve(&s->out, 0)) return NULL;
    s->out.p[s->out.n] = 0;
    *len = s->out.n;
    return s->out.p;
}

const char *bpe_stream_finish(BpeStream *s, size_t *len) {
    s->out.n = 0;
    int rc = finish(s);
    reset(s);
    if (rc || buf_reserve(&s->out, 0)) return NULL;
    s->out.p[s->out.n] = 0;
    *len = s->out.n;
    return s->out.p;
}

char *bpe_decode(const BpeTokenizer *t, const int *ids, size_t n, int skip_special, size_t *len) {
    BpeStream *s = bpe_stream_new(t, skip_special);
    if (!s) return NULL;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) rc = push(s, ids[i]);
    if (rc == 0) rc = finish(s);
    if (rc == 0) rc = buf_reserve(&s->out, 0);
    char *out = NULL;
    if (rc == 0) {
        s->out.p[s->out.n] = 0;
        out = s->out.p;
        if (len) *len = s->out.n;
        s->out = (Buf){0};
    }
    bpe_stream_free(s);
    return out;
}
