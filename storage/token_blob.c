/* token_blob.c - the rollout_tokens blobs (see token_blob.h for the layout and why half floats). */
#include "storage/token_blob.h"
#include <math.h>
#include <string.h>

uint16_t token_f16_from_float(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    int exp = (int)((x >> 23) & 0xffu);
    uint32_t man = x & 0x7fffffu;
    if (exp == 0xff) return (uint16_t)(sign | 0x7c00u | (man ? 0x200u : 0u)); /* infinity, NaN */
    int e = exp - 127 + 15;
    if (e >= 0x1f) return (uint16_t)(sign | 0x7c00u);                      /* too large: infinity */
    if (e <= 0) {                                                           /* a half subnormal, or zero */
        if (e < -10) return sign;
        man |= 0x800000u;
        int shift = 14 - e;
        uint32_t hm = man >> shift, rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (hm & 1u))) hm++;
        return (uint16_t)(sign | hm);
    }
    uint32_t h = (uint32_t)sign | ((uint32_t)e << 10) | (man >> 13), rem = man & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++;                /* a carry may round up to infinity */
    return (uint16_t)h;
}

float token_f16_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, x;
    if (e == 0) {
        float v = ldexpf((float)m, -24);
        return sign ? -v : v;
    }
    if (e == 31) x = sign | 0x7f800000u | (m << 13);
    else x = sign | ((e - 15 + 127) << 23) | (m << 13);
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

static int id_width(const int *ids, int n) {
    int mx = 0;
    for (int i = 0; i < n; i++) if (ids[i] > mx) mx = ids[i];
    return mx < 0x100 ? 1 : mx < 0x10000 ? 2 : 4;
}

size_t token_blob_ids_bytes(const int *ids, int n) { return 1 + (size_t)n * id_width(ids, n); }

size_t token_blob_put_ids(unsigned char *out, const int *ids, int n) {
    int w = id_width(ids, n);
    out[0] = (unsigned char)w;
    unsigned char *p = out + 1;
    for (int i = 0; i < n; i++) {
        uint32_t v = (uint32_t)ids[i];
        for (int k = 0; k < w; k++) *p++ = (unsigned char)(v >> (8 * k));
    }
    return (size_t)(p - out);
}

int token_blob_get_ids(const unsigned char *blob, size_t bytes, int *out, int max) {
    if (bytes < 1) return -1;
    int w = blob[0];
    if (w != 1 && w != 2 && w != 4) return -1;
    size_t body = bytes - 1;
    if (body % (size_t)w || body / (size_t)w > (size_t)max) return -1;
    int n = (int)(body / (size_t)w);
    const unsigned char *p = blob + 1;
    for (int i = 0; i < n; i++) {
        uint32_t v = 0;
        for (int k = 0; k < w; k++) v |= (uint32_t)*p++ << (8 * k);
        if (v > 0x7fffffffu) return -1;
        out[i] = (int)v;
    }
    return n;
}

size_t token_blob_put_f16(unsigned char *out, const float *v, int n) {
    for (int i = 0; i < n; i++) {
        uint16_t h = token_f16_from_float(v[i]);
        out[2 * i] = (unsigned char)(h & 0xffu);
        out[2 * i + 1] = (unsigned char)(h >> 8);
    }
    return (size_t)n * 2;
}

int token_blob_get_f16(const unsigned char *blob, size_t bytes, float *out, int max) {
    if (bytes % 2 || bytes / 2 > (size_t)max) return -1;
    int n = (int)(bytes / 2);
    for (int i = 0; i < n; i++) out[i] = token_f16_to_float((uint16_t)(blob[2 * i] | (blob[2 * i + 1] << 8)));
    return n;
}
