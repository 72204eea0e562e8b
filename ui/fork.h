/* fork.h - where `train --fork` starts from: the spec RUN.db:STEP or RUN.db:ID:STEP, and the parent run, its
 * recorded config and its checkpoint at that step, looked up through storage/query.h. Also the exact command the
 * Runs screen shows for a run, a step and changes, and the validation of that fork's config. No terminal here;
 * ui/cmd_train.c, ui/fork_launch.c and ui/screen_runs.c use it. */
#ifndef GRPO_UI_FORK_H
#define GRPO_UI_FORK_H
#include "core/config.h"
#include "storage/query.h"
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* A parsed --fork spec. */
typedef struct {
    char db[PATH_MAX];       /* the parent's database as given */
    int64_t run_id;          /* 0: the newest run (or --run) */
    int step;                /* the checkpoint's step */
} ForkSpec;

/* The parent, found. */
typedef struct {
    int64_t run_id;
    char name[64];
    char *config_text;       /* the parent's recorded config (runs.config), malloc'd; free with fork_source_free */
    int step;
    char checkpoint[PATH_MAX];
} ForkSource;

/* Parses "RUN.db:STEP" or "RUN.db:ID:STEP" (the last one or two ':'-separated fields are decimal integers; the
 * database path is the rest). Returns 0, or -1 with err naming the spec and the expected form. */
int fork_parse_spec(const char *spec, ForkSpec *out, char *err, size_t errlen);
/* Looks the parent up: spec->db must be a run database, the run (spec->run_id, 0: newest) must exist and have a
 * checkpoint recorded at spec->step. Errors name the database and list what there is: the run ids when the run is
 * missing, the steps that have a checkpoint when the step has none. Returns 0 (fill *out; pair with
 * fork_source_free) or -1 with err. */
int fork_find(const ForkSpec *spec, ForkSource *out, char *err, size_t errlen);
void fork_source_free(ForkSource *s);

/* The newest checkpoint of run_id in q before step `before` (before < 0, or none before it: the newest of all), so
 * that asking again with the answer walks back through them and wraps round. Returns its step (>= 0), -1 when the
 * run has no checkpoint, -2 on a database error (err). */
int fork_checkpoint_before(Query *q, int64_t run_id, int before, char *err, size_t errlen);
/* The command that forks run_id of db at step with the changes sets[0..n_sets) ("section.key=value"):
 * "grpo-studio train --fork DB:ID:STEP --set k=v ...", words a shell would split single-quoted; with no change, a
 * placeholder "--set optim.lr=..." to edit. Writes "" when it does not fit. */
void fork_command(const char *db, int64_t run_id, int step, const char *const *sets, int n_sets, char *buf,
                  size_t n);
/* The fork's config, validated: fork_find, then the parent's recorded config with the changes applied - each must be
 * a key that may change while a run lives (the checkpoint fixes the rest), of its type and range (config_set), and
 * the whole must pass config_finish. Paths are not resolved (the caller does, before training). Returns 0 (pair
 * *parent with fork_source_free) or -1 with err naming the change, its key and value (*parent then holds nothing). */
int fork_config(const ForkSpec *spec, ForkSource *parent, Config *c, const char *const *sets, int n_sets, char *err,
                size_t errlen);

#endif
