/* cli.h - what every subcommand does with its arguments: find files relative to the working directory or the
 * source tree, parse option values (one validated parser: the whole text, no overflow, a named range), record
 * config assignments (--set, and options that stand for a config key), load a config with them, apply its
 * process-wide settings, and describe a model in one line.
 *
 * Option values are checked when getopt_long hands them over, so a bad command line is a usage error (exit 2)
 * with a message that names the option, the value and what was allowed - before anything is loaded or written.
 * An option that stands for a config key (eval --samples is run.eval_samples) is checked by the key's own parser
 * and range (core/config.h), so the range lives in one place. */
#ifndef GRPO_CLI_H
#define GRPO_CLI_H
#include "core/config.h"
#include "core/search_stats.h"
#include "core/model.h"
#include <stddef.h>
#include <stdio.h>

#define CLI_MAX_SETS 64
#define CLI_OPTION_SET_LEN 128   /* "section.key=value" made from an option: canonical values are short */

/* Config assignments from the command line, in order: --set SECTION.KEY=VALUE (pointing into argv) and those
 * made from options (stored here). Zero-initialise before use; holds no heap memory. */
typedef struct {
    char *items[CLI_MAX_SETS];   /* "section.key=value" */
    int n;
    char own[CLI_MAX_SETS][CLI_OPTION_SET_LEN];
} CliSets;

/* out = path when it exists from the working directory, else <source dir>/path when that exists, else path.
 * Returns 0, or -1 with err (naming `what` and the path) when the result does not fit in n bytes. */
int cli_resolve(char *out, size_t n, const char *path, const char *what, char *err, size_t errlen);

/* A decimal integer for `option`: all of `text` (no trailing characters), no overflow, min <= value <= max.
 * Returns 0 with *out, or -1 with err like "--problems abc: expected an integer in 1 .. 1000000". */
int cli_parse_int(const char *option, const char *text, int min, int max, int *out, char *err, size_t errlen);
/* The same for a 64-bit count. */
int cli_parse_int64(const char *option, const char *text, long long min, long long max, long long *out, char *err,
                    size_t errlen);
/* A finite number (what strtod reads, not nan/inf) for `option` in [min, max]; the rest as cli_parse_int. */
int cli_parse_number(const char *option, const char *text, double min, double max, double *out, char *err,
                     size_t errlen);

/* An integer for `option` in the range of the config key `dotted` (bench --threads takes run.threads' range)
 * without setting the key; otherwise as cli_parse_int. */
int cli_parse_int_key_range(const char *option, const char *text, const char *dotted, int *out, char *err,
                            size_t errlen);

/* --set: checks `assignment` ("section.key=value": a known key, a value its parser accepts and in its range) and
 * appends it (the pointer is kept: it must live as long as s, as argv does). Returns 0, or -1 with err naming
 * the option, the key, the value and what was allowed (also when there are more than CLI_MAX_SETS). */
int cli_sets_add(CliSets *s, const char *assignment, char *err, size_t errlen);
/* An option that stands for the config key `dotted` (e.g. --samples for "run.eval_samples"): checks `text` with
 * that key's parser and range and appends "key=value" with the value as the key writes it. Returns 0, or -1 with
 * err naming the option, the key, the value and the allowed range. */
int cli_sets_add_option(CliSets *s, const char *option, const char *dotted, const char *text, char *err,
                        size_t errlen);

/* Defaults, then the INI file (NULL: configs/default.ini), then each "section.key=value" of sets, then
 * config_finish; model.init, model.tokenizer and task.path are resolved with cli_resolve; then cli_apply_config.
 * Returns 0 or -1 with err. */
int cli_load_config(Config *c, const char *path, char **sets, int n_sets, char *err, size_t errlen);
/* Applies the process-wide settings of c: run.threads becomes the number of threads of the kernels' pool (and
 * OpenBLAS runs one thread per pool thread). Call it before allocating models and workspaces, with no kernels
 * running. */
void cli_apply_config(const Config *c);

/* A --help line for an option that stands for (or takes the range of) config key `dotted`:
 * "  OPTION  WHAT (KEY: RANGE)" with the range as the key's table gives it. */
void cli_help_key(FILE *f, const char *option, const char *what, const char *dotted);

/* Prints the getopt_long failure `opt` (':' a value is missing, '?' an unknown option) for `cmd` to stderr, with
 * a pointer to --help. argv and optind as getopt_long left them. */
void cli_option_error(const char *cmd, char **argv, int opt);

/* The search metrics of an evaluation (search_stats_metrics: attempts, retries, true arithmetic, difficulty
 * splits) as one "name value" line after `lead` on f, or as a JSON object (a new reference). */
void cli_print_search(FILE *f, const char *lead, const SearchStats *s);
struct json_t *cli_search_json(const SearchStats *s);

/* "llama C128 L4 H4 F384 V103 T256, 0.87M parameters" */
void cli_model_desc(const ModelConfig *mc, size_t n_params, char *buf, size_t n);

#endif
