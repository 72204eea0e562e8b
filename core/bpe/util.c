/* util.c - growable buffers, the string and pair hash tables, UTF-8 reading with replacement, the GPT-2 byte map. */
#include "core/bpe/bpe_internal.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

int buf_reserve(Buf *b, size_t extra) {
    if (b->n + extra + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->n + extra + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

int buf_add(Buf *b, const void *s, size_t n) {
    if (buf_reserve(b, n)) return -1;
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
    return 0;
}

int buf_addc(Buf *b, char c) { return buf_add(b, &c, 1); }

int buf_add_cp(Buf *b, uint32_t cp) {
    char u[4];
    int n;
    if (cp < 0x80) { u[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { u[0] = (char)(0xC0 | cp >> 6); u[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12); u[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18); u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return buf_add(b, u, n);
}

void buf_free(Buf *b) { free(b->p); b->p = NULL; b->n = b->cap = 0; }

int ids_push(BpeIds *v, int id) {
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        int *p = realloc(v->ids, cap * sizeof *p);
        if (!p) return -1;
        v->ids = p;
        v->cap = cap;
    }
    v->ids[v->n++] = id;
    return 0;
}

void bpe_ids_free(BpeIds *v) { free(v->ids); v->ids = NULL; v->n = v->cap = 0; }

/* FNV-1a over 8-byte words, then a final mix: fast for the short keys of a vocabulary. */
uint64_t bpe_hash(const void *s, size_t n) {
    const unsigned char *p = s;
    uint64_t h = 0xcbf29ce484222325ull ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    while (n--) h = (h ^ *p++) * 0x100000001b3ull;
    h ^= h >> 32;
    h *= 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
}

static size_t pow2_for(size_t expected) {
    size_t cap = 16;
    while (cap < expected * 2) cap *= 2;
    return cap;
}

int strmap_init(StrMap *m, size_t expected) {
    size_t cap = pow2_for(expected);
    m->slots = calloc(cap, sizeof *m->slots);
    if (!m->slots) return -1;
    for (size_t i = 0; i < cap; i++) m->slots[i].val = -1;
    m->mask = cap - 1;
    m->count = 0;
    return 0;
}

static int strmap_grow(StrMap *m) {
    StrMap g;
    if (strmap_init(&g, (m->mask + 1))) return -1;
    for (size_t i = 0; i <= m->mask; i++)
        if (m->slots[i].val >= 0) strmap_put(&g, m->slots[i].key, m->slots[i].len, m->slots[i].val);
    free(m->slots);
    *m = g;
    return 0;
}

int strmap_put(StrMap *m, const char *key, size_t len, int val) {
    if ((m->count + 1) * 2 > m->mask + 1 && strmap_grow(m)) return -1;
    for (size_t i = bpe_hash(key, len) & m->mask;; i = (i + 1) & m->mask) {
        StrSlot *s = &m->slots[i];
        if (s->val < 0) {
            s->key = key;
            s->len = (uint32_t)len;
            s->val = val;
            m->count++;
            return 0;
        }
        if (s->len == len && !memcmp(s->key, key, len)) return 0;
    }
}

int strmap_get(const StrMap *m, const char *key, size_t len) {
    if (!m->slots) return -1;
    for (size_t i = bpe_hash(key, len) & m->mask;; i = (i + 1) & m->mask) {
        const StrSlot *s = &m->slots[i];
        if (s->val < 0) return -1;
        if (s->len == len && !memcmp(s->key, key, len)) return s->val;
    }
}

void strmap_free(StrMap *m) { free(m->slots); m->slots = NULL; m->mask = m->count = 0; }

int pairmap_init(PairMap *m, size_t expected) {
    size_t cap = pow2_for(expected);
    m->slots = malloc(cap * sizeof *m->slots);
    if (!m->slots) return -1;
    for (size_t i = 0; i < cap; i++) m->slots[i].rank = -1;
    m->mask = cap - 1;
    m->count = 0;
    return 0;
}

int pairmap_put(PairMap *m, int a, int b, int rank, int id) {
    if ((m->count + 1) * 2 > m->mask + 1) {
        PairMap g;
        if (pairmap_init(&g, m->mask + 1)) return -1;
        for (size_t i = 0; i <= m->mask; i++)
            if (m->slots[i].rank >= 0)
                pairmap_put(&g, (int)(m->slots[i].key >> 32), (int)(uint32_t)m->slots[i].key, m->slots[i].rank,
                            m->slots[i].id);
        free(m->slots);
        *m = g;
    }
    uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    for (size_t i = (h >> 20) & m->mask;; i = (i + 1) & m->mask) {
        PairSlot *s = &m->slots[i];
        if (s->rank < 0) {
            s->key = key;
            s->rank = rank;
            s->id = id;
            m->count++;
            return 0;
        }
        if (s->key == key) {           /* a repeated merge takes its later rank, as the reference's map does */
            s->rank = rank;
            s->id = id;
            return 1;
        }
    }
}

void pairmap_free(PairMap *m) { free(m->slots); m->slots = NULL; m->mask = m->count = 0; }

/* ---- UTF-8 ---- */

void utf8dec_init(Utf8Dec *d) { memset(d, 0, sizeof *d); d->lower = 0x80; d->upper = 0xBF; }

/* The WHATWG UTF-8 decoder (Encoding Standard, 4.1), which replaces each maximal subpart of an ill-formed sequence
 * by U+FFFD, as Unicode recommends and Rust's from_utf8_lossy does. */
int utf8dec_feed(Utf8Dec *d, const unsigned char *s, size_t n, int final, Buf *out) {
    size_t i = 0;
    /* runs of ASCII or of whole valid characters are copied in one go when no character is pending */
    while (i < n) {
        if (d->needed == 0) {
            size_t j = i;
            while (j < n && s[j] < 0x80) j++;
            if (j > i) {
                if (buf_add(out, s + i, j - i)) return -1;
                i = j;
                continue;
            }
            unsigned char c = s[i++];
            if (c >= 0xC2 && c <= 0xDF) { d->needed = 1; d->cp = c & 0x1F; }
            else if (c >= 0xE0 && c <= 0xEF) {
                if (c == 0xE0) d->lower = 0xA0;
                if (c == 0xED) d->upper = 0x9F;
                d->needed = 2; d->cp = c & 0xF;
            } else if (c >= 0xF0 && c <= 0xF4) {
                if (c == 0xF0) d->lower = 0x90;
                if (c == 0xF4) d->upper = 0x8F;
                d->needed = 3; d->cp = c & 7;
            } else if (buf_add(out, "\xEF\xBF\xBD", 3)) return -1;
            if (d->needed) { d->pend[0] = c; d->npend = 1; }
            continue;
        }
        unsigned char c = s[i];
        if (c < d->lower || c > d->upper) {
            d->cp = 0; d->needed = d->seen = d->npend = 0; d->lower = 0x80; d->upper = 0xBF;
            if (buf_add(out, "\xEF\xBF\xBD", 3)) return -1;
            continue;                       /* the byte is read again as the start of what follows */
        }
        i++;
        d->lower = 0x80; d->upper = 0xBF;
        d->cp = (d->cp << 6) | (c & 0x3F);
        d->pend[d->npend++] = c;
        if (++d->seen == d->needed) {
            if (buf_add(out, d->pend, (size_t)d->npend)) return -1;
            d->cp = 0; d->needed = d->seen = d->npend = 0;
        }
    }
    if (final && d->needed) {
        d->cp = 0; d->needed = d->seen = d->npend = 0; d->lower = 0x80; d->upper = 0xBF;
        if (buf_add(out, "\xEF\xBF\xBD", 3)) return -1;
    }
    return 0;
}

int utf8_valid(const char *str, size_t n) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= n) break;
        unsigned char c = s[i];
        if (c < 0x80) { i++; continue; }
        unsigned char lo = 0x80, hi = 0xBF;
        int need;
        if (c >= 0xC2 && c <= 0xDF) need = 1;
        else if (c >= 0xE0 && c <= 0xEF) { need = 2; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
        else if (c >= 0xF0 && c <= 0xF4) { need = 3; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
        else return 0;
        if (i + need >= n) return 0;
        if (s[i + 1] < lo || s[i + 1] > hi) return 0;
        for (int k = 2; k <= need; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) return 0;
        i += need + 1;
    }
    return 1;
}

uint32_t utf8_next(const char *str, int *len) {
    const unsigned char *s = (const unsigned char *)str;
    unsigned char c = s[0];
    if (c < 0x80) { *len = 1; return c; }
    if (c < 0xE0) { *len = 2; return ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F); }
    if (c < 0xF0) { *len = 3; return ((uint32_t)(c & 0xF) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F); }
    *len = 4;
    return ((uint32_t)(c & 7) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) | ((uint32_t)(s[2] & 0x3F) << 6) |
           (s[3] & 0x3F);
}

int is_unicode_space(uint32_t c) {
    return (c >= 9 && c <= 13) || c == 32 || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

int bpe_utf8_sanitize(const char *in, size_t len, char **out, size_t *out_len) {
    Buf b = {0};
    Utf8Dec d;
    utf8dec_init(&d);
    if (buf_reserve(&b, len) || utf8dec_feed(&d, (const unsigned char *)in, len, 1, &b)) {
        buf_free(&b);
        return -1;
    }
    b.p[b.n] = 0;
    *out = b.p;
    *out_len = b.n;
    return 0;
}

/* ---- the GPT-2 byte map ---- */
uint32_t BPE_BYTE_CP[256];
int16_t BPE_CP_BYTE[324];
static pthread_once_t byte_map_once = PTHREAD_ONCE_INIT;

static void byte_map_build(void) {
    for (int i = 0; i < 324; i++) BPE_CP_BYTE[i] = -1;
    int extra = 0;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
        BPE_BYTE_CP[b] = printable ? (uint32_t)b : (uint32_t)(256 + extra++);
        BPE_CP_BYTE[BPE_BYTE_CP[b]] = (int16_t)b;
    }
}

void bpe_byte_map_init(void) { pthread_once(&byte_map_once, byte_map_build); }
