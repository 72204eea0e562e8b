/* memory.c - memory estimates and what the machine has (memory.h). */
#include "core/memory.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

size_t memory_estimate_total(const MemoryEstimate *e) {
    return e->weights + e->gradients + e->optimizer + e->reference + e->kv_cache + e->activations + e->buffers;
}

void memory_estimate_describe(const MemoryEstimate *e, char *buf, size_t n) {
    const struct { const char *name; size_t bytes; } parts[] = {
        {"weights", e->weights},   {"gradients", e->gradients},     {"AdamW", e->optimizer},
        {"reference", e->reference}, {"KV cache", e->kv_cache}, {"activations", e->activations},
        {"step buffers", e->buffers}};
    size_t at = 0;
    if (n) buf[0] = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0] && at < n; i++) {
        char size[32];
        memory_format(parts[i].bytes, size, sizeof size);
        int w = snprintf(buf + at, n - at, "%s%s %s", i ? ", " : "", parts[i].name, size);
        if (w < 0) break;
        at += (size_t)w;
    }
}

/* The first number after `key` in a text file, or -1. */
static long long read_number(const char *path, const char *key) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[256];
    long long v = -1;
    size_t kn = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, kn) == 0 && sscanf(line + kn, "%lld", &v) == 1) break;
    fclose(f);
    return v;
}

size_t memory_available(void) {
    long long kb = read_number("/proc/meminfo", "MemAvailable:");
    size_t avail = kb > 0 ? (size_t)kb * 1024 : 0;
    long long max = read_number("/sys/fs/cgroup/memory.max", ""); /* "max" (no limit) reads as -1 */
    long long cur = read_number("/sys/fs/cgroup/memory.current", "");
    if (max > 0 && cur >= 0) {
        size_t left = max > cur ? (size_t)(max - cur) : 0;
        if (!avail || left < avail) avail = left;
    }
    return avail;
}

size_t memory_resident(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long long size, resident;
    int n = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return n == 2 && page > 0 ? (size_t)resident * (size_t)page : 0;
}

void memory_format(size_t bytes, char *buf, size_t n) {
    double b = (double)bytes;
    if (b >= 1e9) snprintf(buf, n, "%.1f GB", b / 1e9);
    else if (b >= 1e6) snprintf(buf, n, "%.0f MB", b / 1e6);
    else if (b >= 1e3) snprintf(buf, n, "%.0f KB", b / 1e3);
    else snprintf(buf, n, "%zu B", bytes);
}
