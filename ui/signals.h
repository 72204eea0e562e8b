/* signals.h - the signals a run takes itself, and how. SIGINT, SIGTERM and SIGHUP (a closed terminal, a dropped
 * ssh) stop it at the next safe point with a checkpoint; SIGWINCH resizes the studio. They are blocked in every
 * thread from the start of main(), before any thread exists (OpenBLAS, the kernels pool and the store writer
 * inherit the mask), so none of them can land on a thread that does not expect it; a blocked signal waits until the
 * one thread that acts on it takes it synchronously: sigtimedwait in headless runs (ui/cmd_train.c) and after each
 * step of pretrain / sft (ui/cmd_pretrain.c), a signalfd watched by the loop in the studio (ui/studio.c). */
#ifndef GRPO_UI_SIGNALS_H
#define GRPO_UI_SIGNALS_H
#include <signal.h>

/* Fills set with SIGINT, SIGTERM, SIGHUP and SIGWINCH. */
void ui_signals_set(sigset_t *set);

/* Blocks the set in the calling thread and restarts OpenBLAS's threads (started before main) from it, so that every
 * thread of the process blocks it. SIGPIPE is ignored: a write to a closed pipe fails with EPIPE, and a headless run
 * whose reader went away stops with a checkpoint instead of dying mid-step. Call first thing in main(), before anything starts a thread, for the commands
 * that take these signals (train, browse, pretrain, sft); the others keep the default actions (Ctrl-C ends them). */
void ui_signals_block(void);

#endif
