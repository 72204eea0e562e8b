/* replay_main.c - runs a fuzz harness over a committed corpus without libFuzzer, so that the ordinary build (gcc,
 * and the ASan/UBSan build of `make test`) replays every input the fuzzer kept.
 *
 * Usage: fuzz_replay_<target> PATH...   each PATH a file or a directory of files (not recursive).
 * Every file is read whole and passed once to LLVMFuzzerTestOneInput, the harness's entry point, after
 * LLVMFuzzerInitialize when the harness defines one (the same order libFuzzer uses). A harness reports a bug by
 * crashing or aborting (a sanitizer, an assert); this driver only fails when a path cannot be read or holds no
 * input, so a corpus that went missing is not a silent pass. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Reads path whole and runs it. Returns 0, or -1 when it cannot be read. */
static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "%s: cannot open\n", path); return -1; }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap *= 2);
            if (!nb) { free(buf); buf = NULL; }
            buf = nb;
        }
    }
    int bad = !buf || ferror(f);
    fclose(f);
    if (bad) { fprintf(stderr, "%s: read failed\n", path); free(buf); return -1; }
    /* an exact-size copy, so that ASan catches a harness reading one byte past the input as libFuzzer would */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) { free(buf); return -1; }
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Runs every regular file of dir in name order; adds to *count. Returns 0 or -1. */
static int replay_dir(const char *dir, int *count) {
    DIR *d = opendir(dir);
    if (!d) { fprintf(stderr, "%s: cannot open directory\n", dir); return -1; }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            char **nn = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
            if (!nn) { rc = -1; break; }
            names = nn;
        }
        if (!(names[n] = strdup(e->d_name))) { rc = -1; break; }
        n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (rc == 0 && stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            if (replay_file(path) != 0) rc = -1;
            else (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]); return 2; }
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int count = 0, rc = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) { fprintf(stderr, "%s: no such file or directory\n", argv[i]); rc = 1; continue; }
        if (S_ISDIR(sb.st_mode) ? replay_dir(argv[i], &count) != 0 : replay_file(argv[i]) != 0) rc = 1;
        else if (!S_ISDIR(sb.st_mode)) count++;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    printf("%s: replayed %d inputs in %.2f s\n", argv[0], count, secs);
    if (count == 0) { fprintf(stderr, "no input replayed: the corpus is missing\n"); rc = 1; }
    return rc;
}
