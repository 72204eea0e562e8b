/* task_jsonl.c - problems from a file of JSON lines, in three formats:
 *   jsonl  {"prompt": "...", "answer": "..."} (the answer may also be a JSON number), checked by exact match
 *          (surrounding whitespace ignored) or numeric match (task.match);
 *   gsm8k  {"question": "...", "answer": "...worked solution...\n#### 72"}: the answer is what follows "####"; a
 *          model's answer is right when the last number it writes equals it (commas, "$", "%", fractions allowed);
 *   math   {"problem": "...", "answer": "..."} or {"problem": "...", "solution": "... \boxed{...}"}: the answer is
 *          the given one or the solution's last \boxed{}; a model's answer (its own \boxed{} if it writes one) is
 *          right when both are numbers of equal value, or when the two LaTeX texts agree after normalising.
 * Other keys on a line are ignored (GSM8K and MATH files carry ids, levels, types).
 *
 * The held-out split is a deterministic subset chosen by a hash of the prompt: the distinct prompts with the
 * smallest hashes, about one in TASK_EVAL_EVERY and at most task.eval_size of them (at least one, and never all).
 * Identical prompts hash alike, so a prompt never lands in both splits. Problem i of a split is line i of that
 * split in file order. The file has no worked solutions, so every solution style writes the direct answer.
 *
 * Everything that would fail later is refused at load time with the file and line: a NUL byte (a line is text; C
 * strings would silently end at it), a text holding a special token of the prompt format, and (jsonl, when the
 * run's model uses the character tokenizer) a character that tokenizer does not know or a prompt that, rendered by
 * task.prompt_template and tokenized with <bos>, leaves no room for a completion in model.max_seq tokens. With a
 * Hugging Face tokenizer (model.tokenizer, or model.init a folder holding one) any UTF-8 text is a prompt, and the
 * trainer checks the prompts' lengths with that tokenizer. */
#include "core/answer.h"
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

typedef enum { FORMAT_JSONL, FORMAT_GSM8K, FORMAT_MATH } Format;

static Format format_of(const Task *t) {
    return t->ops == &TASK_OPS_GSM8K ? FORMAT_GSM8K : t->ops == &TASK_OPS_MATH ? FORMAT_MATH : FORMAT_JSONL;
}

/* Checks that s holds no special token text, which would break the prompt/completion format, and with `ascii`
 * that every byte of s is one the character tokenizer knows (naming the first that is not). */
static int check_chars(const char *s, int ascii, const char *path, long line, const char *key, char *err,
                       size_t errlen) {
    for (size_t i = 0; ascii && s[i]; i++) {
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

/* The answer of a line in `fmt` as text into out (size n). Returns 0, or -1 with err naming file, line and key. */
static int line_answer(json_t *root, Format fmt, const char *path, long line, char *out, size_t n, char *err,
                       size_t errlen) {
    const char *key = fmt == FORMAT_MATH && !json_object_get(root, "answer") ? "solution" : "answer";
    json_t *a = json_object_get(root, key);
    int number_ok = strcmp(key, "solution") != 0;
    if (!a || !(json_is_string(a) || (number_ok && json_is_number(a)))) {
        snprintf(err, errlen, "%s:%ld: \"%s\" %s: expected a string%s", path, line, key,
                 a ? "has the wrong type" : "is missing", number_ok ? " or a number" : "");
        return -1;
    }
    char num[64];
    const char *as = num;
    if (json_is_string(a)) as = json_string_value(a);
    else if (json_is_integer(a)) snprintf(num, sizeof num, "%lld", (long long)json_integer_value(a));
    else snprintf(num, sizeof num, "%.17g", json_real_value(a));
    if (fmt == FORMAT_GSM8K && json_is_string(a)) {
        if (answer_after_hashes(as, out, n) != 0) {
            snprintf(err, errlen, "%s:%ld: \"answer\" has no final answer after \"####\" (at most %zu bytes): "
                     "expected a GSM8K solution ending \"#### 72\"", path, line, n - 1);
            return -1;
        }
        return 0;
    }
    if (fmt == FORMAT_MATH && !strcmp(key, "solution")) {
        if (answer_boxed(as, out, n) != 0) {
            snprintf(err, errlen, "%s:%ld: \"solution\" has no closed \\boxed{...} of at most %zu bytes: expected "
                     "the final answer boxed (or an \"answer\" key)", path, line, n - 1);
            return -1;
        }
        return 0;
    }
    if (strlen(as) >= n) {
        snprintf(err, errlen, "%s:%ld: \"%s\" is %zu bytes: expected at most %zu", path, line, key, strlen(as), n - 1);
        return -1;
    }
    snprintf(out, n, "%s", as);
    return 0;
}

/* Reads one line's object into e. Returns 0, or -1 with err naming file, line and what is wrong. */
static int parse_line(const char *text, Format fmt, int char_tok, const char *path, long line, Entry *e, char *err,
                      size_t errlen) {
    json_error_t je;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errlen, "%s:%ld: malformed JSON at column %d: %s", path, line, je.column, je.text);
        return -1;
    }
    static const char *const QUESTION_KEY[] = {"prompt", "question", "problem"};
    const char *qkey = QUESTION_KEY[fmt];
    int rc = -1;
    json_t *prompt = json_object_get(root, qkey);
    if (!json_is_object(root)) {
        snprintf(err, errlen, "%s:%ld: expected a JSON object {\"%s\": ..., \"%s\": ...}", path, line, qkey,
                 fmt == FORMAT_MATH ? "solution" : "answer");
    } else if (!json_is_string(prompt)) {
        snprintf(err, errlen, "%s:%ld: \"%s\" %s: expected a string", path, line, qkey,
                 prompt ? "is not a string" : "is missing");
    } else if (line_answer(root, fmt, path, line, e->answer, sizeof e->answer, err, errlen) == 0) {
        const char *ps = json_string_value(prompt);
        if (strlen(ps) >= sizeof e->prompt || ps[0] == '\0') {
            snprintf(err, errlen, "%s:%ld: \"%s\" is %zu bytes: expected 1..%zu", path, line, qkey, strlen(ps),
                     sizeof e->prompt - 1);
        } else if (check_chars(ps, char_tok, path, line, qkey, err, errlen) == 0 &&
                   check_chars(e->answer, char_tok, path, line, "answer", err, errlen) == 0) {
            snprintf(e->prompt, sizeof e->prompt, "%s", ps);
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

/* 1 when the run's model reads text with the character tokenizer: no model.tokenizer, and model.init is not a
 * folder holding a Hugging Face tokenizer (a Hugging Face model, or a checkpoint trained from one). */
static int uses_char_tokenizer(const Config *c) {
    return !c->model.tokenizer[0] && !(c->model.init[0] && tokenizer_is_hf(c->model.init));
}

static int jsonl_init(Task *t, const Config *c, char *err, size_t errlen) {
    const char *path = c->task.path;
    if (!path[0]) {
        snprintf(err, errlen, "task.path is empty: the %s task needs a file of JSON lines", t->ops->name);
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
    const int char_checks = format_of(t) == FORMAT_JSONL && uses_char_tokenizer(c);
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
        if (parse_line(line, format_of(t), char_checks, path, lineno, &d->entries[d->n], err, errlen) != 0) goto done;
        /* the character tokenizer's length; real models' tokenizers are checked by the trainer */
        if (char_checks &&
            check_prompt_length(t, &tok, &d->entries[d->n], c->model.max_seq, path, lineno, err, errlen) != 0)
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

/* math: the model's \boxed{} if it wrote one, else its whole answer; equal as numbers or as normalised LaTeX */
static int math_check(const Problem *p, const char *answer) {
    char boxed[TASK_ANSWER_MAX * 2], a[TASK_ANSWER_MAX * 2], b[TASK_ANSWER_MAX * 2];
    if (answer_boxed(answer, boxed, sizeof boxed) == 0) answer = boxed;
    double want, got;
    if (answer_number(p->answer, &want) == 0)
        return answer_number(answer, &got) == 0 && answer_numbers_equal(got, want);
    return answer_normalize_latex(answer, a, sizeof a) >= 0 && answer_normalize_latex(p->answer, b, sizeof b) >= 0 &&
           strcmp(a, b) == 0;
}

static int jsonl_check(const Task *t, const Problem *p, const char *answer) {
    Format fmt = format_of(t);
    if (fmt == FORMAT_MATH) return math_check(p, answer);
    if (fmt == FORMAT_GSM8K) {
        double want, got;
        return answer_number(p->answer, &want) == 0 && answer_last_number(answer, &got) == 0 &&
               answer_numbers_equal(got, want);
    }
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

/* The three formats share everything but their name (format_of tells them apart). */
#define FILE_TASK_OPS(task_name)                                                                                      \
    {                                                                                                                 \
        .name = task_name, .init = jsonl_init, .destroy = jsonl_destroy, .size = jsonl_size,                         \
        .problem = jsonl_problem, .split_of = jsonl_split_of, .check = jsonl_check, .write_solution = jsonl_write,     \
        .alphabet = TOKENIZER_DEFAULT_ALPHABET_TEXT,                                                                  \
    }

const TaskOps TASK_OPS_JSONL = FILE_TASK_OPS("jsonl");
const TaskOps TASK_OPS_GSM8K = FILE_TASK_OPS("gsm8k");
const TaskOps TASK_OPS_MATH = FILE_TASK_OPS("math");
