/* train_ranks.h - `grpo-studio train` under mpirun (core/dist.h): joining the job, rank 0 handing the run to the
 * other ranks, and the other ranks' life (headless, no database, no checkpoints, no terminal).
 *
 * Rank 0 parses the command line and config as one process would, then shares the finished Config (and the
 * checkpoint of a --resume) with train_ranks_share just before building its trainer; every rank builds its own, and
 * train_ranks_ready agrees that all of them could before rank 0 runs. A rank 0 that fails before either point tells
 * the others (train_ranks_leave), so they end instead of waiting. The ranks run the same binary on hosts that see
 * the same paths. */
#ifndef GRPO_UI_TRAIN_RANKS_H
#define GRPO_UI_TRAIN_RANKS_H
#include "core/config.h"

/* Joins the MPI job when mpirun started this process (GRPO_MPI_TIMEOUT: seconds a collective may wait, default
 * 600). Returns 0, or an exit code after printing why. */
int train_ranks_join(int *argc, char ***argv);
/* Rank 0 of a job: mpirun gives its ranks no terminal on stdin and stdout, but they keep the one mpirun was started
 * from (its controlling terminal): the studio takes it (/dev/tty onto stdin and stdout). Run mpirun with --stdin
 * none so that it does not read the keys too. No-op in one process, or when stdin is a terminal or there is none. */
void train_ranks_take_terminal(void);
/* Rank 0: hands cfg (and the checkpoint to resume from, or NULL) to the other ranks. No-op in one process. */
void train_ranks_share(const Config *cfg, const char *resume_checkpoint);
/* Every rank, once its trainer is built (ok = 1) or could not be (ok = 0): 1 when every rank's is. */
int train_ranks_ready(int ok);
/* Ranks > 0: receives the run from rank 0, builds and runs the trainer. Returns the exit code. */
int train_ranks_follow(void);
/* Tells the other ranks a run that rank 0 abandoned before sharing or agreeing, then leaves the job. */
void train_ranks_leave(void);

#endif
