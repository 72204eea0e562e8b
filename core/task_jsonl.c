/* task_jsonl.c - the user's own problems: a file of JSON lines {"prompt": "...", "answer": "..."} (the answer may
 * also be a JSON number), checked by exact match (surrounding whitespace ignored) or numeric match (task.match).
 *
 * The held-out split is a deterministic subset chosen by a hash of the prompt: the distinct prompts with the
 * smallest hashes, about one in TASK_EVAL_EVERY and at most task.eval_size of them (at least one, and never all).
 * Identical prompts hash alike, so a prompt never lands in both splits. Problem i of a split is line i of that
 * split in file order. The file has no worked solutions, so every solution style writes the direct answer.
 *
 * Everything that would fail later is refused at load time with the file and line: a NUL byte (a line is text; C
 * strings would silently end at it), and a prompt that, rendered by task.prompt_template and tokenized with <bos>,
 * leaves no room for a completion in model.max_seq tokens. */
#include "core/task_impl.h"
#include "core/tokenizer.h"
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char prompt[TASK_QUESTION_MAX];
    char answer[TASK_ANSWER_MAX];
    uint64_t hash;
    int eval;
} Entry;

typedef struct {
    Entry *entries;
    int n;
    int *split[2];          /* entry indices of each split, in file order */
    int n_split[2];
} JsonlData;

static uint64_t hash_prompt(const char *s) {
    uint64_t h = 0xCBF29CE484222325ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001B3ull;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    return h;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Checks that every byte of s is one the character tokenizer knows (naming the first that is not) and that s
 * holds no special token text, which would break the prompt/completion format. */
static int check_chars(const char *s, const char *path, long line, const char *key, char *err, size_t errlen) {
    for (size_t i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!strchr(TOKENIZER_DEFAULT_ALPHABET, c)) {
            char d[8];
            if (c >= 32 && c < 127) snprintf(d, sizeof d, "'%c'", c);
            else snprintf(d, sizeof d, "'\\x%02X'", c);
            snprintf(err, errlen, "%s:%ld: \"%s\" has character %s at byte %zu, which the character tokenizer "
                     "does not know (expected printable ASCII or newline)", path, line, key, d, i);
            return -1;
        }
    }
    for (int i = 0; i < TOK_N_SPECIAL; i++) {
        if (strstr(s, tokenizer_special_text(i))) {
            snprintf(err, errlen, "%s:%ld: \"%s\" contains %s, which is a special token of the prompt format",
                     path, line, key, tokenizer_special_text(i));
            return -1;
        }
    }
    return 0;
}

/* Reads one line's object into e. Returns 0, or -1 with err naming file, line and what is wrong. */
static int parse_line(const char *text, const char *path, long line, Entry *e, char *err, size_t errlen) {
    json_error_t je;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errlen, "%s:%ld: malformed JSON at column %d: %s", path, line, je.column, je.text);
        return -1;
    }
    int rc = -1;
    json_t *prompt = json_object_get(root, "prompt"), *answer = json_object_get(root, "answer");
    if (!json_is_object(root)) {
        snprintf(err, errlen, "%s:%ld: expected a JSON object {\"prompt\": ..., \"answer\": ...}", path, line);
    } else if (!json_is_string(prompt)) {
        snprintf(err, errlen, "%s:%ld: \"prompt\" %s: expected a string", path, line,
                 prompt ? "is not a string" : "is missing");
    } else if (!answer || !(json_is_string(answer) || json_is_number(answer))) {
        snprintf(err, errlen, "%s:%ld: \"answer\" %s: expected a string or a number", path, line,
                 answer ? "has the wrong type" : "is missing");
    } else {
        const char *ps = json_string_value(prompt);
        char num[64];
        const char *as = num;
        if (json_is_string(answer)) as = json_string_value(answer);
        else if (json_is_integer(answer)) snprintf(num, sizeof num, "%lld", (long long)json_integer_value(answer));
        else snprintf(num, sizeof num, "%.17g", json_real_value(answer));
        if (strlen(ps) >= sizeof e->prompt || ps[0] == '\0') {
            snprintf(err, errlen, "%s:%ld: \"prompt\" is %zu bytes: expected 1..%zu", path, line, strlen(ps),
                     sizeof e->prompt - 1);
        } else if (strlen(as) >= sizeof e->answer) {
            snprintf(err, errlen, "%s:%ld: \"answer\" is %zu bytes: expected at most %zu", path, line, strlen(as),
                     sizeof e->answer - 1);
        } else if (check_chars(ps, path, line, "prompt", err, errlen) == 0 &&
                   check_chars(as, path, line, "answer", err, errlen) == 0) {
            snprintf(e->prompt, sizeof e->prompt, "%s", ps);
            snprintf(e->answer, sizeof e->answer, "%s", as);
            e->hash = hash_prompt(e->prompt);
            rc = 0;
        }
    }
    json_decref(root);
    return rc;
}

/* The prompt of e as the model sees it - <bos> and the template around the question, in tokens - must leave at
 * least one position of max_seq for the completion; the trainer would otherwise fail at its first step with no
 * file or line. Returns 0, or -1 with err naming file, line and the lengths. */
static int check_prompt_length(const Task *t, const Tokenizer *tok, const Entry *e, int max_seq, const char *path,
                               long line, char *err, size_t errlen) {
    char text[TASK_QUESTION_MAX + sizeof t->prompt_template];
    int ids[sizeof text + 1];
    Problem p;
    memset(&p, 0, sizeof p);
    snprintf(p.question, sizeof p.question, "%s", e->prompt);
    char why[256] = "longer than the template buffer";
    int n = task_format_prompt(t, &p, text, sizeof text) < 0
                ? -1 : tokenizer_encode(tok, text, ids, (int)(sizeof ids / sizeof ids[0]), why, sizeof why);
    if (n < 0) {
        snprintf(err, errlen, "%s:%ld: the prompt with task.prompt_template: %s", path, line, why);
        return -1;
    }
    n += 1; /* <bos> */
    if (n >= max_seq) {
        snprintf(err, errlen, "%s:%ld: the prompt is %d tokens (%zu characters of question, with <bos> and "
                 "task.prompt_template): model.max_seq = %d leaves no room for a completion (at most %d prompt tokens)",
                 path, line, n, strlen(e->prompt), max_seq, max_seq - 1);
        return -1;
    }
    return 0;
}

static void jsonl_destroy(Task *t) {
    JsonlData *d = t->data;
    if (!d) return;
    free(d->entries);
    free(d->split[0]);
    free(d->split[1]);
    free(d);
    t->data = NULL;
}

static int is_blank(const char *s) {
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') return 0;
    return 1;
}

static int jsonl_init(Task *t, const Config *c, char *err, size_t errlen) {
    const char *path = c->task.path;
    if (!path[0]) {
        snprintf(err, errlen, "task.path is empty: the jsonl task needs a file of {\"prompt\", \"answer\"} lines");
        return -1;
    }
    if (c->task.match != MATCH_EXACT && c->task.match != MATCH_NUMERIC) {
        snprintf(err, errlen, "task.match = %d: expected exact or numeric", c->task.match);
        return -1;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "task.path = \"%s\": cannot open: %s", path, strerror(errno));
        return -1;
    }
    Tokenizer tok;
    if (tokenizer_init(&tok, TOKENIZER_DEFAULT_ALPHABET, err, errlen) != 0) {
        fclose(f);
        return -1;
    }
    JsonlData *d = calloc(1, sizeof *d);
    t->data = d;
    char *line = NULL;
    size_t cap = 0, alloc = 0;
    long lineno = 0;
    ssize_t got;
    int rc = -1;
    if (!d) goto oom;
    while ((got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        const char *nul = memchr(line, '\0', (size_t)got);
        if (nul) {
            snprintf(err, errlen, "%s:%ld: a NUL byte at byte %zu: a JSONL line is text (found %zu bytes, the line "
                     "would end at the NUL)", path, lineno, (size_t)(nul - line) + 1, (size_t)got);
            goto done;
        }
        if (is_blank(line)) continue;
        if ((size_t)d->n == alloc) {
            size_t na = alloc ? alloc * 2 : 256;
            Entry *ne = realloc(d->entries, na * sizeof *ne);
            if (!ne) goto oom;
            d->entries = ne;
            alloc = na;
        }
        if (parse_line(line, path, lineno, &d->entries[d->n], err, errlen) != 0) goto done;
        if (check_prompt_length(t, &tok, &d->entries[d->n], c->model.max_seq, path, lineno, err, errlen) != 0)
            goto done;
        d->n++;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "task.path = \"%s\": read error after line %ld: %s", path, lineno, strerror(errno));
        goto done;
    }
    /* The held-out prompts: the k distinct prompts with the smallest hashes. */
    uint64_t *h = malloc((size_t)(d->n ? d->n : 1) * sizeof *h);
    if (!h) goto oom;
    for (int i = 0; i < d->n; i++) h[i] = d->entries[i].hash;
    qsort(h, (size_t)d->n, sizeof *h, cmp_u64);
    int distinct = 0;
    for (int i = 0; i < d->n; i++)
        if (i == 0 || h[i] != h[i - 1]) h[distinct++] = h[i];
    if (distinct < 2) {
        free(h);
        snprintf(err, errlen, "task.path = \"%s\": %d distinct prompts: need at least 2 (one to train on, one to "
                 "hold out)", path, distinct);
        goto done;
    }
    int k = (distinct + TASK_EVAL_EVERY - 1) / TASK_EVAL_EVERY;
    if (k > t->eval_size) k = t->eval_size;
    if (k > distinct - 1) k = distinct - 1;
    if (k < 1) k = 1;
    uint64_t threshold = h[k - 1];
    free(h);
    for (int s = 0; s < 2; s++) {
        d->split[s] = malloc((size_t)d->n * sizeof(int));
        if (!d->split[s]) goto oom;
    }
    for (int i = 0; i < d->n; i++) {
        int s = d->entries[i].hash <= threshold ? SPLIT_EVAL : SPLIT_TRAIN;
        d->entries[i].eval = s == SPLIT_EVAL;
        d->split[s][d->n_split[s]++] = i;
    }
    rc = 0;
    goto done;
oom:
    snprintf(err, errlen, "task.path = \"%s\": out of memory at line %ld", path, lineno);
done:
    free(line);
    fclose(f);
    return rc;
}

static uint64_t jsonl_size(const Task *t, TaskSplit split) {
    const JsonlData *d = t->data;
    return (uint64_t)d->n_split[split];
}

static void jsonl_problem(const Task *t, TaskSplit split, uint64_t index, Problem *out) {
    const JsonlData *d = t->data;
    const Entry *e = &d->entries[d->split[split][index % (uint64_t)d->n_split[split]]];
    memset(out, 0, sizeof *out);
    out->id = index;
    snprintf(out->question, sizeof out->question, "%s", e->prompt);
    snprintf(out->answer, sizeof out->answer, "%s", e->answer);
}

static TaskSplit jsonl_split_of(const Task *t, const Problem *p) {
    const JsonlData *d = t->data;
    uint64_t h = hash_prompt(p->question);
    for (int i = 0; i < d->n_split[SPLIT_EVAL]; i++)
        if (d->entries[d->split[SPLIT_EVAL][i]].hash == h) return SPLIT_EVAL;
    return SPLIT_TRAIN;
}

/* s without surrounding whitespace, as a pointer and length. */
static void trim(const char *s, const char **b, size_t *n) {
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    size_t k = strlen(s);
    while (k && (s[k - 1] == ' ' || s[k - 1] == '\t' || s[k - 1] == '\n' || s[k - 1] == '\r')) k--;
    *b = s;
    *n = k;
}

/* s as a finite number (the whole trimmed text). Returns 0 or -1. */
static int parse_number(const char *s, double *v) {
    const char *b;
    size_t n;
    trim(s, &b, &n);
    if (n == 0 || n >= 64) return -1;
    char buf[64];
    memcpy(buf, b, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    double x = strtod(buf, &end);
    if (*end || errno || !isfinite(x)) return -1;
    *v = x;
    return 0;
}

static int jsonl_check(const Task *t, const Problem *p, const char *answer) {
    if (t->match == MATCH_NUMERIC) {
        double want, got;
        if (parse_number(p->answer, &want) == 0) {
            if (parse_number(answer, &got) != 0) return 0;
            return fabs(got - want) <= 1e-6 * (fabs(want) > 1 ? fabs(want) : 1);
        }
    }
    const char *a, *b;
    size_t na, nb;
    trim(answer, &a, &na);
    trim(p->answer, &b, &nb);
    return na == nb && memcmp(a, b, na) == 0;
}

static void jsonl_write(const Task *t, const Problem *p, SolutionStyle style, Rng *rng, TaskText *out) {
    task_text_answer(out, p->answer);
}

const TaskOps TASK_OPS_JSONL = {
    .name = "jsonl",
    .init = jsonl_init,
    .destroy = jsonl_destroy,
    .size = jsonl_size,
    .problem = jsonl_problem,
    .split_of = jsonl_split_of,
    .check = jsonl_check,
    .write_solution = jsonl_write,
    .alphabet = TOKENIZER_DEFAULT_ALPHABET_TEXT,
};
