/* studio_fork.c - F on the Runs screen: a line asking for the step (the run's newest checkpoint by default; Up steps
 * back through the checkpoints) and changes (section.key=value ...), the command it stands for shown under it as it
 * is typed, and on Enter - once the step has a checkpoint and every change is valid - the fork started in place of
 * the studio (the studio quits, then its caller execs the command: studio_take_launch). A refusal is shown in place
 * of the command, the line left open with its text. studio.c hands the keys here; screen_runs.c draws the line. */
#include "ui/fork.h"
#include "ui/fork_launch.h"
#include "ui/studio_internal.h"
#include <stdio.h>
#include <string.h>

/* The run F acts on: the one selected. */
static const RunsEntry *fork_entry(const Studio *s) {
    return s->runs_open && s->runs_sel < s->runs.n ? &s->runs.items[s->runs_sel] : NULL;
}

void studio_fork_open(Studio *s) {
    const RunsEntry *e = fork_entry(s);
    if (!e) return;
    char err[600];
    int step = fork_checkpoint_before(s->runs.q[e->db], e->run.id, -1, err, sizeof err);
    s->fork_cmd[0] = 0;
    if (step == -2) { studio_flash(s, err); return; }
    if (step < 0) { studio_flash(s, "this run has no checkpoint yet: nothing to fork from"); return; }
    s->fork_run = e->run.id;
    s->fork_db = e->db;
    s->fork_default = step;
    s->fork_err[0] = 0;
    s->prompt = 'F';
    snprintf(s->prompt_buf, sizeof s->prompt_buf, "%d ", step);
    s->prompt_len = s->prompt_cur = (int)strlen(s->prompt_buf);
    studio_fork_refresh(s);
}

void studio_fork_refresh(Studio *s) {
    ForkRequest r;
    char err[256];
    s->fork_err[0] = 0;   /* an edit: the command again */
    if (fork_request_parse(s->prompt_buf, s->fork_default, &r, err, sizeof err) != 0) return;   /* the last one */
    s->fork_step = r.step;
    fork_command(s->runs.paths[s->fork_db], s->fork_run, r.step, r.sets, r.n_sets, s->fork_cmd, sizeof s->fork_cmd);
}

void studio_fork_earlier(Studio *s) {
    ForkRequest r;
    char err[600];
    if (fork_request_parse(s->prompt_buf, s->fork_default, &r, err, sizeof err) != 0) { studio_flash(s, err); return; }
    int step = fork_checkpoint_before(s->runs.q[s->fork_db], s->fork_run, r.step, err, sizeof err);
    if (step < 0) { studio_flash(s, step == -2 ? err : "this run has no checkpoint any more"); return; }
    char line[sizeof s->prompt_buf];
    size_t n = (size_t)snprintf(line, sizeof line, "%d ", step);   /* the step replaced, the changes kept */
    for (int i = 0; i < r.n_sets && n < sizeof line; i++)
        n += (size_t)snprintf(line + n, sizeof line - n, "%s ", r.sets[i]);
    if (n >= sizeof line) return;
    memcpy(s->prompt_buf, line, n + 1);
    s->prompt_len = s->prompt_cur = (int)n;
}

/* Enter refused: the reason in place of the command (until the next edit) and in the hint bar; the line stays open
 * with its text. Returns 0. */
static int refuse(Studio *s, const char *why) {
    snprintf(s->fork_err, sizeof s->fork_err, "%s", why);
    studio_flash(s, why);
    return 0;
}

int studio_fork_submit(Studio *s) {
    ForkRequest r;
    char err[PATH_MAX + 500];
    const char *db = s->runs.paths[s->fork_db];
    if (fork_request_parse(s->prompt_buf, s->fork_default, &r, err, sizeof err) != 0 ||
        fork_request_check(db, s->fork_run, &r, err, sizeof err) != 0) {
        return refuse(s, strncmp(err, "--fork: ", 8) ? err : err + 8);
    }
    if (s->t && !s->worker_done)   /* one trainer per studio: this one must end first */
        return refuse(s, "this studio is training: quit it (q) to fork here, or run the command in another terminal");
    char **argv = fork_request_argv(db, s->fork_run, &r);
    if (!argv) return refuse(s, "fork: out of memory");
    fork_argv_free(s->launch);
    s->launch = argv;
    return 1;
}

char **studio_take_launch(Studio *s) {
    char **argv = s ? s->launch : NULL;
    if (s) s->launch = NULL;
    return argv;
}
