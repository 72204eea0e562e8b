/* store_writer.c - the asynchronous writer (store.h): a pthread that owns a Store and a FIFO of deep copies.
 *
 * Producers (the trainer's callbacks, the UI thread) only take the lock long enough to link one item; the copy is
 * made before the lock, into a single allocation per item. The thread takes one item at a time and writes it with
 * the synchronous API, so a StepRecord is still one transaction. The queue is unbounded on purpose: dropping a step
 * would break "every rollout is logged"; store_writer_pending tells the UI when the disk falls behind. */
#include "storage/store.h"
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef enum { ITEM_STEP, ITEM_EVENT, ITEM_CHECKPOINT, ITEM_EVAL, ITEM_STATUS } ItemKind;

typedef struct Item {
    struct Item *next;
    ItemKind kind;
    union {
        StepRecord step;     /* rollouts, metrics and their strings live in this same allocation */
        Event event;
        struct { int step; char path[PATH_MAX]; char sha256[65]; double wall_time; } checkpoint;
        StoreEval eval;
        struct { char status[16]; double end_time; } status;
    } u;
} Item;

struct StoreWriter {
    Store *s;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake;      /* an item was queued or stop requested */
    pthread_cond_t done;      /* an item was finished */
    Item *head, *tail;
    int64_t queued, finished; /* sequence numbers: flush waits for finished >= queued-at-call */
    int pending;
    int stopping;
    int failed;
    char error[1024];
    StoreWriterErrorFn on_error;  /* told once, on the writer thread, when the first write fails */
    void *on_error_ud;
    int64_t steps_written;
    double last_step_ms;
};

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static size_t slen(const char *t) { return t ? strlen(t) + 1 : 1; }

/* Copies t (NULL as "") to *cursor and advances it. */
static const char *put_str(char **cursor, const char *t) {
    char *d = *cursor;
    size_t n = slen(t);
    if (t) memcpy(d, t, n); else d[0] = 0;
    *cursor += n;
    return d;
}

/* Copies n elements of `size` bytes from src (NULL stays NULL) to *cursor and advances it. */
static const void *put_array(char **cursor, const void *src, size_t n, size_t size) {
    if (!src) return NULL;
    void *d = *cursor;
    memcpy(d, src, n * size);
    *cursor += n * size;
    return d;
}

/* The bytes of a rollout's per-token arrays (record.h), each a multiple of 4. */
static size_t token_bytes(const Rollout *r) {
    if (!r->token_ids || r->length <= 0) return 0;
    size_t n = (size_t)r->length;
    return n * sizeof(int) + n * sizeof(float) * (!!r->token_logprob + !!r->token_entropy + !!r->token_ratio);
}

/* One allocation: Item, then the Rollout array, the Metric array, the per-token arrays (4-byte elements, kept
 * before the strings so they stay aligned), then every string. A plain memcpy of each array: the trainer's
 * thread does no more than copy; the blobs are encoded on the writer thread. */
static Item *copy_step(const StepRecord *rec) {
    size_t bytes = sizeof(Item) + (size_t)rec->n_rollouts * sizeof(Rollout) + (size_t)rec->n_metrics * sizeof(Metric);
    for (int i = 0; i < rec->n_rollouts; i++) {
        const Rollout *r = &rec->rollouts[i];
        bytes += token_bytes(r) + slen(r->task) + slen(r->prompt) + slen(r->completion) + slen(r->answer);
    }
    for (int i = 0; i < rec->n_metrics; i++) bytes += slen(rec->metrics[i].name);
    Item *it = malloc(bytes);
    if (!it) return NULL;
    memset(it, 0, sizeof *it);
    it->kind = ITEM_STEP;
    Rollout *ro = (Rollout *)(it + 1);
    Metric *me = (Metric *)(ro + rec->n_rollouts);
    char *cursor = (char *)(me + rec->n_metrics);
    for (int i = 0; i < rec->n_rollouts; i++) {
        const Rollout *r = &rec->rollouts[i];
        ro[i] = *r;
        if (!token_bytes(r)) {
            ro[i].token_ids = NULL;
            ro[i].token_logprob = ro[i].token_entropy = ro[i].token_ratio = NULL;
            continue;
        }
        size_t n = (size_t)r->length;
        ro[i].token_ids = put_array(&cursor, r->token_ids, n, sizeof(int));
        ro[i].token_logprob = put_array(&cursor, r->token_logprob, n, sizeof(float));
        ro[i].token_entropy = put_array(&cursor, r->token_entropy, n, sizeof(float));
        ro[i].token_ratio = put_array(&cursor, r->token_ratio, n, sizeof(float));
    }
    for (int i = 0; i < rec->n_rollouts; i++) {
        ro[i].task = put_str(&cursor, rec->rollouts[i].task);
        ro[i].prompt = put_str(&cursor, rec->rollouts[i].prompt);
        ro[i].completion = put_str(&cursor, rec->rollouts[i].completion);
        ro[i].answer = put_str(&cursor, rec->rollouts[i].answer);
    }
    for (int i = 0; i < rec->n_metrics; i++) {
        me[i].value = rec->metrics[i].value;
        me[i].name = put_str(&cursor, rec->metrics[i].name);
    }
    it->u.step = *rec;
    it->u.step.rollouts = ro;
    it->u.step.metrics = me;
    return it;
}

static void write_item(StoreWriter *w, Item *it, char *err, size_t errlen, int *rc) {
    Store *s = w->s;
    switch (it->kind) {
    case ITEM_STEP: {
        double t0 = now_ms();
        *rc = store_write_step(s, &it->u.step, err, errlen);
        double dt = now_ms() - t0;
        pthread_mutex_lock(&w->mu);
        if (*rc == 0) { w->steps_written++; w->last_step_ms = dt; }
        pthread_mutex_unlock(&w->mu);
        break;
    }
    case ITEM_EVENT: *rc = store_write_event(s, &it->u.event, err, errlen); break;
    case ITEM_CHECKPOINT:
        *rc = store_write_checkpoint(s, it->u.checkpoint.step, it->u.checkpoint.path, it->u.checkpoint.sha256,
                                     it->u.checkpoint.wall_time, err, errlen);
        break;
    case ITEM_EVAL: *rc = store_write_eval(s, &it->u.eval, err, errlen); break;
    case ITEM_STATUS: *rc = store_set_status(s, it->u.status.status, it->u.status.end_time, err, errlen); break;
    }
}

static void *writer_main(void *arg) {
    StoreWriter *w = arg;
    char err[1024];
    /* The lowest CPU priority (Linux: per thread): training keeps both cores busy, and a write can wait for the
     * moments they are idle (between steps, while rewards are scored) instead of preempting a worker that the
     * others then wait for. Nothing is lost by waiting: the queue keeps every step. */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->head && !w->stopping) pthread_cond_wait(&w->wake, &w->mu);
        if (!w->head) break;                  /* stopping and drained */
        Item *it = w->head;
        w->head = it->next;
        if (!w->head) w->tail = NULL;
        int failed = w->failed;
        pthread_mutex_unlock(&w->mu);

        int rc = 0;
        err[0] = 0;
        if (!failed) write_item(w, it, err, sizeof err, &rc);   /* after a failure, drain without writing */
        free(it);

        pthread_mutex_lock(&w->mu);
        if (rc != 0 && !w->failed) {
            w->failed = 1;
            snprintf(w->error, sizeof w->error, "%s", err);
            if (w->on_error) {      /* told now, not at stop: the trainer must not go on unrecorded */
                pthread_mutex_unlock(&w->mu);
                w->on_error(w->on_error_ud, err);
                pthread_mutex_lock(&w->mu);
            }
        }
        w->pending--;
        w->finished++;
        pthread_cond_broadcast(&w->done);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

StoreWriter *store_writer_start(Store *s, StoreWriterErrorFn on_error, void *ud, char *err, size_t errlen) {
    if (store_run_id(s) <= 0) {
        snprintf(err, errlen, "%s: no run selected before starting the writer", store_path(s));
        return NULL;
    }
    StoreWriter *w = calloc(1, sizeof *w);
    if (!w) { snprintf(err, errlen, "%s: cannot start the writer (out of memory)", store_path(s)); return NULL; }
    w->s = s;
    w->on_error = on_error;
    w->on_error_ud = ud;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->done, NULL);
    int e = pthread_create(&w->thread, NULL, writer_main, w);
    if (e != 0) {
        snprintf(err, errlen, "%s: cannot start the writer thread (%s)", store_path(s), strerror(e));
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->wake);
        pthread_cond_destroy(&w->done);
        free(w);
        return NULL;
    }
    return w;
}

static int enqueue(StoreWriter *w, Item *it) {
    if (!it) {
        pthread_mutex_lock(&w->mu);
        int first = !w->failed;
        if (first) {
            w->failed = 1;
            snprintf(w->error, sizeof w->error, "%s: out of memory while queueing a write", store_path(w->s));
        }
        char msg[sizeof w->error];
        memcpy(msg, w->error, sizeof msg);
        pthread_mutex_unlock(&w->mu);
        if (first && w->on_error) w->on_error(w->on_error_ud, msg);
        return -1;
    }
    it->next = NULL;
    pthread_mutex_lock(&w->mu);
    if (w->failed || w->stopping) {
        pthread_mutex_unlock(&w->mu);
        free(it);
        return -1;
    }
    if (w->tail) w->tail->next = it; else w->head = it;
    w->tail = it;
    w->pending++;
    w->queued++;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

static Item *new_item(ItemKind kind) {
    Item *it = calloc(1, sizeof *it);
    if (it) it->kind = kind;
    return it;
}

int store_writer_step(StoreWriter *w, const StepRecord *rec) { return enqueue(w, copy_step(rec)); }

int store_writer_event(StoreWriter *w, const Event *ev) {
    Item *it = new_item(ITEM_EVENT);
    if (it) it->u.event = *ev;
    return enqueue(w, it);
}

int store_writer_checkpoint(StoreWriter *w, int step, const char *path, const char *sha256) {
    Item *it = new_item(ITEM_CHECKPOINT);
    if (it) {
        it->u.checkpoint.step = step;
        snprintf(it->u.checkpoint.path, sizeof it->u.checkpoint.path, "%s", path ? path : "");
        snprintf(it->u.checkpoint.sha256, sizeof it->u.checkpoint.sha256, "%s", sha256 ? sha256 : "");
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        it->u.checkpoint.wall_time = ts.tv_sec + ts.tv_nsec * 1e-9;
    }
    return enqueue(w, it);
}

int store_writer_eval(StoreWriter *w, const StoreEval *e) {
    Item *it = new_item(ITEM_EVAL);
    if (it) it->u.eval = *e;
    return enqueue(w, it);
}

int store_writer_status(StoreWriter *w, const char *status, double end_time) {
    Item *it = new_item(ITEM_STATUS);
    if (it) {
        snprintf(it->u.status.status, sizeof it->u.status.status, "%s", status ? status : "");
        it->u.status.end_time = end_time;
    }
    return enqueue(w, it);
}

int store_writer_flush(StoreWriter *w) {
    pthread_mutex_lock(&w->mu);
    int64_t target = w->queued;
    while (w->finished < target) pthread_cond_wait(&w->done, &w->mu);
    int failed = w->failed;
    pthread_mutex_unlock(&w->mu);
    return failed ? -1 : 0;
}

int store_writer_pending(StoreWriter *w) {
    pthread_mutex_lock(&w->mu);
    int n = w->pending;
    pthread_mutex_unlock(&w->mu);
    return n;
}

void store_writer_stats(StoreWriter *w, int64_t *steps_written, double *last_step_ms) {
    pthread_mutex_lock(&w->mu);
    if (steps_written) *steps_written = w->steps_written;
    if (last_step_ms) *last_step_ms = w->last_step_ms;
    pthread_mutex_unlock(&w->mu);
}

int store_writer_error(StoreWriter *w, char *buf, size_t n) {
    pthread_mutex_lock(&w->mu);
    int failed = w->failed;
    if (buf && n) snprintf(buf, n, "%s", failed ? w->error : "");
    pthread_mutex_unlock(&w->mu);
    return failed;
}

int store_writer_stop(StoreWriter *w, char *err, size_t errlen) {
    if (!w) return 0;
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    int failed = w->failed;
    if (err && errlen) snprintf(err, errlen, "%s", failed ? w->error : "");
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->done);
    free(w);
    return failed ? -1 : 0;
}
