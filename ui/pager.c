/* pager.c - a transcript in the user's $PAGER: written to a temporary file, the terminal handed over (endwin), the
 * pager run with the signals the studio blocks unblocked, the screen taken back. A Ctrl-C typed in the pager also
 * reaches the studio (one process group): it is dropped here, not taken for "quit".
 *
 * posix_spawn, not fork: fork runs the atfork handlers, and OpenBLAS's joins its worker threads - which never
 * return while the trainer's step keeps them busy (the studio froze). */
#include "ui/signals.h"
#include "ui/studio_internal.h"
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* 1 when the pager command's first word is a program that can be run (a path, or found in $PATH). */
static int pager_exists(const char *cmd) {
    char prog[512];
    size_t k = 0;
    while (*cmd == ' ') cmd++;
    while (cmd[k] && cmd[k] != ' ' && k < sizeof prog - 1) { prog[k] = cmd[k]; k++; }
    prog[k] = 0;
    if (!prog[0]) return 0;
    if (strchr(prog, '/')) return access(prog, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path) path = "/usr/bin:/bin";
    while (*path) {
        const char *end = strchr(path, ':');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        char full[1024];
        snprintf(full, sizeof full, "%.*s/%s", (int)len, len ? path : ".", prog);
        if (access(full, X_OK) == 0) return 1;
        path += len + (end ? 1 : 0);
    }
    return 0;
}

void studio_pager(Studio *s, const QueryRollout *r) {
    if (!r) { studio_flash(s, "no rollout selected"); return; }
    const char *pager = getenv("PAGER");
    if (!pager || !*pager) pager = "less";
    char msg[700];
    if (!pager_exists(pager)) {
        snprintf(msg, sizeof msg, "pager \"%.200s\" not found: set $PAGER to a program on the PATH (e.g. less)", pager);
        studio_flash(s, msg);
        return;
    }
    const char *dir = getenv("TMPDIR");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/grpo-transcript-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        snprintf(msg, sizeof msg, "pager: cannot write a temporary file in %.200s: %s", dir && *dir ? dir : "/tmp",
                 strerror(errno));
        if (fd >= 0) { close(fd); unlink(path); }
        studio_flash(s, msg);
        return;
    }
    char head[512];
    format_rollout_header(r, head, sizeof head);
    fprintf(f, "%s\n\n%s%s\n\nreference answer: %s\n", head, r->prompt ? r->prompt : "",
            r->completion ? r->completion : "", r->answer ? r->answer : "");
    int werr = ferror(f);
    if (fclose(f) != 0 || werr) {
        snprintf(msg, sizeof msg, "pager: cannot write %.300s", path);
        unlink(path);
        studio_flash(s, msg);
        return;
    }
    def_prog_mode();
    endwin();
    fflush(stdout);
    /* the pager, as a shell command like $PAGER always is ("less -R" works), given the file as "$1" */
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "exec %s \"$1\"", pager);
    char *argv[] = {"sh", "-c", cmd, "sh", path, NULL};
    sigset_t none, dfl;
    sigemptyset(&none);
    ui_signals_set(&dfl);
    posix_spawnattr_t attr;
    int status = -1, rc = posix_spawnattr_init(&attr);
    if (rc == 0) rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (rc == 0) rc = posix_spawnattr_setsigmask(&attr, &none);   /* the studio blocks them; the pager needs them */
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&attr, &dfl);
    pid_t pid = -1;
    extern char **environ;
    if (rc == 0) rc = posix_spawn(&pid, "/bin/sh", NULL, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) pid = -1;
    else while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    unlink(path);
    reset_prog_mode();
    /* signals that came while the pager ran: Ctrl-C was the pager's; the others are handled as usual */
    struct signalfd_siginfo si;
    sigset_t again;
    sigemptyset(&again);
    while (s->sig_fd >= 0 && read(s->sig_fd, &si, sizeof si) == (ssize_t)sizeof si)
        if (si.ssi_signo != SIGINT) sigaddset(&again, (int)si.ssi_signo);
    for (int sig = 1; sig < 32; sig++)   /* back into the signalfd for on_signal (a resize, a stop) */
        if (sigismember(&again, sig) == 1) kill(getpid(), sig);
    s->full_redraw = 1;
    s->dirty = D_ALL;
    if (pid < 0) snprintf(msg, sizeof msg, "pager: cannot start /bin/sh: %s", strerror(rc));
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        snprintf(msg, sizeof msg, "pager \"%.200s\" ended with %s %d", pager,
                 WIFEXITED(status) ? "status" : "signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    else msg[0] = 0;
    if (msg[0]) studio_flash(s, msg);
}
