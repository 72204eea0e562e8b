/* dtype.h - the 16-bit float formats Hugging Face checkpoints store (BF16, F16) to and from fp32, which the model
 * computes in. Widening is exact; narrowing rounds to nearest, ties to even (as PyTorch's .to() does), so a value
 * that came in as BF16 or F16 goes back out as the same bits. */
#ifndef GRPO_DTYPE_H
#define GRPO_DTYPE_H
#include <stddef.h>
#include <stdint.h>

typedef enum { DTYPE_F32 = 0, DTYPE_BF16 = 1, DTYPE_F16 = 2 } Dtype;

/* bytes of one element */
size_t dtype_size(Dtype t);
/* safetensors' names ("F32", "BF16", "F16") and torch_dtype's ("float32", "bfloat16", "float16"); the
 * parsers return 0 with *t set, or -1 for any other name */
const char *dtype_st_name(Dtype t);
const char *dtype_torch_name(Dtype t);
int dtype_from_st(const char *name, Dtype *t);
int dtype_from_torch(const char *name, Dtype *t);

float dtype_bf16_to_f32(uint16_t h);
float dtype_f16_to_f32(uint16_t h);
uint16_t dtype_f32_to_bf16(float f);
uint16_t dtype_f32_to_f16(float f);

/* n elements of type t at src (little-endian bytes) to fp32 at dst, and back */
void dtype_to_f32(float *dst, const void *src, Dtype t, size_t n);
void dtype_from_f32(void *dst, const float *src, Dtype t, size_t n);

#endif
