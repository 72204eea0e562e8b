/* signals.c - blocking the signals a run takes itself in every thread (see signals.h). */
#include "ui/signals.h"
#include "core/kernels.h"
#include <pthread.h>

void ui_signals_set(sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGWINCH);
}

void ui_signals_block(void) {
    sigset_t set;
    ui_signals_set(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);   /* cannot fail with SIG_BLOCK and a valid set */
    signal(SIGPIPE, SIG_IGN);                 /* a closed stdout is an EPIPE the command handles, not a death */
    kernels_restart_blas_threads();
}
