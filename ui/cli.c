/* cli.c - shared argument handling of the subcommands (see cli.h). */
#include "ui/cli.h"
#include <jansson.h>
#include "core/kernels.h"
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef GRPO_SOURCE_DIR
#define GRPO_SOURCE_DIR "."
#endif

int cli_resolve(char *out, size_t n, const char *path, const char *what, char *err, size_t errlen) {
    char alt[PATH_MAX];
    const char *use = path;
    if (path[0] && path[0] != '/' && access(path, F_OK) != 0) {
        int w = snprintf(alt, sizeof alt, "%s/%s", GRPO_SOURCE_DIR, path);
        if (w > 0 && (size_t)w < sizeof alt && access(alt, F_OK) == 0) use = alt;
    }
    size_t len = strlen(use);
    if (len >= n) {
        snprintf(err, errlen, "%s '%.60s...': the path is %zu characters, at most %zu fit", what, use, len, n - 1);
        return -1;
    }
    memcpy(out, use, len + 1);
    return 0;
}

/* text clipped for a message, control characters shown as '?' */
static void shown(const char *text, char *out, size_t n) {
    size_t i, len = strlen(text), max = n - 1 < 40 ? n - 1 : 40;
    for (i = 0; i < len && i < max; i++) out[i] = (unsigned char)text[i] < 0x20 ? '?' : text[i];
    out[i] = '\0';
    if (len > max) strcpy(out + max - 3, "...");
}

int cli_parse_int64(const char *option, const char *text, long long min, long long max, long long *out, char *err,
                    size_t errlen) {
    char *end, v[48];
    errno = 0;
    long long x = strtoll(text, &end, 10);
    if (end == text || *end || errno == ERANGE || x < min || x > max) {
        shown(text, v, sizeof v);
        snprintf(err, errlen, "%s %s: expected an integer in %lld .. %lld", option, *text ? v : "''", min, max);
        return -1;
    }
    *out = x;
    return 0;
}

int cli_parse_int(const char *option, const char *text, int min, int max, int *out, char *err, size_t errlen) {
    long long x;
    if (cli_parse_int64(option, text, min, max, &x, err, errlen) != 0) return -1;
    *out = (int)x;
    return 0;
}

int cli_parse_number(const char *option, const char *text, double min, double max, double *out, char *err,
                     size_t errlen) {
    char *end, v[48];
    double x = strtod(text, &end);
    if (end == text || *end || !isfinite(x) || x < min || x > max) {
        shown(text, v, sizeof v);
        snprintf(err, errlen, "%s %s: expected a number in %g .. %g", option, *text ? v : "''", min, max);
        return -1;
    }
    *out = x;
    return 0;
}

int cli_parse_int_key_range(const char *option, const char *text, const char *dotted, int *out, char *err,
                            size_t errlen) {
    const ConfigKey *k = config_key_dotted(dotted);
    if (!k || k->type != CFG_INT) { snprintf(err, errlen, "%s: no integer config key %s", option, dotted); return -1; }
    return cli_parse_int(option, text, (int)k->min, (int)k->max, out, err, errlen);
}

void cli_help_key(FILE *f, const char *option, const char *what, const char *dotted) {
    const ConfigKey *k = config_key_dotted(dotted);
    char range[160] = "?";
    if (k) config_describe_range(k, range, sizeof range);
    fprintf(f, "  %-17s %s (%s: %s)\n", option, what, dotted, range);
}

int cli_sets_add(CliSets *s, const char *assignment, char *err, size_t errlen) {
    char why[768];
    Config scratch;
    if (s->n == CLI_MAX_SETS) {
        snprintf(err, errlen, "--set: more than %d assignments", CLI_MAX_SETS);
        return -1;
    }
    config_defaults(&scratch);
    if (config_set(&scratch, assignment, why, sizeof why) != 0) {
        snprintf(err, errlen, "--set %s", why);
        return -1;
    }
    s->items[s->n++] = (char *)assignment;
    return 0;
}

int cli_sets_add_option(CliSets *s, const char *option, const char *dotted, const char *text, char *err,
                        size_t errlen) {
    const ConfigKey *k = config_key_dotted(dotted);
    char why[768], value[CLI_OPTION_SET_LEN];
    Config scratch;
    if (!k) { snprintf(err, errlen, "%s: no config key %s", option, dotted); return -1; }
    if (s->n == CLI_MAX_SETS) {
        snprintf(err, errlen, "%s: more than %d config assignments", option, CLI_MAX_SETS);
        return -1;
    }
    config_defaults(&scratch);
    if (config_set_value(&scratch, k, text, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", option, why);
        return -1;
    }
    config_get_value(&scratch, k, value, sizeof value);
    char *own = s->own[s->n];
    int w = snprintf(own, CLI_OPTION_SET_LEN, "%s.%s=%s", k->section, k->key, value);
    if (w < 0 || w >= CLI_OPTION_SET_LEN) {
        snprintf(err, errlen, "%s: value too long for %s", option, dotted);
        return -1;
    }
    s->items[s->n++] = own;
    return 0;
}

int cli_load_config(Config *c, const char *path, char **sets, int n_sets, char *err, size_t errlen) {
    char file[1024];
    config_defaults(c);
    if (cli_resolve(file, sizeof file, path ? path : "configs/default.ini", "config", err, errlen) != 0) return -1;
    if (config_load_file(c, file, err, errlen) != 0) return -1;
    for (int i = 0; i < n_sets; i++)
        if (config_set(c, sets[i], err, errlen) != 0) return -1;
    if (config_finish(c, err, errlen) != 0) return -1;
    if (strcmp(c->model.init, "random") != 0) {
        char buf[sizeof c->model.init];
        if (cli_resolve(buf, sizeof buf, c->model.init, "model.init", err, errlen) != 0) return -1;
        memcpy(c->model.init, buf, sizeof buf);
    }
    if (c->task.path[0]) {
        char buf[sizeof c->task.path];
        if (cli_resolve(buf, sizeof buf, c->task.path, "task.path", err, errlen) != 0) return -1;
        memcpy(c->task.path, buf, sizeof buf);
    }
    if (c->model.tokenizer[0]) {
        char buf[sizeof c->model.tokenizer];
        if (cli_resolve(buf, sizeof buf, c->model.tokenizer, "model.tokenizer", err, errlen) != 0) return -1;
        memcpy(c->model.tokenizer, buf, sizeof buf);
    }
    cli_apply_config(c);
    return 0;
}

void cli_apply_config(const Config *c) { kernels_set_threads(c->run.threads); }

void cli_option_error(const char *cmd, char **argv, int opt) {
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    if (opt == ':') fprintf(stderr, "grpo-studio %s: option '%s' needs a value\n", cmd, arg);
    else if (optopt > 0 && optopt < 128 && arg[0] == '-' && arg[1] != '-')
        fprintf(stderr, "grpo-studio %s: unknown option '-%c'\n", cmd, optopt);
    else fprintf(stderr, "grpo-studio %s: unknown option '%s'\n", cmd, arg);
    fprintf(stderr, "(grpo-studio %s --help lists the options)\n", cmd);
}

void cli_model_desc(const ModelConfig *mc, size_t n_params, char *buf, size_t n) {
    char heads[48];
    int kvh = model_kv_heads(mc), d = model_head_dim(mc);
    if (kvh == mc->H && d * mc->H == mc->C) snprintf(heads, sizeof heads, "H%d", mc->H);
    else snprintf(heads, sizeof heads, "H%d/%d D%d", mc->H, kvh, d); /* query / key-value heads, head size */
    snprintf(buf, n, "llama C%d L%d %s F%d V%d T%d%s, %.2fM parameters", mc->C, mc->L, heads, mc->F, mc->V,
             mc->max_T, mc->tied ? " tied" : "", n_params / 1e6);
}

void cli_print_search(FILE *f, const char *lead, const SearchStats *s) {
    Metric m[64];
    int n = search_stats_metrics(s, 0, m, 64);
    if (!n) return;
    fprintf(f, "%s", lead);
    for (int i = 0; i < n; i++) fprintf(f, "%s%s %.3f", i ? "  " : "", m[i].name, m[i].value);
    fprintf(f, "\n");
}

json_t *cli_search_json(const SearchStats *s) {
    Metric m[64];
    int n = search_stats_metrics(s, 0, m, 64);
    json_t *o = json_object();
    for (int i = 0; i < n && o; i++) json_object_set_new(o, m[i].name, json_real(m[i].value));
    return o;
}
