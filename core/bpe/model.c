/* model.c - the BPE model on one piece. Its first symbols are its bytes (byte-level: each byte's GPT-2 character is
 * a vocabulary entry) or its characters (a character missing from the vocabulary becomes its <0xXX> tokens with
 * byte_fallback, else the unknown token, fused with a neighbouring one under fuse_unk, else nothing); then the
 * pair of adjacent symbols with the lowest merge rank is merged, the leftmost on a tie, until no pair has a
 * merge: the reference's order. Short pieces scan their pairs; long ones (a run of thousands of letters) keep the
 * candidate merges in a heap, as the reference does, so that they cost n log n. */
#include "core/bpe/bpe_internal.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum { SCAN_MAX = 64, STACK_SYMS = 256 };

typedef struct { int32_t rank, pos, id; } HeapE;

static int heap_less(const HeapE *a, const HeapE *b) { return a->rank < b->rank || (a->rank == b->rank && a->pos < b->pos); }

static void heap_push(HeapE *h, size_t *n, HeapE e) {
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!heap_less(&e, &h[p])) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = e;
}

static HeapE heap_pop(HeapE *h, size_t *n) {
    HeapE top = h[0], last = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && heap_less(&h[c + 1], &h[c])) c++;
        if (!heap_less(&h[c], &last)) break;
        h[i] = h[c];
        i = c;
    }
    if (*n) h[i] = last;
    return top;
}

/* Merges sym[0..m) in place; returns the new count, or -1 out of memory. */
static int merge_scan(const PairMap *mg, int32_t *sym, int m) {
    int32_t rank[SCAN_MAX], nid[SCAN_MAX];
    for (int i = 0; i + 1 < m; i++) {
        const PairSlot *p = pairmap_get(mg, sym[i], sym[i + 1]);
        rank[i] = p ? p->rank : INT_MAX;
        nid[i] = p ? p->id : -1;
    }
    while (m > 1) {
        int best = -1;
        int32_t br = INT_MAX;
        for (int i = 0; i + 1 < m; i++)
            if (rank[i] < br) { br = rank[i]; best = i; }
        if (best < 0) break;
        sym[best] = nid[best];
        int tail = m - best - 2;                 /* symbols after the removed one */
        if (tail > 0) {
            memmove(sym + best + 1, sym + best + 2, (size_t)tail * sizeof *sym);
            memmove(rank + best + 1, rank + best + 2, (size_t)(tail - 1 > 0 ? tail - 1 : 0) * sizeof *rank);
            memmove(nid + best + 1, nid + best + 2, (size_t)(tail - 1 > 0 ? tail - 1 : 0) * sizeof *nid);
        }
        m--;
        for (int i = best - 1; i <= best; i++) {
            if (i < 0 || i + 1 >= m) continue;
            const PairSlot *p = pairmap_get(mg, sym[i], sym[i + 1]);
            rank[i] = p ? p->rank : INT_MAX;
            nid[i] = p ? p->id : -1;
        }
    }
    return m;
}

static int merge_heap(const PairMap *mg, int32_t *sym, int m) {
    int32_t *prev = malloc((size_t)m * sizeof *prev), *next = malloc((size_t)m * sizeof *next);
    unsigned char *dead = calloc((size_t)m, 1);
    size_t hn = 0, hcap = (size_t)m * 2 + 16;
    HeapE *h = malloc(hcap * sizeof *h);
    if (!prev || !next || !dead || !h) { free(prev); free(next); free(dead); free(h); return -1; }
    for (int i = 0; i < m; i++) { prev[i] = i - 1; next[i] = i + 1 < m ? i + 1 : -1; }
    for (int i = 0; i + 1 < m; i++) {
        const PairSlot *p = pairmap_get(mg, sym[i], sym[i + 1]);
        if (p) heap_push(h, &hn, (HeapE){p->rank, i, p->id});
    }
    while (hn) {
        HeapE e = heap_pop(h, &hn);
        int nx = next[e.pos];
        if (dead[e.pos] || nx < 0) continue;
        const PairSlot *p = pairmap_get(mg, sym[e.pos], sym[nx]);
        if (!p || p->id != e.id) continue;       /* a stale candidate: its pair has changed */
        sym[e.pos] = e.id;
        dead[nx] = 1;
        next[e.pos] = next[nx];
        if (next[nx] >= 0) prev[next[nx]] = e.pos;
        if (hn + 2 > hcap) {
            HeapE *g = realloc(h, (hcap *= 2) * sizeof *h);
            if (!g) { free(prev); free(next); free(dead); free(h); return -1; }
            h = g;
        }
        if (prev[e.pos] >= 0 && (p = pairmap_get(mg, sym[prev[e.pos]], sym[e.pos])))
            heap_push(h, &hn, (HeapE){p->rank, prev[e.pos], p->id});
        if (next[e.pos] >= 0 && (p = pairmap_get(mg, sym[e.pos], sym[next[e.pos]])))
            heap_push(h, &hn, (HeapE){p->rank, e.pos, p->id});
    }
    int k = 0;
    for (int i = 0; i >= 0; i = next[i]) sym[k++] = sym[i];
    free(prev); free(next); free(dead); free(h);
    return k;
}

typedef struct { int32_t *sym; int m; int unk_pending; } Syms;

static void flush_unk(Syms *s) {
    if (s->unk_pending >= 0) { s->sym[s->m++] = s->unk_pending; s->unk_pending = -1; }
}

/* A character (bytes c[0..len)) that is not in the vocabulary. */
static void unknown(const BpeTokenizer *t, Syms *s, const unsigned char *c, int len) {
    if (t->byte_fallback) {
        int ok = 1;
        for (int k = 0; k < len; k++) ok &= t->fallback_id[c[k]] >= 0;
        if (ok) {
            flush_unk(s);
            for (int k = 0; k < len; k++) s->sym[s->m++] = t->fallback_id[c[k]];
            return;
        }
    }
    if (t->unk_id < 0) return;                   /* no unknown token: the reference drops the character */
    if (s->unk_pending >= 0 && !t->fuse_unk) flush_unk(s);
    s->unk_pending = t->unk_id;
}

static int encode_word(const BpeTokenizer *t, const char *str, size_t n, BpeIds *out) {
    const unsigned char *s = (const unsigned char *)str;
    int32_t stack[STACK_SYMS], *sym = stack;
    /* at most one symbol per byte, except a byte-level byte missing from the vocabulary (2 fallback bytes) */
    size_t need = t->byte_level ? 2 * n : n;
    if (need > INT_MAX / 2) return -1;
    if (need > STACK_SYMS && !(sym = malloc(need * sizeof *sym))) return -1;
    Syms sy = {sym, 0, -1};
    if (t->byte_level) {
        for (size_t i = 0; i < n; i++) {
            int id = t->byte_id[s[i]];
            if (id >= 0) { flush_unk(&sy); sym[sy.m++] = id; continue; }
            Buf ch = {0};                         /* the byte's character, as the reference would look it up */
            if (buf_add_cp(&ch, BPE_BYTE_CP[s[i]])) { if (sym != stack) free(sym); return -1; }
            unknown(t, &sy, (const unsigned char *)ch.p, (int)ch.n);
            buf_free(&ch);
        }
    } else {
        for (size_t i = 0; i < n;) {
            int len = utf8_len(s[i]);
            if ((size_t)len > n - i) len = (int)(n - i);
            int id = strmap_get(&t->vocab, str + i, (size_t)len);
            if (id >= 0) { flush_unk(&sy); sym[sy.m++] = id; }
            else unknown(t, &sy, s + i, len);
            i += (size_t)len;
        }
    }
    flush_unk(&sy);
    int m = sy.m <= SCAN_MAX ? merge_scan(&t->merges, sym, sy.m) : merge_heap(&t->merges, sym, sy.m);
    int rc = m < 0 ? -1 : 0;
    for (int i = 0; i < m && rc == 0; i++) rc = ids_push(out, sym[i]);
    if (sym != stack) free(sym);
    return rc;
}

#define SP_SPACE "\xE2\x96\x81"   /* U+2581, SentencePiece's space */

int bpe_model_encode(const BpeTokenizer *t, const char *str, size_t n, BpeIds *out) {
    if (n == 0) return 0;
    if (t->ignore_merges) {
        int id = t->byte_level ? strmap_get(&t->raw, str, n) : strmap_get(&t->vocab, str, n);
        if (id >= 0) return ids_push(out, id);
    }
    if (!t->sp_split) return encode_word(t, str, n, out);
    /* No pre-tokenizer cuts SentencePiece text into words, but no token holds a character followed by "▁": no
     * pair across such a place has a merge, so the stretches between them are merged alone, in the same order,
     * and a long text costs the sum of its words instead of one heap over all of it. */
    size_t start = 0;
    for (size_t i = 1; i + 3 <= n; i++) {
        if (memcmp(str + i, SP_SPACE, 3) != 0) continue;
        if (i >= 3 && memcmp(str + i - 3, SP_SPACE, 3) == 0) continue;
        if (encode_word(t, str + start, i - start, out)) return -1;
        start = i;
    }
    return encode_word(t, str + start, n - start, out);
}
