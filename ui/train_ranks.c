/* train_ranks.c - the MPI side of `grpo-studio train` (train_ranks.h). */
#include "ui/train_ranks.h"
#include "core/dist.h"
#include "core/trainer.h"
#include "ui/cli.h"
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

typedef struct {
    int ok;                    /* 0: rank 0 gave up before building its trainer (it said why) */
    int resume;
    char checkpoint[PATH_MAX]; /* with resume: the checkpoint every rank restores */
    Config cfg;
} RunShare;

static RunShare share;         /* a Config is too large for every stack */
static int shared, agreed;     /* rank 0: what the other ranks have been told */

static void fatal(const char *msg) { fprintf(stderr, "grpo-studio train: %s\n", msg); }

int train_ranks_join(int *argc, char ***argv) {
    if (!dist_launched()) return 0;
    double timeout = 600;
    const char *env = getenv("GRPO_MPI_TIMEOUT");
    char err[512];
    if (env && cli_parse_number("GRPO_MPI_TIMEOUT", env, 1, 86400, &timeout, err, sizeof err) != 0) {
        fprintf(stderr, "grpo-studio train: environment: %s (seconds a rank waits for the others)\n", err);
        return 2;
    }
    if (dist_init(argc, argv, timeout, fatal, err, sizeof err) != 0) {
        fprintf(stderr, "grpo-studio train: %s\n", err);
        return 1;
    }
    return 0;
}

static pid_t terminal_owner = -1; /* the foreground process group before rank 0 took the terminal */

/* Makes process group pg the terminal's foreground group (reading keys needs it; the call from a background group
 * would stop the process with SIGTTOU, ignored for the call). */
static void terminal_foreground(int fd, pid_t pg) {
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGTTOU, &ign, &old);
    tcsetpgrp(fd, pg);
    sigaction(SIGTTOU, &old, NULL);
}

void train_ranks_take_terminal(void) {
    if (dist_size() == 1 || dist_rank() != 0 || isatty(STDIN_FILENO)) return;
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0) return; /* no terminal: the studio says so and runs headless */
    fflush(stdout);
    dup2(fd, STDIN_FILENO);
    dup2(fd, STDOUT_FILENO);
    close(fd);
    terminal_owner = tcgetpgrp(STDIN_FILENO); /* mpirun's group: it reads no keys with --stdin none */
    terminal_foreground(STDIN_FILENO, getpgrp());
}

void train_ranks_share(const Config *cfg, const char *resume_checkpoint) {
    if (dist_size() == 1 || shared) return;
    share.ok = 1;
    share.resume = resume_checkpoint != NULL;
    snprintf(share.checkpoint, sizeof share.checkpoint, "%s", resume_checkpoint ? resume_checkpoint : "");
    share.cfg = *cfg;
    dist_broadcast(&share, sizeof share);
    shared = 1;
}

int train_ranks_ready(int ok) {
    if (dist_size() == 1) return ok;
    double failed = !ok;
    dist_sum_doubles(&failed, 1);
    agreed = 1;
    return failed == 0;
}

static void on_event(void *ud, const Event *ev) {
    (void)ud;
    if (ev->kind == EVENT_ERROR)
        fprintf(stderr, "grpo-studio train: MPI rank %d: step %d: %s: %s\n", dist_rank(), ev->step, ev->name,
                ev->detail);
}

int train_ranks_follow(void) {
    dist_broadcast(&share, sizeof share);
    if (!share.ok) return 1;
    cli_apply_config(&share.cfg);
    char err[PATH_MAX + 256];
    TrainerCallbacks cb = {.on_event = on_event};
    Trainer *t = trainer_new(&share.cfg, &cb, err, sizeof err);
    if (t && share.resume && trainer_restore(t, share.checkpoint, err, sizeof err) != 0) {
        trainer_free(t);
        t = NULL;
    }
    if (!t) fprintf(stderr, "grpo-studio train: MPI rank %d: %s\n", dist_rank(), err);
    if (!train_ranks_ready(t != NULL)) {
        trainer_free(t);
        return 1;
    }
    int rc = trainer_run(t);
    if (rc != 0) fprintf(stderr, "grpo-studio train: MPI rank %d: %s\n", dist_rank(), trainer_error(t));
    trainer_free(t);
    return rc ? 1 : 0;
}

void train_ranks_leave(void) {
    if (dist_size() > 1 && dist_rank() == 0) {
        if (!shared) {
            memset(&share, 0, sizeof share);
            dist_broadcast(&share, sizeof share);
        } else if (!agreed) {
            train_ranks_ready(0);
        }
    }
    if (terminal_owner > 0) terminal_foreground(STDIN_FILENO, terminal_owner); /* back to mpirun's group */
    dist_finalize();
}
