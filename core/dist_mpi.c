/* dist_mpi.c - dist.h over MPI_COMM_WORLD (built with GRPO_MPI).
 *
 * Errors return (MPI_ERRORS_RETURN) and end the job through fail(): the fatal callback, then MPI_Abort. A watchdog
 * thread watches the collective in progress: one that has waited longer than the timeout means a rank died without
 * mpirun noticing, or hangs (stopped, deadlocked, swapping); the watchdog reports it and exits the process, and
 * mpirun then stops the rest of the job. MPI is called from one thread at a time (MPI_THREAD_SERIALIZED): the
 * caller's, or the trainer's once the caller has handed over; the watchdog never calls MPI. */
#include "core/dist.h"
#include <mpi.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { FATAL_EXIT = 70 };
#define BUCKET (1u << 20) /* values per all-reduce: 4 MB of floats, a size the transports pipeline well */

static int joined, rank_, size_ = 1;
static void (*fatal_cb)(const char *msg);
static struct {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int running, quit;
    double timeout, since;
    const char *op; /* the collective in progress, NULL: none */
} wd = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static double now_mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void report(const char *msg) {
    if (fatal_cb) fatal_cb(msg);
}

static void *watchdog(void *arg) {
    (void)arg;
    pthread_mutex_lock(&wd.mu);
    while (!wd.quit) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
        pthread_cond_timedwait(&wd.cv, &wd.mu, &ts);
        if (wd.op && now_mono() - wd.since > wd.timeout) {
            char msg[256];
            snprintf(msg, sizeof msg, "MPI rank %d of %d: no answer from the other ranks for %.0f s in %s (a rank died "
                     "or hangs): ending the job", rank_, size_, wd.timeout, wd.op);
            report(msg);
            _exit(FATAL_EXIT);
        }
    }
    pthread_mutex_unlock(&wd.mu);
    return NULL;
}

static void enter(const char *op) {
    pthread_mutex_lock(&wd.mu);
    wd.op = op;
    wd.since = now_mono();
    pthread_mutex_unlock(&wd.mu);
}

static void leave(int rc) {
    pthread_mutex_lock(&wd.mu);
    const char *op = wd.op;
    wd.op = NULL;
    pthread_mutex_unlock(&wd.mu);
    if (rc == MPI_SUCCESS) return;
    char why[MPI_MAX_ERROR_STRING] = "", msg[MPI_MAX_ERROR_STRING + 128];
    int len = 0;
    MPI_Error_string(rc, why, &len);
    snprintf(msg, sizeof msg, "MPI rank %d of %d: %s failed: %s: ending the job", rank_, size_, op, why);
    report(msg);
    MPI_Abort(MPI_COMM_WORLD, FATAL_EXIT);
    _exit(FATAL_EXIT);
}

int dist_init(int *argc, char ***argv, double timeout_s, void (*fatal)(const char *msg), char *err, size_t errlen) {
    if (!dist_launched() || joined) return 0;
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS) {
        snprintf(err, errlen, "MPI_Init_thread failed");
        return -1;
    }
    if (provided < MPI_THREAD_SERIALIZED) {
        snprintf(err, errlen, "this MPI library gives thread level %d; MPI_THREAD_SERIALIZED (%d) is needed", provided,
                 MPI_THREAD_SERIALIZED);
        MPI_Finalize();
        return -1;
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    fatal_cb = fatal;
    wd.timeout = timeout_s;
    if (pthread_create(&wd.th, NULL, watchdog, NULL) != 0) {
        snprintf(err, errlen, "cannot start the MPI watchdog thread");
        MPI_Finalize();
        return -1;
    }
    wd.running = 1;
    joined = 1;
    return 0;
}

void dist_finalize(void) {
    if (!joined) return;
    pthread_mutex_lock(&wd.mu);
    wd.quit = 1;
    pthread_cond_broadcast(&wd.cv);
    pthread_mutex_unlock(&wd.mu);
    if (wd.running) pthread_join(wd.th, NULL);
    wd.running = 0;
    MPI_Finalize();
    joined = 0;
    rank_ = 0;
    size_ = 1;
}

int dist_rank(void) { return rank_; }
int dist_size(void) { return size_; }

void dist_sum_floats(float *buf, size_t n) {
    for (size_t i = 0; size_ > 1 && i < n; i += BUCKET) {
        int k = n - i < BUCKET ? (int)(n - i) : (int)BUCKET;
        enter("the sum of gradients (MPI_Allreduce)");
        leave(MPI_Allreduce(MPI_IN_PLACE, buf + i, k, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD));
    }
}

void dist_sum_doubles(double *buf, size_t n) {
    for (size_t i = 0; size_ > 1 && i < n; i += BUCKET) {
        int k = n - i < BUCKET ? (int)(n - i) : (int)BUCKET;
        enter("a sum over ranks (MPI_Allreduce)");
        leave(MPI_Allreduce(MPI_IN_PLACE, buf + i, k, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
    }
}

void dist_max_doubles(double *buf, size_t n) {
    for (size_t i = 0; size_ > 1 && i < n; i += BUCKET) {
        int k = n - i < BUCKET ? (int)(n - i) : (int)BUCKET;
        enter("a maximum over ranks (MPI_Allreduce)");
        leave(MPI_Allreduce(MPI_IN_PLACE, buf + i, k, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD));
    }
}

void dist_broadcast(void *buf, size_t n) {
    for (size_t i = 0; size_ > 1 && i < n; i += 1u << 30) {
        int k = n - i < (1u << 30) ? (int)(n - i) : 1 << 30;
        enter("the broadcast from rank 0 (MPI_Bcast)");
        leave(MPI_Bcast((char *)buf + i, k, MPI_BYTE, 0, MPI_COMM_WORLD));
    }
}

/* Gathers the ranks' blocks into buf on rank 0 (all = 0) or on every rank. Blocks of up to 2 GB each. */
static void gather(void *buf, size_t item_bytes, int items, int all) {
    if (size_ <= 1) return;
    int counts[size_], displs[size_];
    for (int r = 0; r < size_; r++) {
        int first, count;
        dist_block(items, r, size_, &first, &count);
        counts[r] = (int)(item_bytes * count);
        displs[r] = (int)(item_bytes * first);
    }
    int rc;
    if (all) {
        enter("the exchange of a step's rollouts (MPI_Allgatherv)");
        rc = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, counts, displs, MPI_BYTE, MPI_COMM_WORLD);
    } else {
        enter("the gathering of a step's rollouts on rank 0 (MPI_Gatherv)");
        char *own = (char *)buf + displs[rank_];
        rc = rank_ == 0 ? MPI_Gatherv(MPI_IN_PLACE, 0, MPI_BYTE, buf, counts, displs, MPI_BYTE, 0, MPI_COMM_WORLD)
                        : MPI_Gatherv(own, counts[rank_], MPI_BYTE, NULL, NULL, NULL, MPI_BYTE, 0, MPI_COMM_WORLD);
    }
    leave(rc);
}

void dist_gather(void *buf, size_t item_bytes, int items) { gather(buf, item_bytes, items, 0); }
void dist_allgather(void *buf, size_t item_bytes, int items) { gather(buf, item_bytes, items, 1); }

void dist_barrier(void) {
    if (size_ <= 1) return;
    enter("a barrier (MPI_Barrier)");
    leave(MPI_Barrier(MPI_COMM_WORLD));
}
