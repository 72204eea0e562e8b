/* cli.h - what every subcommand does with its arguments: find files relative to the working directory or the
 * source tree, load a config with --set overrides, and describe a model in one line. */
#ifndef GRPO_CLI_H
#define GRPO_CLI_H
#include "core/config.h"
#include "core/model.h"
#include <stddef.h>

#define CLI_MAX_SETS 64

/* out = path when it exists from the working directory, else <source dir>/path when that exists, else path. */
void cli_resolve(char *out, size_t n, const char *path);
/* Defaults, then the INI file (NULL: configs/default.ini), then each "section.key=value" of sets, then
 * config_finish; model.init and task.path are resolved with cli_resolve. Returns 0 or -1 with err. */
int cli_load_config(Config *c, const char *path, char **sets, int n_sets, char *err, size_t errlen);
/* "llama C128 L4 H4 F384 V103 T256, 0.87M parameters" */
void cli_model_desc(const ModelConfig *mc, size_t n_params, char *buf, size_t n);

#endif
