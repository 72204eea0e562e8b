/* dist.h - the processes of a data-parallel run, as core/ sees them: a rank among `size`, sums of float and double
 * buffers over all ranks, a broadcast from rank 0, gathers of blocks, a barrier. No MPI type crosses this header.
 *
 * Built with GRPO_MPI, core/dist_mpi.c implements it over MPI_COMM_WORLD; without, core/dist_local.c is one process.
 * Until dist_init has joined a job (a process that mpirun did not start never joins one), every function acts as a
 * single process: rank 0 of 1, collectives that leave their buffers as they are.
 *
 * A collective that fails, or that waits longer than the timeout for the other ranks (one died or hangs), ends the
 * whole job: the fatal callback given to dist_init is told why (it should print and return), then the process exits
 * with status 70 and mpirun stops the other ranks. A checkpoint being written is not torn by that: checkpoints are
 * written to a temporary folder and renamed (checkpoint.h). */
#ifndef GRPO_DIST_H
#define GRPO_DIST_H
#include <stddef.h>

/* 1 when this process was started by mpirun (its environment says so), whether or not it has joined yet. */
int dist_launched(void);
/* Joins the job when dist_launched(); otherwise does nothing. `fatal` (may be NULL) receives the message of a failed
 * or timed-out collective before the process exits; timeout_s bounds one collective's wait (> 0). Returns 0, or -1
 * with err (MPI could not start, or this build has no MPI support). Call once, before any other thread starts. */
int dist_init(int *argc, char ***argv, double timeout_s, void (*fatal)(const char *msg), char *err, size_t errlen);
/* Leaves the job (no-op when never joined). */
void dist_finalize(void);
int dist_rank(void);
int dist_size(void);

/* Every rank's buf (n values) replaced by the sum over the ranks, in place; n may be 0. */
void dist_sum_floats(float *buf, size_t n);
void dist_sum_doubles(double *buf, size_t n);
/* Every rank's buf (n values) replaced by the maximum over the ranks, in place. */
void dist_max_doubles(double *buf, size_t n);
/* Rank 0's n bytes of buf copied into every rank's buf. */
void dist_broadcast(void *buf, size_t n);
/* buf holds `items` items of `item_bytes` each, split in dist_block's blocks: each rank's own block is in place.
 * After the call rank 0 (dist_gather) or every rank (dist_allgather) holds all of them. */
void dist_gather(void *buf, size_t item_bytes, int items);
void dist_allgather(void *buf, size_t item_bytes, int items);
void dist_barrier(void);

/* The block of `items` (contiguous, in rank order, sizes differing by one at most) that `rank` of `size` takes: its
 * first item and count. */
void dist_block(int items, int rank, int size, int *first, int *count);

#endif
