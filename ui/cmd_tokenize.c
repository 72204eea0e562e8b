/* cmd_tokenize.c - `grpo-studio tokenize --tokenizer PATH [options] TEXT|-`: a Hugging Face tokenizer.json
 * (core/bpe) on some text: its ids, its tokens, or (--decode) the text of ids; --stats measures the encoding
 * speed. Not yet the trainer's tokenizer: a tool to look at one. */
#include "core/bpe/bpe.h"
#include "ui/commands.h"
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void usage(FILE *f) {
    fprintf(f,
        "usage: grpo-studio tokenize --tokenizer PATH [--tokens|--decode|--stats] [--no-special] TEXT|-\n\n"
        "Encodes TEXT (or standard input, with -) with a Hugging Face tokenizer.json (byte-level BPE such as\n"
        "Qwen, Llama-3, DeepSeek; SentencePiece-style BPE such as Llama-2, Mistral) and prints the ids.\n\n"
        "  --tokenizer PATH   tokenizer.json, or a model folder holding it (its tokenizer_config.json, when\n"
        "                     present, adds the BOS/EOS that transformers adds for Llama-class tokenizers)\n"
        "  --tokens           one line per token: id, a tab, the token as the file spells it\n"
        "  --decode           the input is ids (space- or comma-separated): print their text\n"
        "  --skip-special     (--decode) leave the special tokens out\n"
        "  --no-special       without the post-processor's special tokens (a BOS), as add_special_tokens=False\n"
        "  --stats            print only the count of ids and the encoding speed (MB/s over --repeat runs, of\n"
        "                     elapsed and of CPU time: on a busy machine the second is the tokenizer's own)\n"
        "  --repeat N         (--stats) encode the input N times (default 1)\n");
}

static char *read_all(FILE *f, size_t *len) {
    size_t cap = 1 << 16, n = 0;
    char *p = malloc(cap);
    for (size_t got; p && (got = fread(p + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            char *q = realloc(p, cap *= 2);
            if (!q) free(p);
            p = q;
        }
    }
    if (p) { p[n] = 0; *len = n; }
    return p;
}

static double clock_s(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}
static double now(void) { return clock_s(CLOCK_MONOTONIC); }

int cmd_tokenize(int argc, char **argv) {
    enum { O_TOKENIZER = 256, O_TOKENS, O_DECODE, O_SKIP, O_NOSPECIAL, O_STATS, O_REPEAT };
    static const struct option LONG[] = {
        {"help", no_argument, NULL, 'h'},           {"tokenizer", required_argument, NULL, O_TOKENIZER},
        {"tokens", no_argument, NULL, O_TOKENS},    {"decode", no_argument, NULL, O_DECODE},
        {"skip-special", no_argument, NULL, O_SKIP}, {"no-special", no_argument, NULL, O_NOSPECIAL},
        {"stats", no_argument, NULL, O_STATS},      {"repeat", required_argument, NULL, O_REPEAT},
        {NULL, 0, NULL, 0}};
    const char *path = NULL;
    int tokens = 0, decode = 0, skip = 0, special = 1, stats = 0, repeat = 1, o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "h", LONG, NULL)) != -1) {
        switch (o) {
        case 'h': usage(stdout); return 0;
        case O_TOKENIZER: path = optarg; break;
        case O_TOKENS: tokens = 1; break;
        case O_DECODE: decode = 1; break;
        case O_SKIP: skip = 1; break;
        case O_NOSPECIAL: special = 0; break;
        case O_STATS: stats = 1; break;
        case O_REPEAT: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*optarg == 0 || *end || v < 1 || v > 1000000) {
                fprintf(stderr, "tokenize: --repeat %s: expected an integer in 1 .. 1000000\n", optarg);
                return 2;
            }
            repeat = (int)v;
            break;
        }
        default: usage(stderr); return 2;
        }
    }
    if (!path || optind != argc - 1 || tokens + decode + stats > 1) { usage(stderr); return 2; }

    char file[4096], config[4096] = "", err[1024];
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(file, sizeof file, "%s/tokenizer.json", path);
        snprintf(config, sizeof config, "%s/tokenizer_config.json", path);
        if (stat(config, &st) != 0) config[0] = 0;
    } else
        snprintf(file, sizeof file, "%s", path);
    double t0 = now();
    BpeTokenizer *t = bpe_load(file, err, sizeof err);
    if (!t) { fprintf(stderr, "tokenize: %s\n", err); return 1; }
    if (config[0] && bpe_load_config(t, config, err, sizeof err)) {
        fprintf(stderr, "tokenize: %s\n", err);
        bpe_free(t);
        return 1;
    }
    double t_load = now() - t0;

    size_t len = strlen(argv[optind]);
    char *text = strcmp(argv[optind], "-") ? strdup(argv[optind]) : read_all(stdin, &len);
    if (!text) { fprintf(stderr, "tokenize: out of memory\n"); bpe_free(t); return 1; }
    int rc = 0;
    if (decode) {
        BpeIds ids = {0};
        for (char *p = text, *end; *p;) {
            if (*p == ' ' || *p == ',' || *p == '\n' || *p == '\t' || *p == '[' || *p == ']') { p++; continue; }
            long v = strtol(p, &end, 10);
            if (end == p) { fprintf(stderr, "tokenize: --decode: '%.20s' is not an id\n", p); rc = 2; break; }
            if (v < 0 || v > INT_MAX) v = -1;          /* names no token: left out, as decode does */
            int id = (int)v;
            BpeIds *w = &ids;
            if (w->n == w->cap) {
                size_t cap = w->cap ? w->cap * 2 : 64;
                int *q = realloc(w->ids, cap * sizeof *q);
                if (!q) { rc = 1; break; }
                w->ids = q;
                w->cap = cap;
            }
            w->ids[w->n++] = id;
            p = end;
        }
        if (rc == 0) {
            size_t n;
            char *out = bpe_decode(t, ids.ids, ids.n, skip, &n);
            if (!out) rc = 1;
            else { fwrite(out, 1, n, stdout); fputc('\n', stdout); free(out); }
        }
        bpe_ids_free(&ids);
    } else {
        BpeIds ids = {0};
        double t1 = now(), c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        for (int r = 0; r < repeat && rc == 0; r++) {
            ids.n = 0;
            if (bpe_encode(t, text, len, special, &ids)) rc = 1;
        }
        double secs = now() - t1, cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c1;
        if (rc) fprintf(stderr, "tokenize: out of memory\n");
        else if (stats)
            printf("%zu ids for %zu bytes (%.2f bytes per token); encoding %.2f MB/s of elapsed time, %.2f MB/s of CPU "
                   "time (%d run%s, %.3f s, %.3f s CPU); loading %.2f s\n", ids.n, len,
                   ids.n ? (double)len / (double)ids.n : 0.0, secs > 0 ? (double)len * repeat / secs / 1e6 : 0.0,
                   cpu > 0 ? (double)len * repeat / cpu / 1e6 : 0.0, repeat, repeat > 1 ? "s" : "", secs, cpu, t_load);
        else if (tokens)
            for (size_t i = 0; i < ids.n; i++) printf("%d\t%s\n", ids.ids[i], bpe_token_text(t, ids.ids[i]));
        else {
            for (size_t i = 0; i < ids.n; i++) printf("%s%d", i ? " " : "", ids.ids[i]);
            printf("\n");
        }
        bpe_ids_free(&ids);
    }
    free(text);
    bpe_free(t);
    return rc;
}
