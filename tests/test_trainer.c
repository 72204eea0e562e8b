/* test_trainer.c - the GRPO step loop: steering from another thread (pause, single step, set, stop), no allocation
 * inside a training step, the loss variants' switches reach the step (overlong shaping, masking of truncated
 * completions, batch-scaled advantages, dynamic sampling within its cap, entropy masking, reference refresh), a
 * resumed run that continues exactly where an uninterrupted one goes, and a run whose last checkpoint cannot be
 * written ends failed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/config.h"
#include "core/grpo.h"
#include "core/sampler.h"
#include "core/trainer.h"

/* Counting allocations: every allocation of the process is seen, so a step that allocates is caught, and the bytes
 * asked for are held against the memory estimate. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZER_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZER_MALLOC 1
#endif
#endif
/* ThreadSanitizer's hooks do not see posix_memalign, where the big buffers come from: the bytes are held against the
 * estimate in the release and ASan builds (make test), not under TSan. */
#if defined(__SANITIZE_THREAD__)
#define COUNTS_ALIGNED_BYTES 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define COUNTS_ALIGNED_BYTES 0
#endif
#endif
#ifndef COUNTS_ALIGNED_BYTES
#define COUNTS_ALIGNED_BYTES 1
#endif
static long g_allocs;
static size_t g_bytes; /* bytes asked for, to hold the memory estimate against */
static void *counted(void *p, size_t n) {
    __atomic_add_fetch(&g_allocs, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&g_bytes, n, __ATOMIC_RELAXED);
    return p;
}
#ifdef SANITIZER_MALLOC
/* The sanitizer owns malloc: a malloc of our own would bypass its allocator (whose free would then meet pointers it
 * never gave out) or recurse through its interceptors. It calls these hooks on every allocation and free instead. */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));
static void on_malloc(const volatile void *p, size_t n) { counted((void *)p, n); }
static void on_free(const volatile void *p) { (void)p; }
static void count_allocs_start(void) { __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free); }
#else
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
void *malloc(size_t n) { return counted(__libc_malloc(n), n); }
void *calloc(size_t a, size_t b) { return counted(__libc_calloc(a, b), a * b); }
void *realloc(void *p, size_t n) { return counted(__libc_realloc(p, n), n); }
int posix_memalign(void **p, size_t a, size_t n) {
    *p = counted(__libc_memalign(a, n), n);
    return *p ? 0 : 12;
}
void *aligned_alloc(size_t a, size_t n) { return counted(__libc_memalign(a, n), n); }
static void count_allocs_start(void) {}
#endif

static char g_dir[256];

static void small_config(Config *c, const char *name) {
    char err[512];
    config_defaults(c);
    const char *sets[] = {"model.preset=custom", "model.d_model=32", "model.n_layers=2", "model.n_heads=2",
                          "model.ffn_hidden=64", "model.max_seq=64", "model.init=random", "task.digits_min=1",
                          "task.digits_max=2", "grpo.group_size=4", "grpo.prompts_per_step=4",
                          "sampling.max_new_tokens=24", "optim.lr=1e-3", "optim.warmup_steps=0", "run.eval_every=0",
                          "run.checkpoint_every=0", "run.max_batch=32", "run.steps=1000", "pretrain.seq_len=64"};
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) {
        if (config_set(c, sets[i], err, sizeof err) != 0) fail_msg("%s: %s", sets[i], err);
    }
    snprintf(c->run.out_dir, sizeof c->run.out_dir, "%s", g_dir);
    snprintf(c->run.name, sizeof c->run.name, "%s", name);
    if (config_finish(c, err, sizeof err) != 0) fail_msg("%s", err);
}

typedef struct {
    pthread_mutex_t mu;
    int steps_seen;
    long allocs_at_step[64];
    double reward_at_step[64];
    double lr_at_step[64];
    int n_set_events, set_step;
    char set_old[48], set_new[48];
    int n_pause, n_checkpoints, n_errors;
    int stop_at;              /* the callback stops the trainer after this step (0: never) */
    Trainer *t;
} Seen;

static void on_step(void *ud, const StepRecord *r) {
    Seen *s = ud;
    pthread_mutex_lock(&s->mu);
    s->steps_seen++;
    if (r->step < 64) {
        s->allocs_at_step[r->step] = __atomic_load_n(&g_allocs, __ATOMIC_RELAXED);
        for (int i = 0; i < r->n_metrics; i++)
            if (!strcmp(r->metrics[i].name, "reward")) s->reward_at_step[r->step] = r->metrics[i].value;
            else if (!strcmp(r->metrics[i].name, "lr")) s->lr_at_step[r->step] = r->metrics[i].value;
    }
    pthread_mutex_unlock(&s->mu);
    if (s->stop_at && r->step >= s->stop_at) trainer_stop(s->t);
}

static void on_event(void *ud, const Event *ev) {
    Seen *s = ud;
    pthread_mutex_lock(&s->mu);
    if (ev->kind == EVENT_SET) {
        s->n_set_events++;
        s->set_step = ev->step;
        snprintf(s->set_old, sizeof s->set_old, "%s", ev->old_value);
        snprintf(s->set_new, sizeof s->set_new, "%s", ev->new_value);
    }
    s->n_pause += ev->kind == EVENT_PAUSE;
    s->n_checkpoints += ev->kind == EVENT_CHECKPOINT;
    s->n_errors += ev->kind == EVENT_ERROR;
    pthread_mutex_unlock(&s->mu);
}

static void *run_thread(void *arg) {
    trainer_run(arg);
    return NULL;
}

static int wait_for(Trainer *t, int (*cond)(Trainer *, int), int arg) {
    for (int i = 0; i < 3000; i++) { /* 30 s at most */
        if (cond(t, arg)) return 1;
        usleep(10000);
    }
    return 0;
}
static int is_paused(Trainer *t, int arg) { (void)arg; return trainer_status(t) == TRAINER_PAUSED; }
static int step_at_least(Trainer *t, int n) { return trainer_step(t) >= n; }

static void test_steering_from_another_thread(void **state) {
    (void)state;
    Config c;
    small_config(&c, "steer");
    Seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
    TrainerCallbacks cb = {.ud = &s, .on_step = on_step, .on_event = on_event};
    char err[512];
    Trainer *t = trainer_new(&c, &cb, err, sizeof err);
    assert_non_null(t);
    s.t = t;
    pthread_t th;
    pthread_create(&th, NULL, run_thread, t);
    assert_true(wait_for(t, step_at_least, 2));

    trainer_pause(t);
    assert_true(wait_for(t, is_paused, 0));
    int at = trainer_step(t);
    usleep(300000);
    assert_int_equal(trainer_step(t), at); /* paused: no progress */

    /* live changes are validated at once and applied at the next step */
    assert_int_equal(trainer_set(t, "optim.lr", "3e-4", err, sizeof err), 0);
    assert_int_equal(trainer_set(t, "optim.lr", "7", err, sizeof err), -1);
    assert_non_null(strstr(err, "lr"));
    assert_int_equal(trainer_set(t, "model.d_model", "64", err, sizeof err), -1);
    assert_int_equal(trainer_set(t, "optim.nope", "1", err, sizeof err), -1);
    assert_non_null(strstr(err, "optim.nope"));
    assert_int_equal(trainer_set(t, "grpo.group_size", "64", err, sizeof err), -1); /* 4 x 64 > max_batch 32 */
    char v[48];
    trainer_get(t, "optim.lr", v, sizeof v);
    assert_float_equal(atof(v), 3e-4, 1e-12);

    trainer_single_step(t);
    assert_true(wait_for(t, step_at_least, at + 1));
    assert_true(wait_for(t, is_paused, 0));
    usleep(200000);
    assert_int_equal(trainer_step(t), at + 1); /* exactly one step, then paused again */

    trainer_resume(t);
    assert_true(wait_for(t, step_at_least, at + 3));
    trainer_stop(t);
    pthread_join(th, NULL);
    /* the change took effect at the step its event names: the next whole step after the request (at + 1 when the
     * pause held at a step boundary, at + 2 when it held inside generation of step at + 1) */
    assert_int_equal(s.n_set_events, 1);
    assert_true(s.set_step == at + 1 || s.set_step == at + 2);
    assert_float_equal(atof(s.set_old), 1e-3, 1e-12);
    assert_float_equal(atof(s.set_new), 3e-4, 1e-12);
    assert_float_equal(s.lr_at_step[s.set_step - 1], 1e-3, 1e-9);
    assert_float_equal(s.lr_at_step[s.set_step], 3e-4, 1e-9);
    assert_true(s.n_pause >= 2);
    assert_int_equal(trainer_status(t), TRAINER_DONE);
    char ck[512];
    trainer_last_checkpoint(t, ck, sizeof ck);
    char path[600];
    snprintf(path, sizeof path, "%s/model.safetensors", ck);
    assert_int_equal(access(path, F_OK), 0); /* stopping saved a checkpoint */
    assert_int_equal(s.n_checkpoints, 1);
    trainer_free(t);
}

static void test_no_allocation_inside_a_step(void **state) {
    (void)state;
    Config c;
    small_config(&c, "alloc");
    c.run.steps = 6;
    Seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
    TrainerCallbacks cb = {.ud = &s, .on_step = on_step};
    char err[512];
    Trainer *t = trainer_new(&c, &cb, err, sizeof err);
    assert_non_null(t);
    assert_int_equal(trainer_run(t), 0);
    /* steps 3..6 (after warm-up: BLAS thread start-up) allocate nothing */
    assert_int_equal(s.allocs_at_step[6] - s.allocs_at_step[2], 0);
    /* the count is live: the steps before did allocate (warm-up), so a broken counter cannot pass */
    assert_true(s.allocs_at_step[2] > 0);
    trainer_free(t);
}

/* The DAPO switches and batch-level advantage scaling reach the step: every rollout's reward is its weighted
 * components plus the overlong shaping, the advantages divide by the batch's std, and the metrics say how much
 * shaping and masking there was. A random model runs to max_new_tokens nearly always, so truncation is seen. */
typedef struct {
    int steps, rollouts, truncated;
    double max_err_reward, max_err_adv, max_err_overlong, max_err_masked;
} DapoSeen;

static double metric_of(const StepRecord *r, const char *name) {
    for (int i = 0; i < r->n_metrics; i++)
        if (!strcmp(r->metrics[i].name, name)) return r->metrics[i].value;
    fail_msg("no metric %s", name);
    return 0;
}

static void on_step_dapo(void *ud, const StepRecord *r) {
    DapoSeen *s = ud;
    const int G = 4, N = 24, n = r->n_rollouts;
    double shaping = 0, mean = 0, var = 0;
    long tokens = 0, masked = 0;
    for (int b = 0; b < n; b++) mean += r->rollouts[b].reward;
    mean /= n;
    for (int b = 0; b < n; b++) var += (r->rollouts[b].reward - mean) * (r->rollouts[b].reward - mean);
    double batch_std = sqrt(var / (n - 1));
    for (int b = 0; b < n; b++) {
        const Rollout *ro = &r->rollouts[b];
        float sh = grpo_overlong_reward(ro->length, N, 24, 0.5f);
        double want = 1.0 * ro->r_accuracy + 0.2 * ro->r_format + 0.0 * ro->r_language + sh;
        s->max_err_reward = fmax(s->max_err_reward, fabs(ro->reward - want));
        double gmean = 0;
        for (int g = 0; g < G; g++) gmean += r->rollouts[b / G * G + g].reward;
        gmean /= G;
        s->max_err_adv = fmax(s->max_err_adv, fabs(ro->advantage - (ro->reward - gmean) / (batch_std + 1e-4)));
        shaping += sh;
        tokens += ro->length;
        if (ro->finish == FINISH_LENGTH) masked += ro->length, s->truncated++;
    }
    s->max_err_overlong = fmax(s->max_err_overlong, fabs(metric_of(r, "reward_overlong") - shaping / n));
    s->max_err_masked = fmax(s->max_err_masked, fabs(metric_of(r, "masked_truncated") - (double)masked / tokens));
    s->rollouts += n;
    s->steps++;
}

static void test_dapo_shaping_masking_and_batch_scaling(void **state) {
    (void)state;
    Config c;
    char err[512];
    small_config(&c, "dapo");
    const char *sets[] = {"grpo.mask_truncated=1", "grpo.overlong_buffer=24", "grpo.overlong_penalty=0.5",
                          "grpo.advantage_scaling=batch", "grpo.importance_sampling=sequence", "grpo.delta=2",
                          "run.steps=2"};
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
        if (config_set(&c, sets[i], err, sizeof err) != 0) fail_msg("%s: %s", sets[i], err);
    assert_int_equal(config_finish(&c, err, sizeof err), 0);
    DapoSeen s = {0};
    TrainerCallbacks cb = {.ud = &s, .on_step = on_step_dapo};
    Trainer *t = trainer_new(&c, &cb, err, sizeof err);
    assert_non_null(t);
    assert_int_equal(trainer_run(t), 0);
    assert_int_equal(s.steps, 2);
    assert_true(s.truncated > 0);
    assert_true(s.max_err_reward < 1e-5);
    assert_true(s.max_err_adv < 1e-4);
    assert_true(s.max_err_overlong < 1e-6);
    assert_true(s.max_err_masked < 1e-12);
    trainer_free(t);
}

/* Dynamic sampling, watched step by step: every drawn rollout is reported; the groups not flagged dropped are the
 * informative ones (rewards not all equal) and are at most P; the drawing stops when P are informative or at the cap
 * (max_draw_factor x P prompts); dropped rollouts carry no advantage; the metrics say how many were drawn and what
 * share dropped; and a step allocates nothing once the buffers hold the cap. */
typedef struct {
    int P, G, cap, steps, filled_after_rounds, capped, dropped_groups, bad;
    int all_uniform;          /* the config makes every reward equal */
    long allocs_at_step[16];
    double grad_norm[16], loss[16];
} DynSeen;

static void on_step_dynamic(void *ud, const StepRecord *r) {
    DynSeen *s = ud;
    const int G = s->G;
    if (r->n_rollouts % G != 0) s->bad |= 1;
    int drawn = r->n_rollouts / G, kept = 0;
    for (int p = 0; p < drawn; p++) {
        const Rollout *ro = r->rollouts + (size_t)p * G;
        int uniform = 1, dropped = (ro->flags & ROLLOUT_FLAG_DROPPED) != 0;
        double adv_sum = 0;
        for (int g = 0; g < G; g++) {
            if (ro[g].reward != ro[0].reward) uniform = 0;
            if (((ro[g].flags & ROLLOUT_FLAG_DROPPED) != 0) != dropped) s->bad |= 2;
            if (dropped && ro[g].advantage != 0.0f) s->bad |= 4;
            if (ro[g].prompt_index != p) s->bad |= 8;
            adv_sum += ro[g].advantage;
        }
        if (uniform != dropped) s->bad |= 16;
        if (!dropped && fabs(adv_sum) > 1e-3) s->bad |= 32;
        kept += !dropped;
        s->dropped_groups += dropped;
    }
    if (kept > s->P || drawn > s->cap) s->bad |= 64;
    if (kept < s->P && drawn != s->cap) s->bad |= 128; /* stopped early without reason */
    if (kept == s->P && drawn > s->P) s->filled_after_rounds++;
    if (drawn == s->cap) s->capped++;
    if (metric_of(r, "prompts_drawn") != drawn) s->bad |= 256;
    if (fabs(metric_of(r, "frac_groups_dropped") - (double)(drawn - kept) / drawn) > 1e-12) s->bad |= 512;
    if (r->step < 16) {
        s->allocs_at_step[r->step] = __atomic_load_n(&g_allocs, __ATOMIC_RELAXED);
        s->grad_norm[r->step] = metric_of(r, "grad_norm");
        s->loss[r->step] = metric_of(r, "loss");
    }
    s->steps++;
}

static void dynamic_config(Config *c, const char *name, int uniform) {
    char err[512];
    small_config(c, name);
    /* rewards from the completion's length only (the overlong ramp over the whole width), or none at all */
    const char *sets[] = {"grpo.dynamic_sampling=1", "grpo.max_draw_factor=3", "reward.accuracy=0",
                          "reward.format=0", "reward.language=0", "grpo.overlong_penalty=1", "run.steps=6",
                          uniform ? "grpo.overlong_buffer=0" : "grpo.overlong_buffer=24",
                          "sampling.temperature=3"};
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
        if (config_set(c, sets[i], err, sizeof err) != 0) fail_msg("%s: %s", sets[i], err);
    assert_int_equal(config_finish(c, err, sizeof err), 0);
}

static void test_dynamic_sampling_fills_the_batch_within_the_cap(void **state) {
    (void)state;
    Config c;
    char err[512];
    dynamic_config(&c, "dynamic", 0);
    DynSeen s = {.P = 4, .G = 4, .cap = 12};
    TrainerCallbacks cb = {.ud = &s, .on_step = on_step_dynamic};
    Trainer *t = trainer_new(&c, &cb, err, sizeof err);
    if (!t) fail_msg("%s", err);
    assert_int_equal(trainer_run(t), 0);
    trainer_free(t);
    assert_int_equal(s.steps, 6);
    if (s.bad) fail_msg("dynamic sampling broke invariant bits %#x", s.bad);
    assert_true(s.dropped_groups > 0);     /* there was something to drop ... */
    assert_true(s.filled_after_rounds > 0); /* ... and more prompts filled the batch */
    assert_int_equal(s.allocs_at_step[6] - s.allocs_at_step[2], 0);
}

/* Every group uniform: the cap's worth of prompts is drawn every step, all dropped, and nothing is learned. */
static void test_dynamic_sampling_all_uniform_stops_at_the_cap(void **state) {
    (void)state;
    Config c;
    char err[512];
    dynamic_config(&c, "uniform", 1);
    c.run.steps = 3;
    DynSeen s = {.P = 4, .G = 4, .cap = 12};
    TrainerCallbacks cb = {.ud = &s, .on_step = on_step_dynamic};
    Trainer *t = trainer_new(&c, &cb, err, sizeof err);
    if (!t) fail_msg("%s", err);
    assert_int_equal(trainer_run(t), 0);
    trainer_free(t);
    if (s.bad) fail_msg("dynamic sampling broke invariant bits %#x", s.bad);
    assert_int_equal(s.steps, 3);
    assert_int_equal(s.capped, 3);
    assert_int_equal(s.dropped_groups, 3 * 12);
    for (int step = 1; step <= 3; step++) assert_true(s.grad_norm[step] == 0.0 && s.loss[step] == 0.0);
}

/* Entropy-masked updates in the loop: the share of loss tokens masked is what the fraction leaves out. */
typedef struct { int steps; double max_err; } EntSeen;
static void on_step_entropy(void *ud, const StepRecord *r) {
    EntSeen *s = ud;
    long n = 0;
    for (int b = 0; b < r->n_rollouts; b++) n += r->rollouts[b].length;
    double want = 1.0 - ceil(0.2 * n) / n;
    s->max_err = fmax(s->max_err, fabs(metric_of(r, "entropy_masked") - want));
    s->steps++;
}

static void test_entropy_masked_updates_in_the_loop(void **state) {
    (void)state;
    Config c;
    char err[512];
    small_config(&c, "entropy");
    assert_int_equal(config_set(&c, "grpo.entropy_top_fraction=0.2", err, sizeof err), 0);
    c.run.steps = 2;
    EntSeen s = {0};
    TrainerCallbacks cb = {.ud = &s, .on_step = on_step_entropy};
    Trainer *t = trainer_new(&c, &cb, err, sizeof err);
    if (!t) fail_msg("%s", err);
    assert_int_equal(trainer_run(t), 0);
    trainer_free(t);
    assert_int_equal(s.steps, 2);
    assert_true(s.max_err < 0.01); /* ties at the threshold may keep a token more */
}

/* The per-token record: every rollout carries its tokens with their generation-time log-probs (<= 0) and entropies,
 * whose mean over the batch is the update's entropy metric (the same policy over the same tokens: the sampler's
 * decode and the update's forward agree); with num_iterations 2 the ratios of the last update give back the
 * seq_ratio_mean metric ((1 + the mean over rows of exp(mean log ratio)) / 2: the first update's ratios are 1);
 * with num_iterations 1 no ratio is recorded. */
typedef struct { int steps, mu, bad; double ent_err, seq_err; } TokSeen;
static void on_step_tokens(void *ud, const StepRecord *r) {
    TokSeen *s = ud;
    double ent = 0, seq = 0;
    long n = 0;
    for (int b = 0; b < r->n_rollouts; b++) {
        const Rollout *ro = &r->rollouts[b];
        if (!ro->token_ids || !ro->token_logprob || !ro->token_entropy || (s->mu > 1) != (ro->token_ratio != NULL)) {
            s->bad++;
            continue;
        }
        double lr = 0;
        for (int j = 0; j < ro->length; j++) {
            if (ro->token_ids[j] < 0 || !(ro->token_logprob[j] <= 1e-6f) || !(ro->token_entropy[j] >= -1e-6f)) s->bad++;
            ent += ro->token_entropy[j];
            if (ro->token_ratio) lr += log(ro->token_ratio[j]);
        }
        n += ro->length;
        if (ro->length) seq += exp(lr / ro->length);
    }
    s->ent_err = fmax(s->ent_err, fabs(ent / n - metric_of(r, "entropy")));
    if (s->mu > 1) s->seq_err = fmax(s->seq_err, fabs((1 + seq / r->n_rollouts) / 2 - metric_of(r, "seq_ratio_mean")));
    s->steps++;
}

static void test_rollouts_carry_their_tokens(void **state) {
    (void)state;
    for (int mu = 1; mu <= 2; mu++) {
        Config c;
        char err[512], set[64];
        small_config(&c, mu == 1 ? "tokens1" : "tokens2");
        snprintf(set, sizeof set, "grpo.num_iterations=%d", mu);
        assert_int_equal(config_set(&c, set, err, sizeof err), 0);
        c.run.steps = 2;
        TokSeen s = {.mu = mu};
        TrainerCallbacks cb = {.ud = &s, .on_step = on_step_tokens};
        Trainer *t = trainer_new(&c, &cb, err, sizeof err);
        if (!t) fail_msg("%s", err);
        assert_int_equal(trainer_run(t), 0);
        trainer_free(t);
        assert_int_equal(s.steps, 2);
        assert_int_equal(s.bad, 0);
        assert_true(s.ent_err < 1e-3);
        assert_true(s.seq_err < 1e-4);
    }
}

/* Reference refresh: with ref_mix = 1 every step, each step starts with the reference equal to the policy, so the
 * first update's KL is ~0; with ref_mix = 0.5 it is between that and the KL to the never-refreshed reference. Each
 * refresh is an event and a metric. */
typedef struct { int steps, events; double kl[8], refresh[8]; } RefSeen;
static void on_step_ref(void *ud, const StepRecord *r) {
    RefSeen *s = ud;
    if (r->step < 8) s->kl[r->step] = metric_of(r, "kl"), s->refresh[r->step] = metric_of(r, "ref_refresh");
    s->steps++;
}
static void on_event_ref(void *ud, const Event *ev) {
    RefSeen *s = ud;
    if (ev->kind == EVENT_REF_REFRESH) s->events++;
}

static void run_ref(RefSeen *s, const char *name, int every, float mix) {
    Config c;
    char err[512];
    small_config(&c, name);
    c.run.steps = 3;
    c.grpo.beta = 0.04f;
    c.optim.lr = 1e-2f;
    c.grpo.ref_refresh_every = every;
    c.grpo.ref_mix = mix;
    c.grpo.overlong_buffer = 24; /* rewards that differ (a random model's are otherwise all 0): the policy moves */
    c.sampling.temperature = 3.0f;
    assert_int_equal(config_finish(&c, err, sizeof err), 0);
    TrainerCallbacks cb = {.ud = s, .on_step = on_step_ref, .on_event = on_event_ref};
    Trainer *t = trainer_new(&c, &cb, err, sizeof err);
    if (!t) fail_msg("%s", err);
    assert_int_equal(trainer_run(t), 0);
    trainer_free(t);
    assert_int_equal(s->steps, 3);
}

static void test_reference_refresh_moves_the_kl(void **state) {
    (void)state;
    RefSeen none = {0}, full = {0}, half = {0};
    run_ref(&none, "ref-never", 0, 1.0f);
    run_ref(&full, "ref-replace", 1, 1.0f);
    run_ref(&half, "ref-mix", 1, 0.5f);
    /* step 1 is the same in all three: nothing refreshed yet */
    assert_float_equal(full.kl[1], none.kl[1], 1e-9);
    assert_float_equal(half.kl[1], none.kl[1], 1e-9);
    for (int step = 2; step <= 3; step++) {
        print_message("step %d: kl never %.3g, replaced %.3g, mixed %.3g\n", step, none.kl[step], full.kl[step],
                      half.kl[step]);
        assert_true(none.kl[step] > 1e-5);
        assert_true(full.kl[step] < 1e-3 * none.kl[step]);
        assert_true(half.kl[step] > full.kl[step] && half.kl[step] < none.kl[step]);
    }
    /* k3 is quadratic near 0: halfway to the policy leaves about a quarter of the KL the step after (measured 0.23) */
    assert_true(half.kl[2] > 0.15 * none.kl[2] && half.kl[2] < 0.4 * none.kl[2]);
    assert_int_equal(none.events, 0);
    assert_int_equal(full.events, 3);
    assert_true(full.refresh[1] == 1.0 && none.refresh[1] == 0.0);
}

static void test_resume_continues_like_an_uninterrupted_run(void **state) {
    (void)state;
    char err[512];
    Config c;
    small_config(&c, "straight");
    c.run.steps = 6;
    Seen a = {.mu = PTHREAD_MUTEX_INITIALIZER};
    TrainerCallbacks cba = {.ud = &a, .on_step = on_step};
    Trainer *t = trainer_new(&c, &cba, err, sizeof err);
    assert_non_null(t);
    assert_int_equal(trainer_run(t), 0);
    trainer_free(t);

    small_config(&c, "interrupted");
    c.run.steps = 6;
    Seen b = {.mu = PTHREAD_MUTEX_INITIALIZER, .stop_at = 3};
    TrainerCallbacks cbb = {.ud = &b, .on_step = on_step};
    t = trainer_new(&c, &cbb, err, sizeof err);
    b.t = t;
    assert_int_equal(trainer_run(t), 0);
    assert_int_equal(trainer_step(t), 3);
    char ck[512];
    trainer_last_checkpoint(t, ck, sizeof ck);
    trainer_free(t);

    Seen r = {.mu = PTHREAD_MUTEX_INITIALIZER};
    TrainerCallbacks cbr = {.ud = &r, .on_step = on_step};
    t = trainer_new(&c, &cbr, err, sizeof err);
    assert_int_equal(trainer_restore(t, ck, err, sizeof err), 0);
    assert_int_equal(trainer_step(t), 3);
    assert_int_equal(trainer_run(t), 0);
    assert_int_equal(r.steps_seen, 3);
    for (int step = 4; step <= 6; step++) assert_float_equal(r.reward_at_step[step], a.reward_at_step[step], 1e-6);
    for (int step = 1; step <= 3; step++) assert_float_equal(b.reward_at_step[step], a.reward_at_step[step], 1e-6);
    trainer_free(t);
}

/* A run too large for the machine is refused before anything is allocated, with the estimate and the keys. Memory
 * follows the batch in force (P x G, max_new_tokens), not run.max_batch. */
static void test_too_large_is_refused_at_once(void **state) {
    (void)state;
    Config c;
    char err[1024] = "";
    small_config(&c, "huge");
    c.model.max_seq = 16384;
    c.run.max_batch = 65536;
    MemoryEstimate e;
    assert_int_equal(trainer_memory_estimate(&c, &e, err, sizeof err), 0);
    size_t modest = memory_estimate_total(&e);
    assert_true(modest < (size_t)1 << 30); /* the capacity alone costs nothing */
    c.grpo.prompts_per_step = 1024;
    c.grpo.group_size = 64;
    c.sampling.max_new_tokens = 16000;
    assert_int_equal(trainer_memory_estimate(&c, &e, err, sizeof err), 0);
    assert_true(memory_estimate_total(&e) > (size_t)1 << 38); /* a billion tokens' KV cache alone is far beyond */
    Trainer *t = trainer_new(&c, NULL, err, sizeof err);
    assert_null(t);
    const char *want[] = {"needs about", "KV cache", "is available", "grpo.prompts_per_step x grpo.group_size (now 1024 x 64)",
                          "sampling.max_new_tokens (now 16000)", "run.activation_mb"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(err, want[i])) fail_msg("'%s' not in: %s", want[i], err);
}

/* A live change of the batch is refused, with the figures, when the machine could not hold it; trainer_footprint
 * shows what a change would cost before it is made, and nothing is refused that fits. */
static void test_live_change_too_large_is_refused(void **state) {
    (void)state;
    Config c;
    char err[1024] = "";
    small_config(&c, "growing");
    c.model.max_seq = 16384;
    c.run.max_batch = 65536;
    Trainer *t = trainer_new(&c, NULL, err, sizeof err);
    if (!t) fail_msg("%s", err);
    size_t now, after;
    assert_int_equal(trainer_footprint(t, "grpo.group_size", "8", &now, &after), 0);
    assert_true(after > now);                                  /* twice the rows */
    assert_int_equal(trainer_footprint(t, "grpo.group_size", "oops", &now, &after), -1);
    assert_true(after == now);
    assert_int_equal(trainer_set(t, "grpo.group_size", "64", err, sizeof err), 0); /* a few MB more: fits */
    /* then 65536 rows of 16k tokens: the KV cache alone would be half a terabyte */
    const char *sets[][2] = {{"grpo.prompts_per_step", "1024"}, {"sampling.max_new_tokens", "16000"}};
    int refused = 0;
    for (int i = 0; i < 2 && !refused; i++) {
        assert_int_equal(trainer_footprint(t, sets[i][0], sets[i][1], &now, &after), 0);
        if (trainer_set(t, sets[i][0], sets[i][1], err, sizeof err) != 0) {
            refused = 1;
            assert_true(after - now > memory_available());
            const char *want[] = {sets[i][0], "would need about", "more is available"};
            for (size_t k = 0; k < sizeof want / sizeof *want; k++)
                if (!strstr(err, want[k])) fail_msg("'%s' not in: %s", want[k], err);
        }
    }
    assert_true(refused);
    trainer_free(t);
}

#if COUNTS_ALIGNED_BYTES
/* The estimate is what trainer_new really asks for (within 5%): a buffer added without it would show here. */
static void test_estimate_matches_allocation(void **state) {
    (void)state;
    for (int dynamic = 0; dynamic < 2; dynamic++) { /* dynamic sampling: rollout buffers for max_draw_factor x P */
        Config c;
        char err[512];
        small_config(&c, "estimate");
        c.grpo.dynamic_sampling = dynamic;
        c.grpo.max_draw_factor = 8;
        MemoryEstimate e;
        assert_int_equal(trainer_memory_estimate(&c, &e, err, sizeof err), 0);
        size_t before = __atomic_load_n(&g_bytes, __ATOMIC_RELAXED);
        Trainer *t = trainer_new(&c, NULL, err, sizeof err);
        if (!t) fail_msg("%s", err);
        double asked = (double)(__atomic_load_n(&g_bytes, __ATOMIC_RELAXED) - before);
        double est = (double)memory_estimate_total(&e);
        trainer_free(t);
        if (fabs(est - asked) > 0.05 * asked)
            fail_msg("dynamic %d: estimate %.0f bytes, trainer_new asked for %.0f", dynamic, est, asked);
    }
}

#endif

/* The last checkpoint cannot be written (its folder is under a regular file): the run did not finish, so trainer_run
 * fails with the checkpoint's error and status FAILED - never 0 and DONE - and the error is an event. */
static void test_failed_final_checkpoint_fails_the_run(void **state) {
    (void)state;
    Config c;
    small_config(&c, "nowhere");
    char blocker[300], err[512];
    snprintf(blocker, sizeof blocker, "%s/a-file", g_dir);
    FILE *f = fopen(blocker, "w");
    fclose(f);
    snprintf(c.run.out_dir, sizeof c.run.out_dir, "%s/a-file/out", g_dir);
    c.run.steps = 1;
    Seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
    TrainerCallbacks cb = {.ud = &s, .on_step = on_step, .on_event = on_event};
    Trainer *t = trainer_new(&c, &cb, err, sizeof err);
    if (!t) fail_msg("%s", err);
    assert_int_equal(trainer_run(t), -1);
    assert_int_equal(trainer_status(t), TRAINER_FAILED);
    assert_non_null(strstr(trainer_error(t), "checkpoint"));
    assert_non_null(strstr(trainer_error(t), blocker));
    assert_int_equal(s.n_errors, 1);
    assert_int_equal(s.n_checkpoints, 0);
    trainer_free(t);
}

int main(void) {
    count_allocs_start();
    snprintf(g_dir, sizeof g_dir, "/tmp/grpo-test-trainer-XXXXXX");
    if (!mkdtemp(g_dir)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steering_from_another_thread),
        cmocka_unit_test(test_no_allocation_inside_a_step),
        cmocka_unit_test(test_dapo_shaping_masking_and_batch_scaling),
        cmocka_unit_test(test_dynamic_sampling_fills_the_batch_within_the_cap),
        cmocka_unit_test(test_dynamic_sampling_all_uniform_stops_at_the_cap),
        cmocka_unit_test(test_entropy_masked_updates_in_the_loop),
        cmocka_unit_test(test_rollouts_carry_their_tokens),
        cmocka_unit_test(test_reference_refresh_moves_the_kl),
        cmocka_unit_test(test_resume_continues_like_an_uninterrupted_run),
        cmocka_unit_test(test_too_large_is_refused_at_once),
        cmocka_unit_test(test_live_change_too_large_is_refused),
#if COUNTS_ALIGNED_BYTES
        cmocka_unit_test(test_estimate_matches_allocation),
#endif
        cmocka_unit_test(test_failed_final_checkpoint_fails_the_run),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd) != 0) return 1;
    return rc;
}
