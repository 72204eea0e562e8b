/* fork_launch.c - a fork started from the Runs screen (fork_launch.h). */
#include "ui/fork_launch.h"
#include "core/config.h"
#include "ui/fork.h"
#include "ui/signals.h"
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fork_request_parse(const char *text, int default_step, ForkRequest *r, char *err, size_t errlen) {
    memset(r, 0, sizeof *r);
    r->step = default_step;
    if (strlen(text) >= sizeof r->text) {
        snprintf(err, errlen, "fork: the line is too long (at most %zu characters)", sizeof r->text - 1);
        return -1;
    }
    snprintf(r->text, sizeof r->text, "%s", text);
    int first = 1;
    for (char *w = strtok(r->text, " \t"); w; w = strtok(NULL, " \t"), first = 0) {
        if (first && isdigit((unsigned char)w[0])) {
            char *end;
            errno = 0;
            long step = strtol(w, &end, 10);
            if (*end || errno || step > 1000000000L) {
                snprintf(err, errlen, "fork: step \"%s\" is not a step number (expected 0 or more)", w);
                return -1;
            }
            r->step = (int)step;
            continue;
        }
        const char *eq = strchr(w, '='), *dot = strchr(w, '.');
        if (!eq || !dot || dot > eq || dot == w || eq == dot + 1) {
            snprintf(err, errlen, "fork: \"%s\" is not a change (expected section.key=value, e.g. optim.lr=3e-3)%s",
                     w, first ? " or a step number first" : "");
            return -1;
        }
        if (r->n_sets == FORK_SETS_MAX) {
            snprintf(err, errlen, "fork: more than %d changes", FORK_SETS_MAX);
            return -1;
        }
        r->sets[r->n_sets++] = w;
    }
    return 0;
}

int fork_request_check(const char *db, int64_t run_id, const ForkRequest *r, char *err, size_t errlen) {
    ForkSpec spec;
    memset(&spec, 0, sizeof spec);
    snprintf(spec.db, sizeof spec.db, "%s", db);
    spec.run_id = run_id;
    spec.step = r->step;
    ForkSource parent;
    Config c;
    if (fork_config(&spec, &parent, &c, r->sets, r->n_sets, err, errlen) != 0) return -1;
    fork_source_free(&parent);
    return 0;
}

char **fork_request_argv(const char *db, int64_t run_id, const ForkRequest *r) {
    int n = 4 + 2 * r->n_sets;
    char **argv = calloc((size_t)n + 1, sizeof *argv);
    if (!argv) return NULL;
    char spec[PATH_MAX + 48];
    snprintf(spec, sizeof spec, "%s:%lld:%d", db, (long long)run_id, r->step);
    const char *words[4] = {"grpo-studio", "train", "--fork", spec};
    int ok = 1;
    for (int i = 0; i < 4; i++) ok &= (argv[i] = strdup(words[i])) != NULL;
    for (int i = 0; i < r->n_sets; i++) {
        ok &= (argv[4 + 2 * i] = strdup("--set")) != NULL;
        ok &= (argv[5 + 2 * i] = strdup(r->sets[i])) != NULL;
    }
    if (!ok) {   /* a hole would end fork_argv_free's walk early */
        for (int i = 0; i < n; i++) free(argv[i]);
        free(argv);
        return NULL;
    }
    return argv;
}

void fork_argv_free(char **argv) {
    if (!argv) return;
    for (char **p = argv; *p; p++) free(*p);
    free(argv);
}

int fork_exec(char **argv) {
    sigset_t set;
    ui_signals_set(&set);
    sigprocmask(SIG_UNBLOCK, &set, NULL);   /* the new program blocks what it takes itself */
    fflush(NULL);
    execv("/proc/self/exe", argv);
    fprintf(stderr, "grpo-studio: cannot start the fork (%s %s): %s\n", argv[2], argv[3], strerror(errno));
    fork_argv_free(argv);
    return 1;
}
