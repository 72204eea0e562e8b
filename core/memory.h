/* memory.h - what a run will need and what the machine can give it, in bytes, known before anything is allocated,
 * so that a run too large for the machine is refused at once with the figures instead of failing after seconds of
 * allocating. The trainer fills the estimate (trainer_memory_estimate); this file sums, describes and compares, and
 * reads what the process holds now (memory_resident, shown in the studio's status bar). */
#ifndef GRPO_MEMORY_H
#define GRPO_MEMORY_H
#include <stddef.h>

typedef struct {
    size_t weights;     /* the policy's parameters */
    size_t gradients;   /* the policy's gradients */
    size_t optimizer;   /* AdamW's two moments */
    size_t reference;   /* the frozen reference model */
    size_t kv_cache;    /* the KV cache shared by generation and evaluation, with its inference workspace */
    size_t activations; /* the training forward/backward of one micro-batch (run.activation_mb) */
    size_t buffers;     /* the step's tokens, log-probs and texts */
} MemoryEstimate;

size_t memory_estimate_total(const MemoryEstimate *e);
/* "weights 3.5 MB, gradients 3.5 MB, ..." into buf (always terminated). */
void memory_estimate_describe(const MemoryEstimate *e, char *buf, size_t n);
/* The bytes this process can still get: MemAvailable of /proc/meminfo, or less when the cgroup's memory.max minus
 * its current use is smaller. 0 when neither can be read. */
size_t memory_available(void);
/* The bytes of this process resident in RAM now (VmRSS: the second field of /proc/self/statm times the page size).
 * 0 when it cannot be read. One small file read: callers that show it refresh it about once a second. */
size_t memory_resident(void);
/* A size for people: "7.2 GB", "350 MB", "12 KB", "512 B". */
void memory_format(size_t bytes, char *buf, size_t n);

#endif
