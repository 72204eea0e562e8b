/* fuzz_query.c - fuzzes the rollout filter and search language: the filter text the browser's `f` prompt and
 * `export` take (browser_parse_filter, ui/browser.c) and the text search in both modes, plain words and FTS5
 * syntax (storage/query.c), run against a small database as the browser and export run them.
 *
 * Input: one flags byte (bit 0: FTS5 mode; bits 1-2: sort; bit 3: descending), then the filter text up to the
 * first newline, then the search text (cut to the 255 bytes the browser keeps). Suggested -max_len: 1024.
 *
 * A search that query_check_search accepts (in either mode) must then run: a count or a page that fails after
 * the check said yes aborts. (Plain words are always accepted today, so they must never fail.) */
#include "storage/query.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "tests/fuzz/fuzz_files.h"
#include "ui/browser.h"
#include <stdint.h>
#include <string.h>

static Query *db;

/* Three steps of a run, four rollouts each, with completions that share words. */
static void make_db(const char *path) {
    char err[512], comp[12][96], prompt[12][32];
    Store *s = store_open(path, err, sizeof err);
    StoreRunInfo info = {.name = "fuzz", .seed = 1};
    if (!s || store_begin_run(s, &info, err, sizeof err) < 0) { fprintf(stderr, "fuzz: %s\n", err); exit(2); }
    static const char *const words[] = {"wait", "check", "verify", "carry", "ok", "no"};
    for (int step = 1; step <= 3; step++) {
        Rollout ro[4];
        for (int i = 0; i < 4; i++) {
            int k = (step - 1) * 4 + i;
            snprintf(comp[k], sizeof comp[k], "<think>%d+%d=%d %s, %s \"q\" 100%%*</think><answer>%d</answer>", k,
                     i, k + i, words[k % 6], words[(k + 1) % 6], k + i);
            snprintf(prompt[k], sizeof prompt[k], "%d+%d=<think>", k, i);
            ro[i] = (Rollout){.step = step, .prompt_index = i / 2, .sample_index = i % 2, .task = "add",
                              .prompt = prompt[k], .completion = comp[k], .answer = "1", .reward = 0.25f * (float)i,
                              .advantage = (float)i - 1.5f, .length = 10 + k, .finish = 1 + i % 2,
                              .correct = i % 2, .flags = (unsigned)i};
        }
        StepRecord rec = {.step = step, .wall_time = 1000 + step, .n_rollouts = 4, .rollouts = ro};
        if (store_write_step(s, &rec, err, sizeof err) != 0) { fprintf(stderr, "fuzz: %s\n", err); exit(2); }
    }
    store_close(s);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    char err[512], path[512];
    snprintf(path, sizeof path, "%s", fuzz_path("rollouts.db"));
    make_db(path);
    db = query_open(path, err, sizeof err);
    QueryFilter all;
    query_filter_init(&all);
    if (!db || query_count(db, &all, err, sizeof err) != 12) { fprintf(stderr, "fuzz: no database: %s\n", err); exit(2); }
    query_search_dense = 4;   /* both plans: a search matching 4 of the 12 rows walks the sort index */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    char *text = malloc(size);
    if (!text) return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    char *nl = strchr(text, '\n'), *search = nl ? nl + 1 : text + strlen(text);
    if (nl) *nl = '\0';

    QueryFilter f;
    char err[1024];
    query_filter_init(&f);
    f.search_mode = data[0] & 1 ? QUERY_SEARCH_FTS : QUERY_SEARCH_WORDS;
    f.sort = (QuerySort)((data[0] >> 1) & 3);
    f.descending = (data[0] >> 3) & 1;
    snprintf(f.search, sizeof f.search, "%s", search);
    if (browser_parse_filter(text, &f, err, sizeof err) == 0 &&
        query_check_search(db, f.search, f.search_mode, err, sizeof err) == 0) {
        QueryRolloutList page = {0}, more = {0};
        int64_t count = query_count(db, &f, err, sizeof err);
        int n = count < 0 ? -1 : query_rollouts(db, &f, 5, 1, &page, err, sizeof err);
        if (n > 0) {
            for (int dir = -1; dir <= 1 && n >= 0; dir += 2) {
                n = query_rollouts_page(db, &f, &page.items[dir < 0 ? 0 : page.n - 1], dir, 3, &more, err,
                                        sizeof err);
                query_rollouts_free(&more);
            }
        }
        query_rollouts_free(&page);
        if (count < 0 || n < 0) {
            fprintf(stderr, "search \"%s\" (mode %d) passed the check, then failed: %s\n", f.search,
                    (int)f.search_mode, err);
            abort();
        }
    }
    free(text);
    return 0;
}
