/* cli.c - shared argument handling of the subcommands. */
#include "ui/cli.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef GRPO_SOURCE_DIR
#define GRPO_SOURCE_DIR "."
#endif

void cli_resolve(char *out, size_t n, const char *path) {
    char alt[1024];
    if (!path[0] || path[0] == '/' || access(path, F_OK) == 0) { snprintf(out, n, "%s", path); return; }
    snprintf(alt, sizeof alt, "%s/%s", GRPO_SOURCE_DIR, path);
    snprintf(out, n, "%s", access(alt, F_OK) == 0 ? alt : path);
}

int cli_load_config(Config *c, const char *path, char **sets, int n_sets, char *err, size_t errlen) {
    char file[1024];
    config_defaults(c);
    cli_resolve(file, sizeof file, path ? path : "configs/default.ini");
    if (config_load_file(c, file, err, errlen) != 0) return -1;
    for (int i = 0; i < n_sets; i++)
        if (config_set(c, sets[i], err, errlen) != 0) return -1;
    if (config_finish(c, err, errlen) != 0) return -1;
    char buf[256];
    if (strcmp(c->model.init, "random") != 0) {
        cli_resolve(buf, sizeof buf, c->model.init);
        snprintf(c->model.init, sizeof c->model.init, "%s", buf);
    }
    if (c->task.path[0]) {
        cli_resolve(buf, sizeof buf, c->task.path);
        snprintf(c->task.path, sizeof c->task.path, "%s", buf);
    }
    return 0;
}

void cli_model_desc(const ModelConfig *mc, size_t n_params, char *buf, size_t n) {
    snprintf(buf, n, "llama C%d L%d H%d F%d V%d T%d%s, %.2fM parameters", mc->C, mc->L, mc->H, mc->F, mc->V,
             mc->max_T, mc->tied ? " tied" : "", n_params / 1e6);
}
