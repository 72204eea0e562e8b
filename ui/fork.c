/* fork.c - `train --fork` lookups (fork.h): the spec, the parent run and its checkpoint, and the command the Runs
 * screen offers. */
#include "ui/fork.h"
#include "core/config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A decimal integer making up all of [s, e): no sign, no blanks, at most 9 digits. Returns 0 or -1. */
static int digits(const char *s, const char *e, long long *v) {
    if (e <= s || e - s > 9) return -1;
    long long x = 0;
    for (const char *p = s; p < e; p++) {
        if (*p < '0' || *p > '9') return -1;
        x = x * 10 + (*p - '0');
    }
    *v = x;
    return 0;
}

int fork_parse_spec(const char *spec, ForkSpec *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    const char *end = spec + strlen(spec);
    const char *c2 = strrchr(spec, ':');
    long long step, id = 0;
    if (!c2 || digits(c2 + 1, end, &step) != 0) {
        snprintf(err, errlen, "--fork '%s': expected RUN.db:STEP or RUN.db:ID:STEP (STEP a checkpoint's step, e.g. "
                 "runs/default.db:100)", spec);
        return -1;
    }
    const char *dbend = c2;
    const char *c1 = NULL;
    for (const char *p = c2 - 1; p >= spec; p--)
        if (*p == ':') { c1 = p; break; }
    if (c1 && digits(c1 + 1, c2, &id) == 0) dbend = c1;
    if (dbend == spec || (size_t)(dbend - spec) >= sizeof out->db) {
        snprintf(err, errlen, "--fork '%s': %s", spec,
                 dbend == spec ? "no database before ':'" : "the path is too long");
        return -1;
    }
    if (dbend == c1 && id == 0) {
        snprintf(err, errlen, "--fork '%s': run id 0: run ids start at 1", spec);
        return -1;
    }
    snprintf(out->db, sizeof out->db, "%.*s", (int)(dbend - spec), spec);
    out->run_id = id;
    out->step = (int)step;
    return 0;
}

void fork_source_free(ForkSource *s) {
    if (!s) return;
    free(s->config_text);
    s->config_text = NULL;
}

/* "1, 2, 5" (the run ids of q) into buf. */
static void list_runs(Query *q, char *buf, size_t n) {
    QueryRunList l;
    char err[256];
    buf[0] = 0;
    if (query_runs(q, &l, err, sizeof err) < 0) return;
    size_t used = 0;
    for (int i = 0; i < l.n && used + 24 < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%lld", i ? ", " : "", (long long)l.items[i].id);
    query_runs_free(&l);
}

int fork_find(const ForkSpec *spec, ForkSource *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (access(spec->db, F_OK) != 0) {
        snprintf(err, errlen, "--fork: %s: %s (expected the run database of the run to fork)", spec->db,
                 strerror(errno));
        return -1;
    }
    char qerr[PATH_MAX + 256];
    Query *q = query_open(spec->db, qerr, sizeof qerr);
    if (!q) { snprintf(err, errlen, "--fork: %s", qerr); return -1; }
    QueryRun run;
    int found = query_run(q, spec->run_id, &run, qerr, sizeof qerr);
    if (found <= 0) {
        char ids[256];
        list_runs(q, ids, sizeof ids);
        if (found < 0) snprintf(err, errlen, "--fork: %s", qerr);
        else if (spec->run_id > 0)
            snprintf(err, errlen, "--fork: %s has no run with id %lld (its runs: %s)", spec->db,
                     (long long)spec->run_id, ids[0] ? ids : "none");
        else snprintf(err, errlen, "--fork: %s holds no run", spec->db);
        query_close(q);
        return -1;
    }
    QueryCheckpointList cl;
    if (query_checkpoints(q, run.id, &cl, qerr, sizeof qerr) < 0) {
        snprintf(err, errlen, "--fork: %s", qerr);
        query_run_free(&run);
        query_close(q);
        return -1;
    }
    int at = -1;
    for (int i = 0; i < cl.n; i++)
        if (cl.items[i].step == spec->step) at = i;
    int rc = -1;
    if (at < 0) {
        char steps[512] = "";
        size_t used = 0;
        for (int i = 0; i < cl.n && used + 16 < sizeof steps; i++)
            used += (size_t)snprintf(steps + used, sizeof steps - used, "%s%d", i ? ", " : "", cl.items[i].step);
        if (cl.n == 0)
            snprintf(err, errlen, "--fork: run %lld '%s' of %s has no checkpoint yet: nothing to fork from",
                     (long long)run.id, run.name, spec->db);
        else
            snprintf(err, errlen, "--fork: run %lld '%s' of %s has no checkpoint at step %d; it has checkpoints at "
                     "steps %s", (long long)run.id, run.name, spec->db, spec->step, steps);
    } else if (!(out->config_text = strdup(run.config_text ? run.config_text : ""))) {
        snprintf(err, errlen, "--fork: out of memory");
    } else {
        out->run_id = run.id;
        snprintf(out->name, sizeof out->name, "%s", run.name);
        out->step = spec->step;
        snprintf(out->checkpoint, sizeof out->checkpoint, "%s", cl.items[at].path);
        rc = 0;
    }
    query_checkpoints_free(&cl);
    query_run_free(&run);
    query_close(q);
    return rc;
}

int fork_checkpoint_before(Query *q, int64_t run_id, int before, char *err, size_t errlen) {
    QueryCheckpointList cl;
    if (query_checkpoints(q, run_id, &cl, err, errlen) < 0) return -2;
    int newest = cl.n ? cl.items[cl.n - 1].step : -1, found = -1;
    for (int i = 0; i < cl.n && before >= 0; i++)   /* by step: the last one below `before` */
        if (cl.items[i].step < before) found = cl.items[i].step;
    query_checkpoints_free(&cl);
    return found >= 0 ? found : newest;
}

/* 1 when a shell takes s as one word as it is. */
static int shell_plain(const char *s) {
    if (!s[0]) return 0;
    for (const char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+,=:@%", *p)) return 0;
    return 1;
}

void fork_command(const char *db, int64_t run_id, int step, const char *const *sets, int n_sets, char *buf,
                  size_t n) {
    char spec[PATH_MAX + 48];
    snprintf(spec, sizeof spec, "%s:%lld:%d", db, (long long)run_id, step);
    int q = !shell_plain(spec) && !strchr(spec, '\'');   /* else single-quoted */
    int w = snprintf(buf, n, q ? "grpo-studio train --fork '%s'" : "grpo-studio train --fork %s", spec);
    for (int i = 0; w >= 0 && (size_t)w < n && i < n_sets; i++) {
        q = !shell_plain(sets[i]) && !strchr(sets[i], '\'');
        w += snprintf(buf + w, n - (size_t)w, q ? " --set '%s'" : " --set %s", sets[i]);
    }
    if (w >= 0 && (size_t)w < n && n_sets == 0) w += snprintf(buf + w, n - (size_t)w, " --set optim.lr=...");
    if (w < 0 || (size_t)w >= n) buf[0] = 0;
}

int fork_config(const ForkSpec *spec, ForkSource *parent, Config *c, const char *const *sets, int n_sets, char *err,
                size_t errlen) {
    if (fork_find(spec, parent, err, errlen) != 0) return -1;
    for (int i = 0; i < n_sets; i++) {
        char key[128];
        const char *eq = strchr(sets[i], '=');
        snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - sets[i]) : (int)strlen(sets[i]), sets[i]);
        const ConfigKey *k = config_key_dotted(key);
        if (k && !k->live) {
            snprintf(err, errlen, "--set %s: a fork continues from the checkpoint at step %d, which fixes %s; only "
                     "keys that may change while a run lives can be set (optim.lr, grpo.beta, run.steps, ...)",
                     sets[i], parent->step, key);
            goto fail;
        }
    }
    char name[PATH_MAX + 64];
    snprintf(name, sizeof name, "%s (run %lld's recorded config)", spec->db, (long long)parent->run_id);
    config_defaults(c);
    if (config_load_string(c, parent->config_text, name, err, errlen) != 0) goto fail;
    for (int i = 0; i < n_sets; i++)
        if (config_set(c, sets[i], err, errlen) != 0) goto fail;
    if (config_finish(c, err, errlen) != 0) goto fail;
    return 0;
fail:
    fork_source_free(parent);
    return -1;
}
