/* dtype.c - BF16 and F16 to and from fp32 (see dtype.h). Little-endian host assumed, as in checkpoint.c. */
#include "core/dtype.h"
#include <string.h>

static const char *const ST_NAMES[3] = {"F32", "BF16", "F16"};
static const char *const TORCH_NAMES[3] = {"float32", "bfloat16", "float16"};

size_t dtype_size(Dtype t) { return t == DTYPE_F32 ? 4 : 2; }
const char *dtype_st_name(Dtype t) { return ST_NAMES[t]; }
const char *dtype_torch_name(Dtype t) { return TORCH_NAMES[t]; }

static int lookup(const char *const names[3], const char *name, Dtype *t) {
    for (int i = 0; i < 3; i++)
        if (!strcmp(names[i], name)) {
            *t = (Dtype)i;
            return 0;
        }
    return -1;
}
int dtype_from_st(const char *name, Dtype *t) { return lookup(ST_NAMES, name, t); }
int dtype_from_torch(const char *name, Dtype *t) { return lookup(TORCH_NAMES, name, t); }

static float bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

float dtype_bf16_to_f32(uint16_t h) { return bits_f32((uint32_t)h << 16); }

uint16_t dtype_f32_to_bf16(float f) {
    uint32_t u = f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* NaN stays a (quiet) NaN */
    u += 0x7fffu + ((u >> 16) & 1u);                                          /* nearest, ties to even */
    return (uint16_t)(u >> 16);
}

/* F16: 1 sign, 5 exponent (bias 15), 10 mantissa bits */
float dtype_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
    if (exp == 0x1f) return bits_f32(sign | 0x7f800000u | (man << 13)); /* inf, NaN */
    if (exp != 0) return bits_f32(sign | ((exp + 112) << 23) | (man << 13));
    if (man == 0) return bits_f32(sign);
    /* subnormal: man * 2^-24, exact in fp32 */
    float v = (float)man * (1.0f / 16777216.0f);
    return sign ? -v : v;
}

uint16_t dtype_f32_to_f16(float f) {
    uint32_t u = f32_bits(f), sign = (u >> 16) & 0x8000u, a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu)); /* NaN */
    if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* rounds to 65520 or more: infinity */
    if (a < 0x38800000u) { /* below the smallest normal 2^-14: a multiple of 2^-24, rounded to nearest even */
        if (a < 0x33000000u) return (uint16_t)sign; /* at most 2^-25: rounds to zero */
        uint32_t e = a >> 23, m = (a & 0x7fffffu) | 0x800000u; /* value = m * 2^(e - 150) */
        int shift = 126 - (int)e; /* m >> (shift) is the value in units of 2^-24 */
        uint32_t q = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1u))) q++;
        return (uint16_t)(sign | q);
    }
    uint32_t r = a - (112u << 23); /* rebias the exponent */
    r += 0xfffu + ((r >> 13) & 1u);
    return (uint16_t)(sign | (r >> 13));
}

void dtype_to_f32(float *dst, const void *src, Dtype t, size_t n) {
    if (t == DTYPE_F32) {
        memcpy(dst, src, n * 4);
        return;
    }
    const unsigned char *p = src;
    for (size_t i = 0; i < n; i++) {
        uint16_t h = (uint16_t)(p[2 * i] | (p[2 * i + 1] << 8));
        dst[i] = t == DTYPE_BF16 ? dtype_bf16_to_f32(h) : dtype_f16_to_f32(h);
    }
}

void dtype_from_f32(void *dst, const float *src, Dtype t, size_t n) {
    if (t == DTYPE_F32) {
        memcpy(dst, src, n * 4);
        return;
    }
    unsigned char *p = dst;
    for (size_t i = 0; i < n; i++) {
        uint16_t h = t == DTYPE_BF16 ? dtype_f32_to_bf16(src[i]) : dtype_f32_to_f16(src[i]);
        p[2 * i] = (unsigned char)(h & 0xff);
        p[2 * i + 1] = (unsigned char)(h >> 8);
    }
}
