/* cmd_train.c - `grpo-studio train`: builds the config, the run database and the trainer, then hands them to the
 * studio, or with --headless runs the trainer on a worker thread and prints a line per step (--json: JSON lines)
 * while the main thread waits for Ctrl-C / SIGTERM / SIGHUP to stop it cleanly. --resume RUN.db continues a run
 * from its last checkpoint, rolling back the steps logged after it. --fork RUN.db:STEP starts a NEW run from another
 * run's checkpoint at STEP (weights, optimizer state, step counter and RNG, as --resume restores them) with the
 * parent's recorded config plus --set changes; the parent's database, run id and step are recorded with it and the
 * parent's files are only read (ui/fork.h finds them).
 *
 * Every run has an id (its row in the database) and a checkpoint folder of its own (claim_run_folder: next to the
 * database by default, runs/default.db -> runs/default/run-<id>/step-N), so no run ever overwrites another's.
 * One writer per run: the database (store_open's "<db>.lock") and the checkpoint folder ("<folder>/.lock") are
 * locked, an existing database before the model is even built, and a second writer is refused by name and pid.
 * Everything that can fail is checked before anything is created or changed. A write that fails later (the database
 * writer's callback, a checkpoint's error event) is reported when it happens: headless stops, the studio pauses, and
 * the run ends "failed" with a non-zero exit. */
#include "core/checkpoint.h"
#include "core/filelock.h"
#include "core/trainer.h"
#include "storage/query.h"
#include "storage/store.h"
#include "ui/cli.h"
#include "ui/commands.h"
#include "ui/fork.h"
#include "ui/fork_launch.h"
#include "ui/signals.h"
#include "ui/studio.h"
#include "ui/train_ranks.h"
#include "core/dist.h"
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int json;
    int total_steps;
    int64_t run_id;           /* the run's id in its database (0: none), in every JSON line */
    StoreWriter *writer;
    Studio *studio;
    Trainer *t;
    double t0;
    int output_lost;          /* atomic: stdout is gone (a closed pipe) and the run was asked to stop */
    int write_failed;         /* atomic: a database or checkpoint write failed; the first one's message below */
    char write_error[PATH_MAX + 256];
} TrainCtx;

static double metric(const StepRecord *r, const char *name, double dflt) {
    for (int i = 0; i < r->n_metrics; i++)
        if (!strcmp(r->metrics[i].name, name)) return r->metrics[i].value;
    return dflt;
}

static double mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Ends a headless line. When stdout is gone (a reader such as `head` closed the pipe; SIGPIPE is ignored, so the
 * write fails with EPIPE) the run stops at the next safe point with a checkpoint, instead of dying mid-step. */
static void end_output(TrainCtx *x) {
    if (fflush(stdout) == 0 || __atomic_exchange_n(&x->output_lost, 1, __ATOMIC_ACQ_REL)) return;
    fprintf(stderr, "grpo-studio train: standard output is closed (%s): stopping at the next safe point, saving a "
                    "checkpoint\n", strerror(errno));
    if (x->t) trainer_stop(x->t);
}

static void print_step(TrainCtx *x, const StepRecord *r) {
    if (x->json) {
        json_t *o = json_object();
        if (x->run_id > 0) json_object_set_new(o, "run_id", json_integer(x->run_id));
        json_object_set_new(o, "step", json_integer(r->step));
        json_object_set_new(o, "time", json_real(r->wall_time));
        for (int i = 0; i < r->n_metrics; i++)
            if (isfinite(r->metrics[i].value)) json_object_set_new(o, r->metrics[i].name, json_real(r->metrics[i].value));
        char *s = json_dumps(o, JSON_COMPACT);
        printf("%s\n", s);
        free(s);
        json_decref(o);
    } else {
        if (r->n_rollouts > 0)
            printf("step %5d/%d  reward %.3f  acc %.3f  len %6.1f  kl %.4f  ent %.3f  refl %.3f  "
                   "gen %6.0f tok/s  train %6.0f tok/s  %.2fs\n",
                   r->step, x->total_steps, metric(r, "reward", NAN), metric(r, "accuracy", NAN),
                   metric(r, "completion_length", NAN), metric(r, "kl", NAN), metric(r, "entropy", NAN),
                   metric(r, "reflection_rate", NAN), metric(r, "gen_tokens_per_s", NAN),
                   metric(r, "train_tokens_per_s", NAN), metric(r, "step_time", NAN));
        /* the variants that change what a step learns from say how much (only when they do) */
        double drawn = metric(r, "prompts_drawn", NAN), dropped = metric(r, "frac_groups_dropped", 0);
        double ent_masked = metric(r, "entropy_masked", 0);
        if (r->n_rollouts > 0 && (dropped > 0 || ent_masked > 0))
            printf("      drawn %.0f prompts, %.0f%% of groups dropped (equal rewards), %.0f%% of loss tokens masked "
                   "by entropy\n", drawn, 100 * dropped, 100 * ent_masked);
        double p1 = metric(r, "eval_pass1", NAN);
        if (!isnan(p1))
            printf("eval at step %d: pass@1 %.3f  cons@%.0f %.3f  (%.0f held-out problems, mean length %.1f)\n",
                   r->step, p1, metric(r, "eval_k", 0), metric(r, "eval_consk", NAN), metric(r, "eval_problems", 0),
                   metric(r, "eval_length", NAN));
    }
    end_output(x);
}

static void print_event(TrainCtx *x, const Event *ev) {
    if (ev->kind == EVENT_EVAL) return; /* shown with its step */
    if (x->json) {
        json_t *o = json_pack("{s:s,s:i,s:f}", "event", event_kind_name(ev->kind), "step", ev->step, "time",
                              ev->wall_time);
        if (x->run_id > 0) json_object_set_new(o, "run_id", json_integer(x->run_id));
        if (ev->name[0]) json_object_set_new(o, "name", json_string(ev->name));
        if (ev->old_value[0]) json_object_set_new(o, "old", json_string(ev->old_value));
        if (ev->new_value[0]) json_object_set_new(o, "new", json_string(ev->new_value));
        if (ev->detail[0]) json_object_set_new(o, "detail", json_string(ev->detail));
        char *s = json_dumps(o, JSON_COMPACT);
        printf("%s\n", s);
        free(s);
        json_decref(o);
    } else if (ev->kind == EVENT_SET) {
        printf("# step %d: %s %s -> %s\n", ev->step, ev->name, ev->old_value, ev->new_value);
    } else {
        printf("# %s at step %d%s%s\n", event_kind_name(ev->kind), ev->step, ev->detail[0] ? ": " : "", ev->detail);
    }
    end_output(x);
}

static int write_failed(TrainCtx *x) { return __atomic_load_n(&x->write_failed, __ATOMIC_ACQUIRE) == 2; }

/* A write failed (the run database or a checkpoint), and its error event has been shown: training must not go on
 * unrecorded. Headless stops at the next safe point (exit status 1); the studio pauses, its status bar and event log
 * showing the error. Either way the run ends "failed". error: the message the command ends with (the first one is
 * kept); NULL when the failure was already reported and we only stop or pause again. Any thread. */
static void on_write_failed(TrainCtx *x, const char *error) {
    int expected = 0;
    if (error && __atomic_compare_exchange_n(&x->write_failed, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        snprintf(x->write_error, sizeof x->write_error, "%s", error);
        __atomic_store_n(&x->write_failed, 2, __ATOMIC_RELEASE);
    }
    if (x->studio && !error && write_failed(x)) {   /* resumed after the failure: say again why it pauses */
        Event ev = {.kind = EVENT_ERROR, .step = trainer_step(x->t)};
        snprintf(ev.name, sizeof ev.name, "write");
        snprintf(ev.detail, sizeof ev.detail, "%.*s", (int)sizeof ev.detail - 1, x->write_error);
        studio_on_event(x->studio, &ev);
    }
    if (x->studio) trainer_pause(x->t);
    else trainer_stop(x->t);
}

static void on_step(void *ud, const StepRecord *r) {
    TrainCtx *x = ud;
    if (x->writer) {
        if (store_writer_step(x->writer, r) != 0) on_write_failed(x, NULL);   /* resumed after a failed write */
        double p1 = metric(r, "eval_pass1", NAN);
        if (!isnan(p1)) {
            StoreEval e = {.step = r->step, .pass1 = p1, .cons_k = metric(r, "eval_consk", NAN),
                           .k = (int)metric(r, "eval_k", 0), .problems = (int)metric(r, "eval_problems", 0)};
            snprintf(e.task, sizeof e.task, "%s", r->n_rollouts ? r->rollouts[0].task : "");
            store_writer_eval(x->writer, &e);
        }
    }
    if (x->studio) studio_on_step(x->studio, r);
    else print_step(x, r);
}

static void on_trace(void *ud, int step, int kind, const char *text, float reward, int correct) {
    TrainCtx *x = ud;
    if (x->studio) studio_on_trace(x->studio, step, kind, text, reward, correct);
}

static void on_event(void *ud, const Event *ev) {
    TrainCtx *x = ud;
    if (ev->kind == EVENT_SET && !strcmp(ev->name, "run.steps")) x->total_steps = atoi(ev->new_value);
    if (x->writer) {
        store_writer_event(x->writer, ev);
        if (ev->kind == EVENT_CHECKPOINT && ev->detail[0]) {
            char path[PATH_MAX + 32], hex[65] = "";
            snprintf(path, sizeof path, "%s/model.safetensors", ev->detail);
            checkpoint_file_sha256(path, hex);
            store_writer_checkpoint(x->writer, ev->step, ev->detail, hex);
        }
    }
    if (x->studio) studio_on_event(x->studio, ev);
    else print_event(x, ev);
    if (ev->kind == EVENT_ERROR && !strcmp(ev->name, "checkpoint")) {
        char msg[sizeof ev->detail + 64];
        snprintf(msg, sizeof msg, "checkpoint at step %d: %s", ev->step, ev->detail);
        on_write_failed(x, msg);
    }
}

/* The run database's writer failed (disk full, I/O error): on the writer thread, when it happens. */
static void on_store_error(void *ud, const char *error) {
    TrainCtx *x = ud;
    Event ev = {.kind = EVENT_ERROR, .step = trainer_step(x->t)};
    snprintf(ev.name, sizeof ev.name, "database");
    snprintf(ev.detail, sizeof ev.detail, "%s", error);
    if (x->studio) studio_on_event(x->studio, &ev);
    else print_event(x, &ev);
    on_write_failed(x, error);
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: grpo-studio train [CONFIG] [options]\n"
            "       grpo-studio train --resume RUN.db [options]\n\n"
            "Trains with GRPO from the config (default: configs/default.ini) in the studio, or headless.\n\n"
            "options:\n"
            "  --headless            no terminal UI: one progress line per step on stdout\n"
            "  --json                with --headless: one JSON object per step and per event\n"
            "  --set SECTION.KEY=V   override a config value (repeatable), e.g. --set optim.lr=3e-4; checked\n"
            "                        against the key's range at once (run.threads also sets the thread pool)\n"
            "  --db FILE             the run database (default: run.db, or <run.out_dir>/<run.name>.db; 'none': no\n"
            "                        database). Each run's checkpoints go to a folder of its own next to it:\n"
            "                        runs/default.db -> runs/default/run-<id>/step-N\n"
            "  --resume RUN.db       continue the newest run in RUN.db from its last checkpoint, with the config\n"
            "                        stored there (no CONFIG or --db; --set changes live keys)\n"
            "  --fork RUN.db:STEP    start a NEW run from the checkpoint at STEP of the newest run in RUN.db (or\n"
            "  --fork RUN.db:ID:STEP of run ID; --run ID says the same): its weights, optimizer state and step\n"
            "                        counter, with the parent's recorded config and --set changes (keys that may\n"
            "                        change while a run lives). The new run gets its own id and checkpoint folder\n"
            "                        in RUN.db (or --db FILE); the parent's files are only read\n"
            "  --run ID              with --fork RUN.db:STEP: the run to fork\n"
            "  -h, --help            this help\n\n"
            "Ctrl-C (or SIGTERM, or SIGHUP: a closed terminal) stops at the next safe point and saves a checkpoint.\n");
}

typedef struct { Trainer *t; int rc; atomic_int done; } Worker;

static void *worker_main(void *arg) {
    Worker *w = arg;
    w->rc = trainer_run(w->t);
    atomic_store(&w->done, 1);   /* releases rc to the thread that sees done */
    return NULL;
}

/* Runs the trainer on a worker thread; SIGINT/SIGTERM/SIGHUP (blocked in every thread since main, see
 * ui/signals.h; taken here with sigtimedwait) ask it to stop. A second signal while stopping is ignored: the
 * checkpoint is being written. SIGHUP means the terminal is gone: the run still stops cleanly, and what it prints
 * after that is lost. */
static int run_headless(Trainer *t) {
    sigset_t set;
    ui_signals_set(&set);
    Worker w = {.t = t};
    pthread_t th;
    if (pthread_create(&th, NULL, worker_main, &w) != 0) {
        fprintf(stderr, "grpo-studio train: cannot start the trainer thread\n");
        return 1;
    }
    struct timespec tick = {0, 200 * 1000 * 1000};
    int stopping = 0;
    while (!atomic_load(&w.done)) {
        int sig = sigtimedwait(&set, NULL, &tick);
        if ((sig == SIGINT || sig == SIGTERM || sig == SIGHUP) && !stopping) {
            fprintf(stderr, "\ngrpo-studio: %s: stopping at the next safe point, saving a checkpoint...\n",
                    sig == SIGHUP ? "hangup" : sig == SIGINT ? "interrupted" : "terminated");
            trainer_stop(t);
            stopping = 1;
        }
    }
    pthread_join(th, NULL);
    return w.rc;
}

/* Deletes a run database this command created and then could not use, with its WAL and shared-memory files. */
static void remove_db_files(const char *db) {
    char side[1040];
    unlink(db);
    snprintf(side, sizeof side, "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db);
    unlink(side);
}

static int mkdirs_for(const char *file) {
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", file);
    char *slash = strrchr(dir, '/');
    if (!slash) return 0;
    *slash = 0;
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        mkdir(dir, 0755);
        *p = '/';
    }
    return mkdir(dir, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* Reads the config text and last checkpoint of the newest run in db. Returns 0 or -1 with err. */
static int resume_info(const char *db, Config *c, char *ckpt, size_t ckn, int *ckpt_step,
                       char *err, size_t errlen) {
    Query *q = query_open(db, err, errlen);
    if (!q) return -1;
    QueryRun run;
    memset(&run, 0, sizeof run);
    int found = query_run(q, 0, &run, err, errlen);
    int rc = -1;
    if (found == 0) snprintf(err, errlen, "%s: holds no run to resume", db);
    else if (found > 0 && !run.has_checkpoint)
        snprintf(err, errlen, "%s: run '%s' has no checkpoint yet; nothing to resume from", db, run.name);
    else if (found > 0) {
        config_defaults(c);
        rc = config_load_string(c, run.config_text ? run.config_text : "", db, err, errlen);
        if (rc == 0) rc = config_finish(c, err, errlen);
        snprintf(ckpt, ckn, "%s", run.last_checkpoint_path);
        *ckpt_step = run.last_checkpoint_step;
    }
    query_run_free(&run);
    query_close(q);
    return rc;
}

/* The folder of the checkpoint a resumed run continues from: the run keeps writing there. Returns 0 or -1. */
static int resume_folder(const char *ckpt, char *dir, size_t n, char *err, size_t errlen) {
    const char *slash = strrchr(ckpt, '/');
    if (!slash || slash == ckpt || (size_t)(slash - ckpt) >= n) {
        snprintf(err, errlen, "checkpoint path '%s': expected FOLDER/step-N", ckpt);
        return -1;
    }
    snprintf(dir, n, "%.*s", (int)(slash - ckpt), ckpt);
    return 0;
}

/* "root/x" in buf: mkdirs_for of it creates root. */
static const char *probe_of(const char *root, char *buf, size_t n) {
    snprintf(buf, n, "%s/x", root);
    return buf;
}

/* Picks and creates a new run's checkpoint folder, one no other run has used:
 *  - with a database and run.out_dir left at its default, next to the database (runs/default.db ->
 *    runs/default/run-<id>), so a database and its checkpoints travel together and --db elsewhere moves both;
 *  - with run.out_dir set, <out_dir>/<name>/run-<id>; with no database, <out_dir>/<name>/run-<UTC time>.
 * The leaf is made with one mkdir, which fails when it exists (another database's run of the same id, a deleted
 * database's run): then "-2", "-3", ... are tried, so two runs never share a folder. Returns 0 or -1 with err. */
static int claim_run_folder(const Config *c, const char *db, int64_t run_id, char *dir, size_t n,
                            char *err, size_t errlen) {
    Config d;
    config_defaults(&d);
    char root[PATH_MAX], leaf[64];
    size_t dl = db ? strlen(db) : 0;
    if (db && !strcmp(c->run.out_dir, d.run.out_dir))
        snprintf(root, sizeof root, "%.*s", (int)(dl > 3 && !strcmp(db + dl - 3, ".db") ? dl - 3 : dl), db);
    else
        snprintf(root, sizeof root, "%s/%s", c->run.out_dir, c->run.name);
    if (db && !strcmp(root, db)) snprintf(root + strlen(root), sizeof root - strlen(root), ".ckpt");
    if (run_id > 0) snprintf(leaf, sizeof leaf, "run-%lld", (long long)run_id);
    else {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(leaf, sizeof leaf, "run-%Y%m%d-%H%M%S", &tm);
    }
    if (mkdirs_for(probe_of(root, dir, n)) != 0) {
        snprintf(err, errlen, "%s: cannot create the checkpoint folder: %s", root, strerror(errno));
        return -1;
    }
    for (int i = 1; i <= 1000; i++) {
        int w = i == 1 ? snprintf(dir, n, "%s/%s", root, leaf) : snprintf(dir, n, "%s/%s-%d", root, leaf, i);
        if (w < 0 || (size_t)w + sizeof "/step-000000.tmp-0000000" >= n) {
            snprintf(err, errlen, "checkpoint folder %s/%s: the path is too long (at most %zu characters)", root,
                     leaf, n - sizeof "/step-000000.tmp-0000000");
            return -1;
        }
        if (mkdir(dir, 0755) == 0) return 0;
        if (errno != EEXIST) break;
    }
    snprintf(err, errlen, "%s: cannot create the run's checkpoint folder: %s", dir, strerror(errno));
    return -1;
}

/* The run's checkpoint folder, set on the trainer and locked (one writer per folder): resume_from's folder when
 * continuing a run, else a new one (claim_run_folder). Returns the lock, or NULL with err. */
static FileLock *take_run_folder(Trainer *t, const Config *c, const char *resume_from, const char *db, int64_t run_id,
                                 char *dir, size_t n, char *err, size_t errlen) {
    int rc = resume_from ? resume_folder(resume_from, dir, n, err, errlen)
                         : claim_run_folder(c, db, run_id, dir, n, err, errlen);
    if (rc != 0 || trainer_set_checkpoint_dir(t, dir, err, errlen) != 0) return NULL;
    char lock_path[PATH_MAX];
    snprintf(lock_path, sizeof lock_path, "%s/.lock", dir);
    return filelock_take(lock_path, "the run's checkpoint folder", err, errlen);
}

/* 1 when a and b name the same existing file. */
static int same_file(const char *a, const char *b) {
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* --fork: finds the parent and builds the child's config (ui/fork.h: fork_config), then resolves its paths.
 * Returns 0 or -1. */
static int fork_prepare(const ForkSpec *spec, ForkSource *parent, Config *c, char **sets, int n_sets, char *err,
                        size_t errlen) {
    if (fork_config(spec, parent, c, (const char *const *)sets, n_sets, err, errlen) != 0) return -1;
    cli_apply_config(c);
    if (strcmp(c->model.init, "random") != 0) {
        char buf[sizeof c->model.init];
        if (cli_resolve(buf, sizeof buf, c->model.init, "model.init", err, errlen) != 0) return -1;
        snprintf(c->model.init, sizeof c->model.init, "%s", buf);
    }
    return 0;
}

static int train_main(int argc, char **argv) {
    static const struct option LONG[] = {
        {"help", no_argument, NULL, 'h'},        {"headless", no_argument, NULL, 'H'},
        {"json", no_argument, NULL, 'j'},        {"set", required_argument, NULL, 's'},
        {"db", required_argument, NULL, 'd'},    {"resume", required_argument, NULL, 'r'},
        {"fork", required_argument, NULL, 'f'},  {"run", required_argument, NULL, 'R'},
        {NULL, 0, NULL, 0}};
    const char *config_path = NULL, *db_arg = NULL, *resume = NULL, *fork = NULL;
    long long fork_run = 0;
    CliSets cli_sets = {0};
    int headless = 0, json = 0, o;
    optind = 0;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":h", LONG, NULL)) != -1) {
        char set_err[1024];
        switch (o) {
        case 'h': usage(stdout); return 0;
        case 'H': headless = 1; break;
        case 'j': json = 1; break;
        case 'd': db_arg = optarg; break;
        case 'r': resume = optarg; break;
        case 'f': fork = optarg; break;
        case 'R':
            if (cli_parse_int64("--run", optarg, 1, INT64_MAX, &fork_run, set_err, sizeof set_err) != 0) {
                fprintf(stderr, "grpo-studio train: %s\n", set_err);
                return 2;
            }
            break;
        case 's':
            if (cli_sets_add(&cli_sets, optarg, set_err, sizeof set_err) != 0) {
                fprintf(stderr, "grpo-studio train: %s\n", set_err);
                return 2;
            }
            break;
        default: cli_option_error("train", argv, o); return 2;
        }
    }
    if (optind < argc) config_path = argv[optind++];
    if (optind < argc) { fprintf(stderr, "grpo-studio train: more than one config given ('%s')\n", argv[optind]); return 2; }
    if (resume && (config_path || db_arg)) {
        fprintf(stderr, "grpo-studio train: --resume continues %s with the config stored there; %s '%s' cannot be "
                        "given too (--set changes live keys)\n", resume, config_path ? "a config" : "--db",
                config_path ? config_path : db_arg);
        return 2;
    }
    if (fork && (resume || config_path)) {
        fprintf(stderr, "grpo-studio train: --fork starts from the parent run's recorded config; %s '%s' cannot be "
                        "given too (--set changes it)\n", resume ? "--resume" : "a config",
                resume ? resume : config_path);
        return 2;
    }
    if (fork_run && !fork) { fprintf(stderr, "grpo-studio train: --run goes with --fork RUN.db:STEP\n"); return 2; }
    ForkSpec fspec;
    if (fork) {
        char ferr[PATH_MAX + 128];
        if (fork_parse_spec(fork, &fspec, ferr, sizeof ferr) != 0) {
            fprintf(stderr, "grpo-studio train: %s\n", ferr);
            return 2;
        }
        if (fork_run && fspec.run_id && fork_run != fspec.run_id) {
            fprintf(stderr, "grpo-studio train: --fork %s names run %lld and --run %lld another\n", fork,
                    (long long)fspec.run_id, fork_run);
            return 2;
        }
        if (fork_run) fspec.run_id = fork_run;
    }
    char **sets = cli_sets.items;
    int n_sets = cli_sets.n;
    if (json && !headless) { fprintf(stderr, "grpo-studio train: --json goes with --headless\n"); return 2; }
    char why[160];
    if (!headless) train_ranks_take_terminal();   /* under mpirun: the terminal mpirun was started from */
    if (!headless && studio_check_terminal(why, sizeof why) != 0) {   /* before anything is created */
        fprintf(stderr, "grpo-studio train: no studio (%s): training headless, one line per step\n", why);
        headless = 1;
    }

    char err[PATH_MAX + 256], ckpt[PATH_MAX] = "", db_path[1024] = "";
    int ckpt_step = 0;
    Config cfg;
    Store *store = NULL;
    ForkSource parent = {0};
    if (fork) {
        if (fork_prepare(&fspec, &parent, &cfg, sets, n_sets, err, sizeof err) != 0) {
            fprintf(stderr, "grpo-studio train: %s\n", err);
            fork_source_free(&parent);
            return 1;
        }
        fork_source_free(&parent);   /* the recorded config is in cfg now */
        snprintf(ckpt, sizeof ckpt, "%s", parent.checkpoint);
        const char *into = db_arg ? db_arg : fspec.db;
        if (strlen(into) >= sizeof db_path) {
            fprintf(stderr, "grpo-studio train: run database path too long (at most %zu characters): %s\n",
                    sizeof db_path - 1, into);
            return 2;
        }
        snprintf(db_path, sizeof db_path, "%.*s", (int)sizeof db_path - 1, into);
    } else if (resume) {
        /* One writer per run, refused at once; a path that names no run database is left as it was. */
        if (!(store = store_open_existing(resume, err, sizeof err))) {
            fprintf(stderr, "grpo-studio train: --resume: %s\n", err);
            return 1;
        }
        if (resume_info(resume, &cfg, ckpt, sizeof ckpt, &ckpt_step, err, sizeof err) != 0) {
            fprintf(stderr, "grpo-studio train: %s\n", err);
            store_close(store);
            return 1;
        }
        snprintf(db_path, sizeof db_path, "%s", resume);
        cli_apply_config(&cfg);
        char buf[sizeof cfg.model.init];
        if (strcmp(cfg.model.init, "random") != 0) {
            if (cli_resolve(buf, sizeof buf, cfg.model.init, "model.init", err, sizeof err) != 0) {
                fprintf(stderr, "grpo-studio train: %s\n", err);
                store_close(store);
                return 1;
            }
            snprintf(cfg.model.init, sizeof cfg.model.init, "%s", buf);
        }
    } else {
        if (cli_load_config(&cfg, config_path, sets, n_sets, err, sizeof err) != 0) {
            fprintf(stderr, "grpo-studio train: %s\n", err);
            return 1;
        }
        if (db_arg) snprintf(db_path, sizeof db_path, "%s", db_arg);
        else if (cfg.run.db[0]) snprintf(db_path, sizeof db_path, "%s", cfg.run.db);
        else snprintf(db_path, sizeof db_path, "%s/%s.db", cfg.run.out_dir, cfg.run.name);
    }
    int use_db = strcmp(db_path, "none") != 0;
    /* An existing database is locked now, before the model is built, so a second writer hears at once. */
    if (use_db && !store && access(db_path, F_OK) == 0 && !(store = store_open(db_path, err, sizeof err))) {
        fprintf(stderr, "grpo-studio train: run database %s: %s%s\n", db_path, err,
                fork && !db_arg ? " (to fork a run while its database is being written, give the fork a database of "
                                  "its own: --db FILE)" : "");
        return 1;
    }

    TrainCtx x = {.json = json, .total_steps = cfg.run.steps, .t0 = mono()};
    TrainerCallbacks cb = {.ud = &x, .on_step = on_step, .on_trace = on_trace, .on_event = on_event};
    MemoryEstimate mem;
    if (headless && !json && trainer_memory_estimate(&cfg, &mem, err, sizeof err) == 0) {
        char total[32], parts[512];
        memory_format(memory_estimate_total(&mem), total, sizeof total);
        memory_estimate_describe(&mem, parts, sizeof parts);
        printf("# memory: about %s (%s)\n", total, parts);
        fflush(stdout);
    }
    if (!headless) {   /* the studio opens once the model is built: say what the first seconds are spent on */
        char total[32] = "";
        if (trainer_memory_estimate(&cfg, &mem, err, sizeof err) == 0)
            memory_format(memory_estimate_total(&mem), total, sizeof total);
        int fresh = !resume && !fork && !strcmp(cfg.model.init, "random");
        printf("grpo-studio: %s%s and allocating%s%s for run '%s'; the studio opens when it is ready...\n",
               fresh ? "building a model from random weights" : "loading ",
               fresh ? "" : resume || fork ? ckpt : cfg.model.init,
               total[0] ? " about " : "", total, cfg.run.name);
        fflush(stdout);
    }
    train_ranks_share(&cfg, ckpt[0] ? ckpt : NULL); /* under mpirun: every rank builds the same run (resume, fork) */
    Trainer *t = trainer_new(&cfg, &cb, err, sizeof err);
    if (!t) {
        fprintf(stderr, "grpo-studio train: %s\n", err);
        store_close(store);
        return 1;
    }
    x.t = t;
    if ((resume || fork) && trainer_restore(t, ckpt, err, sizeof err) != 0) {
        fprintf(stderr, "grpo-studio train: %s from %s: %s\n", fork ? "fork" : "resume", ckpt, err);
        trainer_free(t);
        store_close(store);
        return 1;
    }
    /* The checkpoint brings the config in force when it was written; --set on resume or fork are live changes on
     * top, applied at the first step and recorded as events like any other (the fork's runs.config has them too). */
    for (int i = 0; (resume || fork) && i < n_sets; i++) {
        char key[128];
        const char *eq = strchr(sets[i], '=');
        snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - sets[i]) : (int)strlen(sets[i]), sets[i]);
        if (!eq || trainer_set(t, key, eq + 1, err, sizeof err) != 0) {
            fprintf(stderr, "grpo-studio train: --set %s: %s\n", sets[i], eq ? err : "expected section.key=value");
            trainer_free(t);
            store_close(store);
            return 2;
        }
    }

    /* ---- Everything that can fail without creating anything has been checked above. From here on files are made:
     * the run database (when new), the checkpoint folder and its lock. ---- */
    int new_db = use_db && !store;
    if (new_db) {
        if (mkdirs_for(db_path) != 0) fprintf(stderr, "grpo-studio train: cannot create the folder of %s\n", db_path);
        if (!(store = store_open(db_path, err, sizeof err))) {
            fprintf(stderr, "grpo-studio train: run database %s: %s\n", db_path, err);
            trainer_free(t);
            return 1;
        }
    }
    /* The run's own checkpoint folder, locked: on --resume the folder it continues in, taken before the run's
     * status is touched (a refused resume leaves the run as it was); a new run's, named by its id, below. */
    char ckpt_dir[PATH_MAX - 64] = "";
    FileLock *ckpt_lock = NULL;
    if (resume && !(ckpt_lock = take_run_folder(t, &cfg, ckpt, NULL, 0, ckpt_dir, sizeof ckpt_dir, err, sizeof err))) {
        fprintf(stderr, "grpo-studio train: %s\n", err);
        store_close(store);
        trainer_free(t);
        return 1;
    }
    if (use_db) {
        int ok;
        if (resume) {
            ok = store_use_run(store, 0, err, sizeof err) > 0 && store_rollback_after(store, ckpt_step, err, sizeof err) >= 0;
        } else {
            char *ini = config_to_ini(&cfg), desc[160];
            ModelConfig mc;
            if (strcmp(cfg.model.init, "random") != 0 && checkpoint_read_config(cfg.model.init, &mc, NULL, err, sizeof err) == 0)
                cli_model_desc(&mc, model_n_params(&mc), desc, sizeof desc);
            else
                snprintf(desc, sizeof desc, "llama C%d L%d H%d F%d T%d", cfg.model.d_model, cfg.model.n_layers,
                         cfg.model.n_heads, cfg.model.ffn_hidden, cfg.model.max_seq);
            StoreRunInfo info = {.name = cfg.run.name, .config_text = ini, .model_desc = desc,
                                 .parent_checkpoint = cfg.model.init, .seed = cfg.run.seed};
            char parent_db[PATH_MAX] = "";
            if (fork) {
                info.parent_checkpoint = parent.checkpoint;
                info.parent_run = parent.run_id;
                info.parent_step = parent.step;
                if (!same_file(fspec.db, db_path) && realpath(fspec.db, parent_db)) info.parent_db = parent_db;
                else if (!same_file(fspec.db, db_path)) info.parent_db = fspec.db;
            }
            ok = store_begin_run(store, &info, err, sizeof err) > 0;
            free(ini);
        }
        if (!ok) {
            fprintf(stderr, "grpo-studio train: run database %s: %s\n", db_path, err);
            store_close(store);
            if (new_db) remove_db_files(db_path);
            filelock_release(ckpt_lock);
            trainer_free(t);
            return 1;
        }
    }
    int64_t run_id = use_db ? store_run_id(store) : 0;
    x.run_id = run_id;
    if (!resume && !(ckpt_lock = take_run_folder(t, &cfg, NULL, use_db ? db_path : NULL, run_id, ckpt_dir,
                                                 sizeof ckpt_dir, err, sizeof err))) {
        fprintf(stderr, "grpo-studio train: %s\n", err);
        if (use_db) store_set_status(store, "failed", 0, err, sizeof err);
        store_close(store);
        if (new_db) remove_db_files(db_path);
        trainer_free(t);
        return 1;
    }
    if (use_db && !(x.writer = store_writer_start(store, on_store_error, &x, err, sizeof err))) {
        fprintf(stderr, "grpo-studio train: run database %s: %s\n", db_path, err);
        store_close(store);
        filelock_release(ckpt_lock);
        trainer_free(t);
        return 1;
    }

    int rc;
    if (!train_ranks_ready(1)) {
        fprintf(stderr, "grpo-studio train: another MPI rank could not build its trainer (its message is above)\n");
        rc = 1;
    } else if (headless) {
        if (!json) {
            char id[32] = "";
            if (run_id > 0) snprintf(id, sizeof id, "%lld ", (long long)run_id);
            printf("# run %s'%s': %d steps of %d prompts x %d samples, %s%s%s\n", id, cfg.run.name, cfg.run.steps,
                   cfg.grpo.prompts_per_step, cfg.grpo.group_size,
                   resume ? "resumed from " : fork ? "forked from " : "from ",
                   resume || fork ? ckpt : cfg.model.init, use_db ? "" : " (no database)");
            if (fork) printf("# fork of run %lld '%s' of %s at step %d\n", (long long)parent.run_id, parent.name,
                             fspec.db, parent.step);
            if (use_db) printf("# database %s (run id %lld)\n", db_path, (long long)run_id);
            printf("# checkpoints %s\n", ckpt_dir);
            if (dist_size() > 1)
                printf("# MPI: %d ranks x %d threads, %d prompts each step split by whole groups\n", dist_size(),
                       cfg.run.threads, cfg.grpo.prompts_per_step);
        }
        rc = run_headless(t) == 0 ? 0 : 1;
    } else {
        x.studio = studio_new(&cfg, config_path ? config_path : fork ? fork : "configs/default.ini",
                              use_db ? db_path : NULL);
        if (!x.studio) { fprintf(stderr, "grpo-studio train: out of memory\n"); rc = 1; }
        else {
            studio_set_run_id(x.studio, run_id);
            if (fork) studio_set_parent(x.studio, parent.run_id, parent.step);
            rc = studio_run(x.studio, t);
        }
    }

    TrainerStatus st = trainer_status(t);
    int finished = trainer_step(t) >= cfg.run.steps;
    if (x.writer) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double end = ts.tv_sec + 1e-9 * ts.tv_nsec;
        store_writer_status(x.writer, st == TRAINER_FAILED || write_failed(&x) ? "failed" : finished ? "done" : "stopped",
                            end);
        if (store_writer_stop(x.writer, err, sizeof err) != 0)   /* already reported by on_store_error */
            store_set_status(store, "failed", end, err, sizeof err);  /* if the database still takes a write */
        x.writer = NULL;
    }
    if (write_failed(&x)) {
        fprintf(stderr, "grpo-studio train: %s\n", x.write_error);
        rc = 1;
    } else if (st == TRAINER_FAILED && headless) {
        fprintf(stderr, "grpo-studio train: %s\n", trainer_error(t));
    }
    store_close(store);
    filelock_release(ckpt_lock);
    char last[PATH_MAX];
    trainer_last_checkpoint(t, last, sizeof last);
    if (headless && !json && last[0]) printf("# last checkpoint %s\n", last);
    trainer_free(t);
    char **launch = studio_take_launch(x.studio);   /* a fork started from the Runs screen, now this run is closed */
    studio_free(x.studio);
    if (launch && dist_size() > 1) {
        fprintf(stderr, "grpo-studio train: a fork cannot start in place of a run under mpirun: run %s %s %s by "
                "itself\n", launch[1], launch[2], launch[3]);
        fork_argv_free(launch);
        return 1;
    }
    return launch ? fork_exec(launch) : rc;
}

/* Under mpirun (ui/train_ranks.h) rank 0 is the command as one process runs it; the other ranks follow it. */
int cmd_train(int argc, char **argv) {
    int rc = train_ranks_join(&argc, &argv);
    if (rc != 0) return rc;
    rc = dist_rank() == 0 ? train_main(argc, argv) : train_ranks_follow();
    train_ranks_leave();
    return rc;
}
