/* config.c - loading, checking and writing the experiment configuration (see config.h; the keys are in
 * config_keys.c).
 *
 * INI text is parsed by inih (Debian's libinih). We feed it through our own line reader so that we know which line
 * each handler call belongs to, can reject a line longer than inih's fixed line buffer instead of letting inih split
 * it silently, and can let keys be indented. A value is checked against its CONFIG_KEYS row; the whole file is
 * parsed into a copy of the Config, which replaces the caller's only when every line was good, so a bad file
 * changes nothing.
 *
 * Value syntax (one rule for INI files, --set, the trainer's set and the studio's editor):
 *   integers: decimal; numbers: anything strtod reads (1e-4, 0.5) except nan/inf; booleans: 0/1, true/false,
 *   yes/no, on/off; choices: one of the listed words (any case); strings: bare text as it stands, or one or more
 *   double-quoted pieces ("ab" "cd" is abcd) with escapes \\ \" \n \t \r \xHH. In a file a quoted string may go
 *   on over indented lines that each hold one more quoted piece (inih's multi-line values), which is how
 *   config_to_ini writes a string too long for one line. Note that inih starts a comment at ";" after a blank,
 *   so inside quotes a semicolon is written \x3b. config_to_ini quotes any string with a byte outside printable
 *   ASCII, so its text is plain ASCII (it goes into JSON and the run database as it is). */
#include "core/config.h"
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CONFIG_MAX_KEYS 256          /* bound for per-key bookkeeping while loading */
#define CONFIG_MAX_VALUE 4096        /* a value with its continuation pieces, before unescaping */
#define CONFIG_MAX_FILE (1 << 20)    /* a config file larger than this is not a config file */
#define CONFIG_MAX_STRING 1024       /* the largest string field (checked against the table) */
#define CONFIG_LINE_WRAP 100         /* config_to_ini: characters of a quoted piece per line */

static const char *const SECTIONS[] = {"model", "task", "reward", "grpo", "sampling", "optim", "run", "pretrain",
                                       "sft"};
#define N_SECTIONS ((int)(sizeof(SECTIONS) / sizeof(SECTIONS[0])))

/* ---------------------------------------------------------------------------------------------------------------
 * The table */

const ConfigKey *config_key(const char *section, const char *key) {
    if (!section || !key) return NULL;
    for (int i = 0; i < CONFIG_N_KEYS; i++)
        if (strcmp(CONFIG_KEYS[i].section, section) == 0 && strcmp(CONFIG_KEYS[i].key, key) == 0)
            return &CONFIG_KEYS[i];
    return NULL;
}

const ConfigKey *config_key_dotted(const char *dotted) {
    if (!dotted) return NULL;
    const char *dot = strchr(dotted, '.');
    if (!dot || dot == dotted) return NULL;
    char section[32];
    size_t n = (size_t)(dot - dotted);
    if (n >= sizeof(section)) return NULL;
    memcpy(section, dotted, n);
    section[n] = '\0';
    return config_key(section, dot + 1);
}

static int section_known(const char *s) {
    for (int i = 0; i < N_SECTIONS; i++)
        if (strcmp(SECTIONS[i], s) == 0) return 1;
    return 0;
}

static void *field_of(Config *c, const ConfigKey *k) { return (char *)c + k->offset; }
static const void *cfield_of(const Config *c, const ConfigKey *k) { return (const char *)c + k->offset; }

/* Edit distance counting a swap of neighbours as one edit (optimal string alignment), for "did you mean". */
static int edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return 99;
    int prev2[64], prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++) prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            int best = prev[j - 1] + (ca != cb);
            if (prev[j] + 1 < best) best = prev[j] + 1;
            if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) && tolower((unsigned char)a[i - 2]) == cb &&
                prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
        memcpy(prev2, prev, sizeof(prev));
        memcpy(prev, cur, sizeof(cur));
    }
    return prev[lb];
}

static int close_enough(const char *typed, const char *candidate, int d) {
    int limit = (int)strlen(typed) / 3;
    if (limit < 1) limit = 1;
    if (limit > 3) limit = 3;
    return d <= limit;
}

static const char *closest_section(const char *typed) {
    const char *best = NULL;
    int bd = 99;
    for (int i = 0; i < N_SECTIONS; i++) {
        int d = edit_distance(typed, SECTIONS[i]);
        if (d < bd) { bd = d; best = SECTIONS[i]; }
    }
    return best && close_enough(typed, best, bd) ? best : NULL;
}

/* The nearest key to `key`: in `section` first, then the same name in another section. */
static const ConfigKey *closest_key(const char *section, const char *key) {
    const ConfigKey *best = NULL;
    int bd = 99;
    for (int i = 0; i < CONFIG_N_KEYS; i++) {
        if (strcmp(CONFIG_KEYS[i].section, section) != 0) continue;
        int d = edit_distance(key, CONFIG_KEYS[i].key);
        if (d < bd) { bd = d; best = &CONFIG_KEYS[i]; }
    }
    if (best && close_enough(key, best->key, bd)) return best;
    for (int i = 0; i < CONFIG_N_KEYS; i++)
        if (strcasecmp(CONFIG_KEYS[i].key, key) == 0) return &CONFIG_KEYS[i];
    return NULL;
}

/* "unknown section" / "unknown key" explanations, after the caller's prefix. */
static void explain_unknown(const char *section, const char *key, int dotted, char *out, size_t n) {
    if (!section_known(section)) {
        const char *s = closest_section(section);
        if (s) snprintf(out, n, "unknown section (did you mean [%s]?)", s);
        else snprintf(out, n, "unknown section (sections: model, task, reward, grpo, sampling, optim, run, "
                              "pretrain, sft)");
        return;
    }
    const ConfigKey *k = closest_key(section, key);
    if (k && dotted) { snprintf(out, n, "unknown key (did you mean %s.%s?)", k->section, k->key); return; }
    if (k && strcmp(k->section, section) != 0) {
        snprintf(out, n, "unknown key in [%s] (%s is in [%s])", section, k->key, k->section);
        return;
    }
    if (k) { snprintf(out, n, "unknown key (did you mean %s?)", k->key); return; }
    size_t w = (size_t)snprintf(out, n, "unknown key; [%s] has", section);
    for (int i = 0; i < CONFIG_N_KEYS && w < n; i++)
        if (strcmp(CONFIG_KEYS[i].section, section) == 0)
            w += (size_t)snprintf(out + w, n - w, " %s", CONFIG_KEYS[i].key);
}

/* ---------------------------------------------------------------------------------------------------------------
 * Values as text */

/* The shortest decimal that reads back as exactly f (%.9g always does; shorter reads better). */
static void format_float(float f, char *buf, size_t n) {
    for (int p = 6; p <= 9; p++) {
        snprintf(buf, n, "%.*g", p, (double)f);
        if (strtof(buf, NULL) == f) return;
    }
}

/* value clipped for an error message, with control characters shown as '?'. */
static void clip_value(const char *v, char *out, size_t n) {
    size_t max = n - 1 < 60 ? n - 1 : 60, len = strlen(v), i;
    for (i = 0; i < len && i < max; i++) out[i] = (unsigned char)v[i] < 0x20 ? '?' : v[i];
    out[i] = '\0';
    if (len > max && max > 3) strcpy(out + max - 3, "...");
}

/* i-th word of "a|b|c" into buf; 0 if there is none. */
static int choice_at(const char *choices, int index, char *buf, size_t n) {
    const char *p = choices;
    for (int i = 0; p; i++) {
        const char *e = strchr(p, '|');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (i == index) {
            if (len >= n) len = n - 1;
            memcpy(buf, p, len);
            buf[len] = '\0';
            return 1;
        }
        p = e ? e + 1 : NULL;
    }
    return 0;
}

static int choice_index(const char *choices, const char *v) {
    const char *p = choices;
    for (int i = 0; p; i++) {
        const char *e = strchr(p, '|');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (strlen(v) == len && strncasecmp(p, v, len) == 0) return i;
        p = e ? e + 1 : NULL;
    }
    return -1;
}

void config_describe_range(const ConfigKey *k, char *buf, size_t n) {
    switch (k->type) {
    case CFG_INT: snprintf(buf, n, "%.0f .. %.0f", k->min, k->max); break;
    case CFG_FLOAT: snprintf(buf, n, "%g .. %g", k->min, k->max); break;
    case CFG_BOOL: snprintf(buf, n, "0/1, true/false, yes/no, on/off"); break;
    case CFG_ENUM: snprintf(buf, n, "%s", k->choices); break;
    case CFG_STRING:
        if (k->choices) snprintf(buf, n, "%s", k->choices);
        else snprintf(buf, n, "text of at most %zu characters", k->size - 1);
        break;
    }
}

/* Decodes a string value (see the header comment) into out (cap bytes). Returns 0, or -1 with why. */
static int decode_string(const char *v, char *out, size_t cap, char *why, size_t wl) {
    size_t len = 0;
    if (*v != '"') {
        len = strlen(v);
        if (len >= cap) { snprintf(why, wl, "too long: %zu characters, at most %zu", len, cap - 1); return -1; }
        memcpy(out, v, len + 1);
        return 0;
    }
    const char *p = v;
    while (*p == '"') {
        p++;
        for (;;) {
            int ch;
            if (*p == '\0') {
                snprintf(why, wl, "unterminated quoted string (note: \";\" after a blank starts a comment; "
                                  "write \\x3b)");
                return -1;
            }
            if (*p == '"') { p++; break; }
            if (*p == '\\') {
                p++;
                switch (*p) {
                case '\\': ch = '\\'; p++; break;
                case '"': ch = '"'; p++; break;
                case 'n': ch = '\n'; p++; break;
                case 't': ch = '\t'; p++; break;
                case 'r': ch = '\r'; p++; break;
                case 'x':
                    if (isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
                        char hex[3] = {p[1], p[2], 0};
                        ch = (int)strtol(hex, NULL, 16);
                        p += 3;
                        if (ch != 0) break;
                    }
                    snprintf(why, wl, "bad escape \\x: expected two hex digits, not 00");
                    return -1;
                default:
                    snprintf(why, wl, "unknown escape \\%c (known: \\\\ \\\" \\n \\t \\r \\xHH)", *p ? *p : '0');
                    return -1;
                }
            } else {
                ch = (unsigned char)*p++;
            }
            if (len + 1 < cap) out[len] = (char)ch;
            len++;
        }
        while (*p == ' ' || *p == '\t') p++;
    }
    if (*p) { snprintf(why, wl, "unexpected text after the closing quote"); return -1; }
    if (len >= cap) { snprintf(why, wl, "too long: %zu characters, at most %zu", len, cap - 1); return -1; }
    out[len] = '\0';
    return 0;
}

static int string_needs_quotes(const char *s) {
    size_t len = strlen(s);
    if (len == 0 || s[0] == '"' || s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t')
        return 1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p >= 0x7f || *p == ';') return 1;
    return 0;
}

/* Escaped form of one byte inside quotes into e (at least 5 bytes); returns its length. */
static int escape_char(unsigned char ch, char *e) {
    switch (ch) {
    case '\\': return sprintf(e, "\\\\");
    case '"': return sprintf(e, "\\\"");
    case '\n': return sprintf(e, "\\n");
    case '\t': return sprintf(e, "\\t");
    case '\r': return sprintf(e, "\\r");
    default:
        if (ch < 0x20 || ch >= 0x7f || ch == ';') return sprintf(e, "\\x%02x", ch);
        e[0] = (char)ch;
        e[1] = '\0';
        return 1;
    }
}

/* Parses `v` for key k into dst (a field of k's type). Returns 0, or -1 with why (what was expected). */
static int parse_value(const ConfigKey *k, const char *v, void *dst, char *why, size_t wl) {
    char range[160];
    config_describe_range(k, range, sizeof(range));
    switch (k->type) {
    case CFG_INT: {
        char *end;
        errno = 0;
        long long x = strtoll(v, &end, 10);
        if (end == v || *end) {
            snprintf(why, wl, "%s: expected an integer in %s", *v ? "not an integer" : "no value", range);
            return -1;
        }
        if (errno == ERANGE || (double)x < k->min || (double)x > k->max) {
            snprintf(why, wl, "expected an integer in %s", range);
            return -1;
        }
        *(int *)dst = (int)x;
        return 0;
    }
    case CFG_FLOAT: {
        char *end;
        double x = strtod(v, &end);
        if (end == v || *end || isnan(x)) {
            snprintf(why, wl, "%s: expected a number in %s", *v ? "malformed number" : "no value", range);
            return -1;
        }
        /* Compare as stored: the float nearest to a bound is in range, so written values read back. */
        float f = (float)x;
        if (!(f >= (float)k->min && f <= (float)k->max)) {
            snprintf(why, wl, "expected a number in %s", range);
            return -1;
        }
        *(float *)dst = f;
        return 0;
    }
    case CFG_BOOL: {
        static const char *const yes[] = {"1", "true", "yes", "on"}, *const no[] = {"0", "false", "no", "off"};
        for (int i = 0; i < 4; i++) {
            if (strcasecmp(v, yes[i]) == 0) { *(int *)dst = 1; return 0; }
            if (strcasecmp(v, no[i]) == 0) { *(int *)dst = 0; return 0; }
        }
        snprintf(why, wl, "expected a boolean: %s", range);
        return -1;
    }
    case CFG_ENUM: {
        int i = choice_index(k->choices, v);
        if (i < 0) { snprintf(why, wl, "expected one of %s", range); return -1; }
        *(int *)dst = i;
        return 0;
    }
    case CFG_STRING: {
        char tmp[CONFIG_MAX_STRING];
        assert(k->size <= sizeof(tmp));
        if (decode_string(v, tmp, k->size, why, wl) < 0) return -1;
        if (k->choices) {
            int i = choice_index(k->choices, tmp);
            if (i < 0) { snprintf(why, wl, "expected one of %s", range); return -1; }
            choice_at(k->choices, i, tmp, k->size);   /* canonical spelling */
        }
        memset(dst, 0, k->size);   /* zero tail: equal configs are equal bytes */
        memcpy(dst, tmp, strlen(tmp));
        return 0;
    }
    }
    snprintf(why, wl, "unknown key type");
    return -1;
}

int config_set_value(Config *c, const ConfigKey *k, const char *value, char *err, size_t errlen) {
    char why[320], shown[64];
    if (parse_value(k, value, field_of(c, k), why, sizeof(why)) == 0) return 0;
    clip_value(value, shown, sizeof(shown));
    snprintf(err, errlen, "%s.%s = %s: %s", k->section, k->key, shown, why);
    return -1;
}

void config_get_value(const Config *c, const ConfigKey *k, char *buf, size_t n) {
    const void *f = cfield_of(c, k);
    switch (k->type) {
    case CFG_INT: snprintf(buf, n, "%d", *(const int *)f); break;
    case CFG_FLOAT: format_float(*(const float *)f, buf, n); break;
    case CFG_BOOL: snprintf(buf, n, "%d", *(const int *)f ? 1 : 0); break;
    case CFG_ENUM:
        if (!choice_at(k->choices, *(const int *)f, buf, n)) snprintf(buf, n, "%d", *(const int *)f);
        break;
    case CFG_STRING: {
        const char *s = (const char *)f;
        if (!string_needs_quotes(s)) { snprintf(buf, n, "%s", s); break; }
        size_t w = 0;
        char e[8];
        if (n < 3) { if (n) buf[0] = '\0'; break; }
        buf[w++] = '"';
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
            int el = escape_char(*p, e);
            if (w + (size_t)el + 2 > n) break;
            memcpy(buf + w, e, (size_t)el);
            w += (size_t)el;
        }
        buf[w++] = '"';
        buf[w] = '\0';
        break;
    }
    }
}

/* ---------------------------------------------------------------------------------------------------------------
 * Defaults */

void config_defaults(Config *c) {
    memset(c, 0, sizeof(*c));
    strcpy(c->model.preset, "tiny");
    c->model.d_model = 0;          /* 0: from the preset, resolved by config_finish */
    c->model.n_layers = 0;
    c->model.n_heads = 0;
    c->model.ffn_hidden = 0;
    c->model.max_seq = 256;
    c->model.rope_theta = 10000.0f;
    c->model.norm_eps = 1e-5f;
    c->model.tied = 1;
    strcpy(c->model.init, "assets/base-add");

    strcpy(c->task.name, "add");
    c->task.digits_min = 3;
    c->task.digits_max = 5;
    c->task.numbers = 4;
    c->task.numbers_min = 0;
    c->task.number_max = 50;
    c->task.target_max = 200;
    c->task.match = MATCH_EXACT;
    c->task.eval_size = 200;
    strcpy(c->task.prompt_template, "{question}<think>");

    c->reward.accuracy = 1.0f;
    c->reward.format = 0.2f;
    c->reward.language = 0.0f;

    c->grpo.group_size = 8;
    c->grpo.prompts_per_step = 16;
    c->grpo.num_iterations = 1;
    c->grpo.beta = 0.04f;
    c->grpo.eps_low = 0.2f;
    c->grpo.eps_high = 0.2f;
    c->grpo.scale_std = 1;
    c->grpo.aggregation = AGG_SEQUENCE;
    c->grpo.importance_sampling = IS_TOKEN;
    c->grpo.loss_type = LOSS_GRPO;
    c->grpo.delta = 0.0f;
    c->grpo.advantage_scaling = ADV_SCALE_GROUP;
    c->grpo.mask_truncated = 0;
    c->grpo.overlong_buffer = 0;
    c->grpo.overlong_penalty = 1.0f;
    c->grpo.dynamic_sampling = 0;
    c->grpo.max_draw_factor = 3;
    c->grpo.entropy_top_fraction = 1.0f;
    c->grpo.ref_refresh_every = 0;
    c->grpo.ref_mix = 1.0f;

    c->sampling.temperature = 1.0f;
    c->sampling.top_p = 1.0f;
    c->sampling.top_k = 0;
    c->sampling.max_new_tokens = 200;

    c->optim.lr = 1e-4f;
    c->optim.weight_decay = 0.0f;
    c->optim.beta1 = 0.9f;
    c->optim.beta2 = 0.999f;
    c->optim.eps = 1e-8f;
    c->optim.grad_clip = 1.0f;
    c->optim.min_lr_ratio = 0.1f;
    c->optim.warmup_steps = 5;
    c->optim.schedule = SCHED_CONSTANT;

    strcpy(c->run.name, "default");
    c->run.steps = 170;
    c->run.seed = 1;
    c->run.threads = 2;
    c->run.checkpoint_every = 50;
    c->run.eval_every = 10;
    c->run.eval_samples = 4;
    c->run.eval_problems = 100;
    c->run.max_batch = 256;
    strcpy(c->run.out_dir, "runs");

    c->pretrain.steps = 3000;
    c->pretrain.batch_size = 32;
    c->pretrain.seq_len = 256;
    c->pretrain.warmup_steps = 100;
    c->pretrain.lr = 1e-3f;
    c->pretrain.style_direct = 0.7f;
    c->pretrain.style_scratchpad = 0.15f;
    c->pretrain.style_check = 0.1f;
    c->pretrain.style_wait = 0.05f;
    c->pretrain.corpus_problems = 200000;
    c->pretrain.phase2_start = 0;
    c->pretrain.phase2_style_direct = 0.0f;
    c->pretrain.phase2_style_scratchpad = 0.0f;
    c->pretrain.phase2_style_check = 0.0f;
    c->pretrain.phase2_style_wait = 0.0f;

    c->sft.steps = 500;
    c->sft.batch_size = 32;
    c->sft.lr = 3e-4f;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Loading INI text */

typedef struct {
    Config cfg;                 /* working copy: replaces the caller's only when the whole text is good */
    const char *name;           /* the file, for messages */
    const char *text;
    size_t pos;
    int line;                   /* number of the line last handed to inih (inih counts the same way) */
    int cont;                   /* that line is indented and starts with a quote: a continuation piece */
    const ConfigKey *pending;   /* the last key read; applied when the next key comes, or at the end */
    int pending_line;
    size_t pending_len;
    char pending_value[CONFIG_MAX_VALUE];
    int set_line[CONFIG_MAX_KEYS];   /* where each key was set, to catch a key given twice */
    int err_line;               /* first error found by the reader or the handler; 0 = none */
    char err[600];
} LoadCtx;

static void load_error(LoadCtx *x, int line, const char *fmt, ...) {
    if (x->err_line) return;
    x->err_line = line > 0 ? line : 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->err, sizeof(x->err), fmt, ap);
    va_end(ap);
}

/* inih's reader: one line per call, like fgets. Indentation is removed except before a quoted continuation
 * piece, so keys may be indented; a line inih could not hold is an error instead of two half lines. */
static char *load_reader(char *str, int num, void *stream) {
    LoadCtx *x = stream;
    if (x->err_line || x->text[x->pos] == '\0') return NULL;
    const char *s = x->text + x->pos;
    const char *nl = strchr(s, '\n');
    size_t len = nl ? (size_t)(nl - s) : strlen(s);
    x->pos += len + (nl ? 1 : 0);
    x->line++;
    size_t lead = 0;
    while (lead < len && (s[lead] == ' ' || s[lead] == '\t')) lead++;
    x->cont = lead > 0 && lead < len && s[lead] == '"';
    if (!x->cont) { s += lead; len -= lead; }
    if (len + 3 > (size_t)num) {
        load_error(x, x->line, "line too long (%zu characters, at most %d); split a long string into quoted "
                               "pieces on indented lines", len, num - 3);
        return NULL;
    }
    memcpy(str, s, len);
    str[len] = '\n';
    str[len + 1] = '\0';
    return str;
}

/* Applies the pending value. Returns 0, or -1 after recording the error. */
static int load_flush(LoadCtx *x) {
    const ConfigKey *k = x->pending;
    if (!k) return 0;
    x->pending = NULL;
    char why[320], shown[64];
    if (parse_value(k, x->pending_value, field_of(&x->cfg, k), why, sizeof(why)) == 0) return 0;
    clip_value(x->pending_value, shown, sizeof(shown));
    load_error(x, x->pending_line, "[%s] %s = %s: %s", k->section, k->key, shown, why);
    return -1;
}

static int load_handler(void *user, const char *section, const char *name, const char *value) {
    LoadCtx *x = user;
    char shown[64], why[400];
    if (x->err_line) return 1;   /* only the first error is reported; the reader stops at the next line */
    if (x->cont && x->pending && strcmp(section, x->pending->section) == 0 && strcmp(name, x->pending->key) == 0) {
        if (x->pending_value[0] != '"') {
            load_error(x, x->line, "[%s] %s: an indented line continues the value, but only a quoted string "
                                   "may go on over lines", section, name);
            return 0;
        }
        size_t vl = strlen(value);
        if (x->pending_len + 1 + vl >= sizeof(x->pending_value)) {
            load_error(x, x->pending_line, "[%s] %s: value too long (over %zu characters of text)", section, name,
                       sizeof(x->pending_value) - 1);
            return 0;
        }
        x->pending_value[x->pending_len++] = ' ';
        memcpy(x->pending_value + x->pending_len, value, vl + 1);
        x->pending_len += vl;
        return 1;
    }
    if (load_flush(x) < 0) return 0;
    clip_value(value, shown, sizeof(shown));
    if (section[0] == '\0') {
        load_error(x, x->line, "%s = %s: a key before any [section]", name, shown);
        return 0;
    }
    const ConfigKey *k = config_key(section, name);
    if (!k) {
        explain_unknown(section, name, 0, why, sizeof(why));
        if (section_known(section)) load_error(x, x->line, "[%s] %s = %s: %s", section, name, shown, why);
        else load_error(x, x->line, "[%s]: %s", section, why);
        return 0;
    }
    int idx = (int)(k - CONFIG_KEYS);
    if (x->set_line[idx]) {
        load_error(x, x->line, "[%s] %s = %s: the key is set twice (first at line %d)", section, name, shown,
                   x->set_line[idx]);
        return 0;
    }
    x->set_line[idx] = x->line;
    size_t vl = strlen(value);
    if (vl >= sizeof(x->pending_value)) {
        load_error(x, x->line, "[%s] %s: value too long", section, name);
        return 0;
    }
    x->pending = k;
    x->pending_line = x->line;
    memcpy(x->pending_value, value, vl + 1);
    x->pending_len = vl;
    return 1;
}

/* What inih objected to on `line` (it reports only the number). */
static void describe_syntax_error(const char *text, int line, char *out, size_t n) {
    const char *s = text;
    for (int i = 1; i < line && s; i++) {
        s = strchr(s, '\n');
        if (s) s++;
    }
    if (!s) { snprintf(out, n, "syntax error"); return; }
    while (*s == ' ' || *s == '\t') s++;
    char shown[64], tmp[64];
    size_t len = strcspn(s, "\r\n");
    if (len >= sizeof(tmp)) len = sizeof(tmp) - 1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    clip_value(tmp, shown, sizeof(shown));
    if (s[0] == '[') snprintf(out, n, "%s: a section header needs a closing ]", shown);
    else if (s[0] == '"') snprintf(out, n, "%s: a quoted piece must follow a key on an indented line", shown);
    else snprintf(out, n, "%s: expected [section] or key = value", shown);
}

int config_load_string(Config *c, const char *text, const char *name, char *err, size_t errlen) {
    assert(CONFIG_N_KEYS <= CONFIG_MAX_KEYS);
    if (!name) name = "(config)";
    LoadCtx *x = calloc(1, sizeof(*x));
    if (!x) { snprintf(err, errlen, "%s: out of memory", name); return -1; }
    x->cfg = *c;
    x->name = name;
    x->text = text ? text : "";
    int r = ini_parse_stream(load_reader, x, load_handler, x);
    if (!x->err_line) load_flush(x);
    int rc = 0;
    if (r == -2) {
        snprintf(err, errlen, "%s: out of memory", name);
        rc = -1;
    } else if (r > 0 && (x->err_line == 0 || r < x->err_line)) {
        char what[200];
        describe_syntax_error(x->text, r, what, sizeof(what));
        snprintf(err, errlen, "%s:%d: %s", name, r, what);
        rc = -1;
    } else if (x->err_line) {
        snprintf(err, errlen, "%s:%d: %s", name, x->err_line, x->err);
        rc = -1;
    } else {
        *c = x->cfg;
    }
    free(x);
    return rc;
}

int config_load_file(Config *c, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) { snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno)); return -1; }
    char *text = malloc(CONFIG_MAX_FILE + 1);
    if (!text) { fclose(f); snprintf(err, errlen, "%s: out of memory", path); return -1; }
    size_t n = fread(text, 1, CONFIG_MAX_FILE + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) { free(text); snprintf(err, errlen, "%s: read error", path); return -1; }
    if (n > CONFIG_MAX_FILE) {
        free(text);
        snprintf(err, errlen, "%s: larger than %d bytes; not a config file", path, CONFIG_MAX_FILE);
        return -1;
    }
    text[n] = '\0';
    const char *nul = memchr(text, '\0', n);
    if (nul) {
        int line = 1;
        for (const char *p = text; p < nul; p++) line += *p == '\n';
        free(text);
        snprintf(err, errlen, "%s:%d: a NUL byte; not a text file", path, line);
        return -1;
    }
    int rc = config_load_string(c, text, path, err, errlen);
    free(text);
    return rc;
}

static void trim_copy(const char *s, size_t len, char *out, size_t n) {
    while (len && isspace((unsigned char)*s)) { s++; len--; }
    while (len && isspace((unsigned char)s[len - 1])) len--;
    if (len >= n) len = n - 1;
    memcpy(out, s, len);
    out[len] = '\0';
}

int config_set(Config *c, const char *assignment, char *err, size_t errlen) {
    const char *eq = strchr(assignment, '=');
    char key[128], shown[64];
    clip_value(assignment, shown, sizeof(shown));
    if (!eq) { snprintf(err, errlen, "%s: expected section.key=value", shown); return -1; }
    trim_copy(assignment, (size_t)(eq - assignment), key, sizeof(key));
    size_t vlen = strlen(eq + 1);
    char *value = malloc(vlen + 1);
    if (!value) { snprintf(err, errlen, "out of memory"); return -1; }
    trim_copy(eq + 1, vlen, value, vlen + 1);
    const ConfigKey *k = config_key_dotted(key);
    int rc = 0;
    if (!k) {
        const char *dot = strchr(key, '.');
        if (!dot || dot == key) {
            snprintf(err, errlen, "%s: expected section.key=value", shown);
        } else {
            char section[64], why[400];
            trim_copy(key, (size_t)(dot - key), section, sizeof(section));
            explain_unknown(section, dot + 1, 1, why, sizeof(why));
            snprintf(err, errlen, "%s: %s", key, why);
        }
        rc = -1;
    } else {
        rc = config_set_value(c, k, value, err, errlen);
    }
    free(value);
    return rc;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Cross-key checks */

int config_finish(Config *c, char *err, size_t errlen) {
    int *sizes[4] = {&c->model.d_model, &c->model.n_layers, &c->model.n_heads, &c->model.ffn_hidden};
    static const char *const size_names[4] = {"d_model", "n_layers", "n_heads", "ffn_hidden"};
    if (strcmp(c->model.preset, "custom") == 0) {
        char missing[80] = "";
        for (int i = 0; i < 4; i++)
            if (*sizes[i] <= 0) {
                if (missing[0]) strcat(missing, ", ");
                strcat(missing, size_names[i]);
            }
        if (missing[0]) {
            snprintf(err, errlen, "[model] preset = custom: every size must be given (missing: %s)", missing);
            return -1;
        }
    } else {
        /* The preset table of model.h's model_preset, repeated here so that the config does not need the model
         * code (tests/test_checkpoint.c checks the two agree). */
        static const struct { const char *name; int size[4]; } presets[] = {
            {"tiny", {128, 4, 4, 384}},
            {"small", {256, 6, 8, 768}},
        };
        int found = -1;
        for (int i = 0; i < (int)(sizeof(presets) / sizeof(presets[0])); i++)
            if (strcmp(presets[i].name, c->model.preset) == 0) found = i;
        if (found < 0) {
            snprintf(err, errlen, "[model] preset = %s: expected one of tiny|small|custom", c->model.preset);
            return -1;
        }
        for (int i = 0; i < 4; i++)
            if (*sizes[i] <= 0) *sizes[i] = presets[found].size[i];
    }
    const int C = c->model.d_model, H = c->model.n_heads;
    if (C % H != 0) {
        snprintf(err, errlen, "[model] d_model = %d is not a multiple of n_heads = %d", C, H);
        return -1;
    }
    if ((C / H) % 2 != 0) {
        snprintf(err, errlen, "[model] head size d_model / n_heads = %d / %d = %d must be even (RoPE rotates "
                              "pairs)", C, H, C / H);
        return -1;
    }
    long long batch = (long long)c->grpo.prompts_per_step * c->grpo.group_size;
    if (batch > c->run.max_batch) {
        snprintf(err, errlen, "[grpo] prompts_per_step * group_size = %d * %d = %lld exceeds [run] max_batch = %d",
                 c->grpo.prompts_per_step, c->grpo.group_size, batch, c->run.max_batch);
        return -1;
    }
    if (c->grpo.delta != 0.0f && c->grpo.delta <= 1.0f + c->grpo.eps_high) {
        snprintf(err, errlen, "[grpo] delta = %g must be 0 (off) or above 1 + eps_high = %g", (double)c->grpo.delta,
                 1.0 + c->grpo.eps_high);
        return -1;
    }
    if (c->sampling.max_new_tokens >= c->model.max_seq) {
        snprintf(err, errlen, "[sampling] max_new_tokens = %d must be below [model] max_seq = %d (the prompt needs "
                              "room)", c->sampling.max_new_tokens, c->model.max_seq);
        return -1;
    }
    if (c->task.digits_min > c->task.digits_max) {
        snprintf(err, errlen, "[task] digits_min = %d is above digits_max = %d", c->task.digits_min,
                 c->task.digits_max);
        return -1;
    }
    if (c->task.numbers_min > c->task.numbers) {
        snprintf(err, errlen, "[task] numbers_min = %d is above numbers = %d", c->task.numbers_min,
                 c->task.numbers);
        return -1;
    }
    if (c->run.eval_problems > c->task.eval_size) {
        snprintf(err, errlen, "[run] eval_problems = %d is above [task] eval_size = %d", c->run.eval_problems,
                 c->task.eval_size);
        return -1;
    }
    if (c->pretrain.seq_len > c->model.max_seq) {
        snprintf(err, errlen, "[pretrain] seq_len = %d is above [model] max_seq = %d", c->pretrain.seq_len,
                 c->model.max_seq);
        return -1;
    }
    if (c->pretrain.style_direct + c->pretrain.style_scratchpad + c->pretrain.style_check +
            c->pretrain.style_wait <= 0.0f) {
        snprintf(err, errlen, "[pretrain] style_direct, style_scratchpad, style_check and style_wait are all 0: "
                              "at least one style needs a weight");
        return -1;
    }
    if (c->pretrain.phase2_start > 0 && c->pretrain.phase2_style_direct + c->pretrain.phase2_style_scratchpad +
                                                c->pretrain.phase2_style_check + c->pretrain.phase2_style_wait <= 0.0f) {
        snprintf(err, errlen, "[pretrain] phase2_start = %d but phase2_style_direct, phase2_style_scratchpad, "
                              "phase2_style_check and phase2_style_wait are all 0: the second phase needs a mixture",
                 c->pretrain.phase2_start);
        return -1;
    }
    if (!strstr(c->task.prompt_template, "{question}")) {
        snprintf(err, errlen, "[task] prompt_template = %s: must contain {question}", c->task.prompt_template);
        return -1;
    }
    if ((strcmp(c->task.name, "jsonl") == 0 || strcmp(c->task.name, "gsm8k") == 0 ||
         strcmp(c->task.name, "math") == 0) && c->task.path[0] == '\0') {
        snprintf(err, errlen, "[task] name = %s needs [task] path (the JSON-lines file of problems)", c->task.name);
        return -1;
    }
    if (c->model.tokenizer[0] && strcmp(c->model.init, "random") != 0) {
        snprintf(err, errlen, "[model] tokenizer = %s is for a random model: model.init = %s brings its own tokenizer",
                 c->model.tokenizer, c->model.init);
        return -1;
    }
    if (c->model.init[0] == '\0') {
        snprintf(err, errlen, "[model] init is empty: expected a checkpoint directory or \"random\"");
        return -1;
    }
    if (c->run.name[0] == '\0' || strchr(c->run.name, '/') || strcmp(c->run.name, ".") == 0 ||
        strcmp(c->run.name, "..") == 0) {
        snprintf(err, errlen, "[run] name = \"%s\": expected a plain name (no '/'; used in file names)",
                 c->run.name);
        return -1;
    }
    if (c->run.out_dir[0] == '\0') {
        snprintf(err, errlen, "[run] out_dir is empty: expected a directory for checkpoints");
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Writing INI text */

typedef struct { char *p; size_t len, cap; int oom; } TextBuf;

static void tb_add(TextBuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n + 1 > cap) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) { b->oom = 1; return; }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void tb_printf(TextBuf *b, const char *fmt, ...) {
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) return;
    tb_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* A string value as quoted pieces of at most CONFIG_LINE_WRAP characters, one per indented line. */
static void tb_quoted_pieces(TextBuf *b, const char *s) {
    size_t piece = 0;
    char e[8];
    tb_add(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int el = escape_char(*p, e);
        if (piece + (size_t)el > CONFIG_LINE_WRAP) {
            tb_add(b, "\"\n    \"", 7);
            piece = 0;
        }
        tb_add(b, e, (size_t)el);
        piece += (size_t)el;
    }
    tb_add(b, "\"", 1);
}

char *config_to_ini(const Config *c) {
    TextBuf b = {0};
    char value[CONFIG_MAX_STRING * 4 + 8];
    tb_printf(&b, "; GRPO Studio configuration: every key, as config_to_ini writes it.\n");
    const char *section = NULL;
    for (int i = 0; i < CONFIG_N_KEYS; i++) {
        const ConfigKey *k = &CONFIG_KEYS[i];
        if (!section || strcmp(section, k->section) != 0) {
            section = k->section;
            tb_printf(&b, "\n[%s]\n", section);
        }
        tb_printf(&b, "; %s%s\n", k->help, k->live ? " (live)" : "");
        config_get_value(c, k, value, sizeof(value));
        size_t line_len = strlen(k->key) + 3 + strlen(value);
        if (k->type == CFG_STRING && line_len > CONFIG_LINE_WRAP + 20) {
            tb_printf(&b, "%s = ", k->key);
            tb_quoted_pieces(&b, (const char *)cfield_of(c, k));
            tb_add(&b, "\n", 1);
        } else {
            tb_printf(&b, "%s = %s\n", k->key, value);
        }
    }
    if (b.oom) { free(b.p); return NULL; }
    return b.p;
}
