/* fork_launch.h - forking a run from the Runs screen: what the user types after F ("STEP key=value ..."), its
 * validation (the step must have a checkpoint; each change is checked as `train --fork --set` checks it), and the
 * command line that starts the fork in place of the studio: `grpo-studio train --fork DB:ID:STEP --set k=v ...`,
 * exec'd in the same terminal once the studio has closed its own (ui/studio.c, ui/cmd_train.c). No terminal here. */
#ifndef GRPO_UI_FORK_LAUNCH_H
#define GRPO_UI_FORK_LAUNCH_H
#include <stddef.h>
#include <stdint.h>

enum { FORK_SETS_MAX = 16 };

/* A parsed request: the step and the changes, pointing into text (owned here). */
typedef struct {
    int step;
    int n_sets;
    const char *sets[FORK_SETS_MAX];
    char text[256];
} ForkRequest;

/* Parses "[STEP] [section.key=value ...]" (words split on blanks): a first word of digits is the step, else the
 * step is default_step; every other word must be section.key=value. Returns 0, or -1 with err naming the word and
 * the form expected. */
int fork_request_parse(const char *text, int default_step, ForkRequest *r, char *err, size_t errlen);
/* Checks the fork of run_id of db that r asks for: a checkpoint at its step (else the steps that have one are
 * listed), and its changes against the parent's recorded config (ui/fork.h: fork_config). Returns 0 or -1 with err. */
int fork_request_check(const char *db, int64_t run_id, const ForkRequest *r, char *err, size_t errlen);
/* The fork's command line, NULL-terminated: "grpo-studio" "train" "--fork" "DB:ID:STEP" then "--set" "k=v" per
 * change. Malloc'd; free with fork_argv_free. NULL when out of memory. */
char **fork_request_argv(const char *db, int64_t run_id, const ForkRequest *r);
void fork_argv_free(char **argv);
/* Replaces this process with argv run by this same program (/proc/self/exe), the signals the studio blocked
 * unblocked again. Returns only when that fails: 1, the reason on stderr. Frees argv either way. */
int fork_exec(char **argv);

#endif
