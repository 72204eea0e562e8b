/* dist_local.c - dist.h for a build without MPI: one process, rank 0 of 1; collectives leave buffers as they are. */
#include "core/dist.h"
#include <stdio.h>

int dist_init(int *argc, char ***argv, double timeout_s, void (*fatal)(const char *msg), char *err, size_t errlen) {
    (void)argc, (void)argv, (void)timeout_s, (void)fatal;
    if (!dist_launched()) return 0;
    snprintf(err, errlen, "started by mpirun, but this build has no MPI support (install libopenmpi-dev and rebuild: "
                          "CMake option GRPO_MPI)");
    return -1;
}

void dist_finalize(void) {}
int dist_rank(void) { return 0; }
int dist_size(void) { return 1; }
void dist_sum_floats(float *buf, size_t n) { (void)buf, (void)n; }
void dist_sum_doubles(double *buf, size_t n) { (void)buf, (void)n; }
void dist_max_doubles(double *buf, size_t n) { (void)buf, (void)n; }
void dist_broadcast(void *buf, size_t n) { (void)buf, (void)n; }
void dist_gather(void *buf, size_t item_bytes, int items) { (void)buf, (void)item_bytes, (void)items; }
void dist_allgather(void *buf, size_t item_bytes, int items) { (void)buf, (void)item_bytes, (void)items; }
void dist_barrier(void) {}
