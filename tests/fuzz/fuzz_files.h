/* fuzz_files.h - for harnesses whose parser reads files by path (checkpoints, JSONL, a database): one private
 * temporary directory per process, files written into it whole, and the directory removed with everything in it
 * at exit. Header-only (static inline functions) so that each fuzz_<target>.c stays one translation unit for CMake's
 * glob. */
#ifndef GRPO_FUZZ_FILES_H
#define GRPO_FUZZ_FILES_H
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir_path[256];

static void fuzz_dir_remove(void) {
    DIR *d = opendir(fuzz_dir_path);
    if (d) {
        char path[512];
        for (struct dirent *e; (e = readdir(d));) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(path, sizeof path, "%s/%s", fuzz_dir_path, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(fuzz_dir_path);
}

/* The process's temporary directory, created on the first call: under $TMPDIR when set, else /dev/shm (a file
 * system in memory: on a busy disk, /tmp made the checkpoint fuzzers five times slower), else /tmp. Exits when it
 * cannot be created, since no input can then be tested. */
static inline const char *fuzz_dir(void) {
    if (fuzz_dir_path[0]) return fuzz_dir_path;
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !tmp[0]) tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/grpo-fuzz-XXXXXX", tmp);
    if (!mkdtemp(fuzz_dir_path)) { perror("fuzz: mkdtemp"); exit(2); }
    atexit(fuzz_dir_remove);
    return fuzz_dir_path;
}

/* The path of fuzz_dir()/name in a static buffer, valid until the next call of fuzz_path or fuzz_write. */
static inline const char *fuzz_path(const char *name) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
    return path;
}

/* Writes data (size bytes) as fuzz_dir()/name, replacing it. Exits when the write fails. Returns fuzz_path(name). */
static inline const char *fuzz_write(const char *name, const void *data, size_t size) {
    const char *path = fuzz_path(name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) { perror(path); exit(2); }
    return path;
}

#endif
