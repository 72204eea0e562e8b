/* test_query.c - the browser's queries (storage/query.h) on a real database of two runs written through store.h:
 * every filter against a brute-force count over the same generated rows, the sort orders, keyset pages forwards and
 * backwards against one big page, full-text search in both modes (malformed FTS5 is an error message, plain words
 * never are), groups, series, metric names, tasks and run lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storage/query.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { A_STEPS = 30, A_P = 4, A_G = 4, B_STEPS = 5, B_P = 2, B_G = 2 };
enum { N_ROWS = A_STEPS * A_P * A_G + B_STEPS * B_P * B_G };

typedef struct {
    int64_t run;
    Rollout r;
    char completion[160], prompt[48], answer[16];
} Gen;

static char g_dir[64], g_path[128];
static Gen g_rows[N_ROWS];
static int64_t g_run_a, g_run_b;

static uint32_t mix(uint32_t x) {
    x ^= x >> 16; x *= 0x7feb352du; x ^= x >> 15; x *= 0x846ca68bu; x ^= x >> 16;
    return x;
}

static void gen(Gen *g, int64_t run, int is_b, int step, int p, int s) {
    uint32_t h = mix((uint32_t)(step * 7919 + p * 131 + s * 17 + is_b * 1000003));
    Rollout *r = &g->r;
    memset(g, 0, sizeof *g);
    g->run = run;
    r->step = step;
    r->prompt_index = p;
    r->sample_index = s;
    r->task = is_b ? "mul" : (p % 2 ? "countdown" : "add");
    r->correct = h % 3 == 0;
    r->reward = (float)r->correct + 0.25f * (float)(h % 5) - 0.5f;
    r->r_accuracy = (float)r->correct;
    r->r_format = (h >> 13) % 2 ? 1.f : 0.f;
    r->r_language = 0.5f;
    r->advantage = ((float)((h >> 3) % 7) - 3.f) * 0.5f;
    r->length = 5 + (int)((h >> 5) % 100);
    r->finish = (h >> 9) % 4 == 0 ? 2 : 1;
    r->flags = (h >> 11) % 4;
    snprintf(g->completion, sizeof g->completion, "<think>step%d p%d g%d%s%s</think> <answer>%s</answer>", step, p, s,
             r->flags & ROLLOUT_FLAG_REFLECTION ? " wait, let me verify" : "", r->correct ? " right" : " wrong",
             r->correct ? "42" : "41");
    snprintf(g->prompt, sizeof g->prompt, "%s question %d", r->task, step * 10 + p);
    snprintf(g->answer, sizeof g->answer, "42");
    r->completion = g->completion;
    r->prompt = g->prompt;
    r->answer = g->answer;
}

static int setup(void **state) {
    snprintf(g_dir, sizeof g_dir, "/tmp/test_query_XXXXXX");
    if (!mkdtemp(g_dir)) return -1;
    snprintf(g_path, sizeof g_path, "%s/q.db", g_dir);
    char err[512];
    Store *s = store_open(g_path, err, sizeof err);
    if (!s) { fprintf(stderr, "%s\n", err); return -1; }
    StoreRunInfo a = {.name = "run-a", .seed = 1}, b = {.name = "run-b", .seed = 2};
    int k = 0;
    for (int run = 0; run < 2; run++) {
        int64_t id = store_begin_run(s, run ? &b : &a, err, sizeof err);
        if (id < 0) return -1;
        if (run) g_run_b = id; else g_run_a = id;
        int steps = run ? B_STEPS : A_STEPS, P = run ? B_P : A_P, G = run ? B_G : A_G;
        for (int step = 1; step <= steps; step++) {
            Rollout ro[A_P * A_G];
            int first = k;
            for (int p = 0; p < P; p++)
                for (int g = 0; g < G; g++) {
                    gen(&g_rows[k], id, run, step, p, g);
                    ro[k - first] = g_rows[k].r;
                    k++;
                }
            Metric m[] = {{"reward/mean", step * 0.1}, {"accuracy", step * 0.01}, {"b_only", 1}};
            StepRecord rec = {.step = step, .wall_time = 1000 + step, .n_rollouts = P * G, .rollouts = ro,
                              .n_metrics = run ? 3 : 2, .metrics = m};
            if (store_write_step(s, &rec, err, sizeof err) != 0) { fprintf(stderr, "%s\n", err); return -1; }
        }
    }
    store_close(s);
    return k == N_ROWS ? 0 : -1;
}

static int teardown(void **state) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int brute_match(const Gen *g, const QueryFilter *f) {
    const Rollout *r = &g->r;
    if (f->run_id > 0 && g->run != f->run_id) return 0;
    if (f->step_min >= 0 && r->step < f->step_min) return 0;
    if (f->step_max >= 0 && r->step > f->step_max) return 0;
    if (r->reward < f->reward_min || r->reward > f->reward_max) return 0;
    if (f->correct >= 0 && r->correct != f->correct) return 0;
    if ((r->flags & f->flags_mask) != (f->flags_value & f->flags_mask)) return 0;
    if (f->finish && r->finish != f->finish) return 0;
    if (f->max_length > 0 && r->length > f->max_length) return 0;
    if (f->prompt_index >= 0 && r->prompt_index != f->prompt_index) return 0;
    if (f->task[0] && strcmp(f->task, r->task)) return 0;
    return 1;
}

static int brute_count(const QueryFilter *f) {
    int n = 0;
    for (int i = 0; i < N_ROWS; i++) n += brute_match(&g_rows[i], f);
    return n;
}

static double sort_key(const QueryRollout *r, QuerySort s) {
    switch (s) {
    case QUERY_SORT_REWARD: return r->reward;
    case QUERY_SORT_LENGTH: return r->length;
    case QUERY_SORT_ADVANTAGE: return r->advantage;
    case QUERY_SORT_STEP: break;
    }
    return (double)r->id;   /* the order written */
}

/* Rows are in f's order: (key, id) strictly monotonic. */
static void assert_ordered(const QueryRolloutList *l, const QueryFilter *f) {
    for (int i = 1; i < l->n; i++) {
        double a = sort_key(&l->items[i - 1], f->sort), b = sort_key(&l->items[i], f->sort);
        int64_t ia = l->items[i - 1].id, ib = l->items[i].id;
        int ok = f->descending ? (a > b || (a == b && ia > ib)) : (a < b || (a == b && ia < ib));
        if (!ok) fail_msg("row %d out of order (sort %d desc %d): %g/%lld then %g/%lld", i, f->sort, f->descending,
                          a, (long long)ia, b, (long long)ib);
    }
}

static QueryFilter filters(int k) {
    QueryFilter f;
    query_filter_init(&f);
    switch (k) {
    case 0: break;
    case 1: f.run_id = g_run_b; break;
    case 2: f.step_min = 5; f.step_max = 12; break;
    case 3: f.reward_min = 0.25; f.reward_max = 1.0; break;
    case 4: f.correct = 1; f.run_id = g_run_a; break;
    case 5: f.correct = 0; f.step_max = 3; break;
    case 6: f.flags_mask = f.flags_value = ROLLOUT_FLAG_REFLECTION; break;
    case 7: f.flags_mask = ROLLOUT_FLAG_REFLECTION | ROLLOUT_FLAG_SELF_CORRECTION; f.flags_value = 0; break;
    case 8: f.finish = 2; f.max_length = 50; break;
    case 9: snprintf(f.task, sizeof f.task, "countdown"); f.prompt_index = 3; break;
    case 10: f.step_min = 7; f.step_max = 7; f.correct = 1; f.reward_min = 1; snprintf(f.task, sizeof f.task, "add"); break;
    case 11: snprintf(f.task, sizeof f.task, "no-such-task"); break;
    }
    return f;
}
#define N_FILTERS 12

static void test_filters_match_brute_force(void **state) {
    char err[512];
    Query *q = query_open(g_path, err, sizeof err);
    assert_non_null(q);
    for (int k = 0; k < N_FILTERS; k++) {
        for (int sort = 0; sort < 4; sort++)
            for (int desc = 0; desc < 2; desc++) {
                QueryFilter f = filters(k);
                f.sort = (QuerySort)sort;
                f.descending = desc;
                int expect = brute_count(&f);
                assert_int_equal(query_count(q, &f, err, sizeof err), expect);
                QueryRolloutList l;
                assert_int_equal(query_rollouts(q, &f, N_ROWS + 10, 0, &l, err, sizeof err), expect);
                assert_ordered(&l, &f);
                for (int i = 0; i < l.n; i++) {
                    /* The row is one we wrote, and it passes the filter. */
                    const QueryRollout *x = &l.items[i];
                    Gen *g = &g_rows[x->id - 1];
                    assert_int_equal(g->r.step, x->step);
                    assert_string_equal(g->r.completion, x->completion);
                    assert_true(brute_match(g, &f));
                }
                query_rollouts_free(&l);
            }
    }
    query_close(q);
}

/* Keyset pages forwards and backwards, and offset pages, all give the order of one big page. */
static void test_keyset_and_offset_pages(void **state) {
    char err[512];
    Query *q = query_open(g_path, err, sizeof err);
    for (int k = 0; k < 5; k++)
        for (int sort = 0; sort < 4; sort++)
            for (int desc = 0; desc < 2; desc++) {
                QueryFilter f = filters(k);
                f.sort = (QuerySort)sort;
                f.descending = desc;
                QueryRolloutList all;
                int n = query_rollouts(q, &f, N_ROWS, 0, &all, err, sizeof err);
                assert_true(n >= 0);
                /* forwards */
                int got = 0;
                QueryRollout anchor;
                int have = 0;
                QueryRolloutList page = {0};
                for (;;) {
                    QueryRolloutList next;
                    int m = query_rollouts_page(q, &f, have ? &anchor : NULL, 1, 7, &next, err, sizeof err);
                    assert_true(m >= 0);
                    for (int i = 0; i < m; i++) assert_int_equal(next.items[i].id, all.items[got + i].id);
                    got += m;
                    query_rollouts_free(&page);
                    page = next;
                    if (m < 7) break;
                    anchor = page.items[m - 1];
                    have = 1;
                }
                query_rollouts_free(&page);
                assert_int_equal(got, n);
                /* backwards from the end */
                int left = n;
                have = 0;
                for (;;) {
                    QueryRolloutList prev;
                    int m = query_rollouts_page(q, &f, have ? &anchor : NULL, -1, 7, &prev, err, sizeof err);
                    assert_true(m >= 0);
                    left -= m;
                    for (int i = 0; i < m; i++) assert_int_equal(prev.items[i].id, all.items[left + i].id);
                    query_rollouts_free(&page);
                    page = prev;
                    if (m < 7) break;
                    anchor = page.items[0];
                    have = 1;
                }
                query_rollouts_free(&page);
                assert_int_equal(left, 0);
                /* offsets */
                for (int off = 0; off < n; off += 11) {
                    QueryRolloutList p;
                    int m = query_rollouts(q, &f, 11, off, &p, err, sizeof err);
                    assert_int_equal(m, n - off < 11 ? n - off : 11);
                    for (int i = 0; i < m; i++) assert_int_equal(p.items[i].id, all.items[off + i].id);
                    query_rollouts_free(&p);
                }
                query_rollouts_free(&all);
            }
    QueryFilter f;
    query_filter_init(&f);
    QueryRolloutList empty;
    assert_int_equal(query_rollouts(q, &f, 0, 0, &empty, err, sizeof err), 0);
    assert_null(empty.items);
    query_close(q);
}

static int brute_reflect(int64_t run) {
    int n = 0;
    for (int i = 0; i < N_ROWS; i++)
        n += (g_rows[i].r.flags & ROLLOUT_FLAG_REFLECTION) && (!run || g_rows[i].run == run);
    return n;
}

static void test_search(void **state) {
    char err[512];
    Query *q = query_open(g_path, err, sizeof err);
    QueryFilter f;
    query_filter_init(&f);
    /* plain words: case-insensitive, all words required, the last one a prefix */
    snprintf(f.search, sizeof f.search, "WAIT");
    assert_int_equal(query_count(q, &f, err, sizeof err), brute_reflect(0));
    snprintf(f.search, sizeof f.search, "let me verif");
    assert_int_equal(query_count(q, &f, err, sizeof err), brute_reflect(0));
    snprintf(f.search, sizeof f.search, "verif ");     /* a trailing space ends the word: no prefix */
    assert_int_equal(query_count(q, &f, err, sizeof err), 0);
    snprintf(f.search, sizeof f.search, "step7 p1 g2");
    assert_int_equal(query_count(q, &f, err, sizeof err), 1);
    snprintf(f.search, sizeof f.search, "wait right");
    int both = 0;
    for (int i = 0; i < N_ROWS; i++) both += (g_rows[i].r.flags & 1) && g_rows[i].r.correct;
    assert_int_equal(query_count(q, &f, err, sizeof err), both);
    /* combined with other filters and a sort */
    f.run_id = g_run_a;
    f.sort = QUERY_SORT_REWARD;
    f.descending = 1;
    QueryRolloutList l;
    int n = query_rollouts(q, &f, 1000, 0, &l, err, sizeof err);
    assert_true(n > 0);
    for (int i = 0; i < n; i++) {
        assert_non_null(strstr(l.items[i].completion, "wait"));
        assert_non_null(strstr(l.items[i].completion, "right"));
        assert_int_equal(l.items[i].run_id, g_run_a);
    }
    assert_ordered(&l, &f);
    query_rollouts_free(&l);
    /* every order, through both search plans (sort the matches / walk the sort index), equals a brute force */
    for (int dense = 0; dense < 2; dense++) {
        query_search_dense = dense ? 1 : 1 << 30;
        for (int sort = 0; sort < 4; sort++)
            for (int desc = 0; desc < 2; desc++) {
                query_filter_init(&f);
                snprintf(f.search, sizeof f.search, "wait");
                f.sort = (QuerySort)sort;
                f.descending = desc;
                f.step_min = 3;
                n = query_rollouts(q, &f, N_ROWS, 0, &l, err, sizeof err);
                int expect = 0;
                for (int i = 0; i < N_ROWS; i++) expect += (g_rows[i].r.flags & 1) && g_rows[i].r.step >= 3;
                assert_int_equal(n, expect);
                assert_int_equal(query_count(q, &f, err, sizeof err), expect);
                assert_ordered(&l, &f);
                for (int i = 0; i < n; i++) assert_non_null(strstr(l.items[i].completion, "wait"));
                QueryRolloutList p2;
                assert_int_equal(query_rollouts_page(q, &f, &l.items[4], 1, 3, &p2, err, sizeof err), 3);
                for (int i = 0; i < 3; i++) assert_int_equal(p2.items[i].id, l.items[5 + i].id);
                query_rollouts_free(&p2);
                query_rollouts_free(&l);
            }
    }
    query_search_dense = 20000;
    /* plain words never fail, whatever they hold */
    const char *odd[] = {"wait AND", "\"unterminated", "col: x", "(", "*", "NEAR(", "^wait", "a\"b\"c", "-- ;", "\"\"",
                         "OR", "\xc3\xa9t\xc3\xa9"};
    query_filter_init(&f);
    for (int i = 0; i < (int)(sizeof odd / sizeof odd[0]); i++) {
        snprintf(f.search, sizeof f.search, "%s", odd[i]);
        int64_t c = query_count(q, &f, err, sizeof err);
        if (c < 0) fail_msg("words '%s': %s", odd[i], err);
        assert_int_equal(query_rollouts(q, &f, 5, 0, &l, err, sizeof err) >= 0, 1);
        query_rollouts_free(&l);
        assert_int_equal(query_check_search(q, odd[i], QUERY_SEARCH_WORDS, err, sizeof err), 0);
    }
    /* a plain search made of punctuation looks for those characters - it never matches everything */
    static const char *const punct[] = {"%", "\"", "*", ",", "</answer>", "<", "wait ,", ", right", "%%  ,", "\"\"",
                                        ", wai", "=", ">step7", "/ <>"};
    for (int i = 0; i < (int)(sizeof punct / sizeof punct[0]); i++) {
        /* brute force: the words with a letter or digit as the index takes them (the last a prefix), the others as
         * substrings */
        int expect = 0;
        for (int r = 0; r < N_ROWS; r++) {
            char words[64], *save = NULL;
            int ok = 1;
            snprintf(words, sizeof words, "%s", punct[i]);
            for (char *w = strtok_r(words, " ", &save); w && ok; w = strtok_r(NULL, " ", &save)) {
                int alnum = 0;
                for (char *c = w; *c; c++) alnum |= isalnum((unsigned char)*c);
                if (!alnum) ok = strstr(g_rows[r].completion, w) != NULL;
                else if (!strcmp(w, "wait") || !strcmp(w, "wai")) ok = (g_rows[r].r.flags & 1) != 0;
                else if (!strcmp(w, "right")) ok = g_rows[r].r.correct;
                else if (!strcmp(w, ">step7")) ok = strstr(g_rows[r].completion, ">step7 ") != NULL;
                else if (!strcmp(w, "</answer>")) ok = 1;   /* the index's word "answer": every completion */
                else fail_msg("no brute force for '%s'", w);
            }
            expect += ok;
        }
        for (int dense = 0; dense < 2; dense++) {
            query_search_dense = dense ? 1 : 1 << 30;
            for (int sort = 0; sort < 4; sort += 3) {
                query_filter_init(&f);
                snprintf(f.search, sizeof f.search, "%s", punct[i]);
                f.sort = (QuerySort)sort;
                int64_t c = query_count(q, &f, err, sizeof err);
                if (c != expect) fail_msg("'%s': %lld rollouts, brute force %d (of %d)", punct[i], (long long)c, expect, N_ROWS);
                n = query_rollouts(q, &f, N_ROWS, 0, &l, err, sizeof err);
                assert_int_equal(n, expect);
                assert_ordered(&l, &f);
                query_rollouts_free(&l);
            }
        }
        query_search_dense = 20000;
        if (strchr("%\"*=", punct[i][0]) && strlen(punct[i]) <= 2) assert_int_equal(expect, 0); /* absent: none */
    }
    query_filter_init(&f);
    snprintf(f.search, sizeof f.search, ",");
    f.run_id = g_run_b;
    f.step_min = 2;
    int expect_b = 0;
    for (int r = 0; r < N_ROWS; r++)
        expect_b += g_rows[r].run == g_run_b && g_rows[r].r.step >= 2 && strchr(g_rows[r].completion, ',');
    assert_int_equal(query_count(q, &f, err, sizeof err), expect_b);
    /* FTS5 syntax */
    query_filter_init(&f);
    f.search_mode = QUERY_SEARCH_FTS;
    snprintf(f.search, sizeof f.search, "\"let me verify\"");
    assert_int_equal(query_count(q, &f, err, sizeof err), brute_reflect(0));
    snprintf(f.search, sizeof f.search, "wait OR right");
    int either = 0;
    for (int i = 0; i < N_ROWS; i++) either += (g_rows[i].r.flags & 1) || g_rows[i].r.correct;
    assert_int_equal(query_count(q, &f, err, sizeof err), either);
    snprintf(f.search, sizeof f.search, "NEAR(wait right, 5) NOT step1");
    assert_true(query_count(q, &f, err, sizeof err) >= 0);
    snprintf(f.search, sizeof f.search, "verif*");
    assert_int_equal(query_count(q, &f, err, sizeof err), brute_reflect(0));
    /* malformed FTS5: an error that names the search and the file, never a crash */
    const char *bad[] = {"wait AND", "\"unterminated", "nosuchcolumn: x", "(", "NEAR(", "AND OR"};
    for (int i = 0; i < (int)(sizeof bad / sizeof bad[0]); i++) {
        snprintf(f.search, sizeof f.search, "%s", bad[i]);
        err[0] = 0;
        assert_int_equal(query_count(q, &f, err, sizeof err), -1);
        assert_non_null(strstr(err, "search"));
        assert_non_null(strstr(err, g_path));
        err[0] = 0;
        assert_int_equal(query_rollouts(q, &f, 5, 0, &l, err, sizeof err), -1);
        assert_null(l.items);
        assert_non_null(strstr(err, "not a valid full-text query"));
        assert_int_equal(query_check_search(q, bad[i], QUERY_SEARCH_FTS, err, sizeof err), -1);
        assert_non_null(strstr(err, bad[i]));
    }
    /* an FTS5 phrase of punctuation alone would match nothing: refused, saying why */
    const char *no_words[] = {"\"%\"", "\"*\"", "\"\"", "\"<>\""};
    for (int i = 0; i < (int)(sizeof no_words / sizeof no_words[0]); i++) {
        assert_int_equal(query_check_search(q, no_words[i], QUERY_SEARCH_FTS, err, sizeof err), -1);
        assert_non_null(strstr(err, "has no letter or digit"));
        assert_non_null(strstr(err, no_words[i]));
    }
    /* the connection is still fine afterwards */
    query_filter_init(&f);
    assert_int_equal(query_count(q, &f, err, sizeof err), N_ROWS);
    query_close(q);
}

static void test_group_and_one(void **state) {
    char err[512];
    Query *q = query_open(g_path, err, sizeof err);
    QueryRolloutList g;
    assert_int_equal(query_group(q, g_run_a, 5, 2, &g, err, sizeof err), A_G);
    for (int i = 0; i < A_G; i++) {
        assert_int_equal(g.items[i].sample_index, i);
        assert_int_equal(g.items[i].step, 5);
        assert_int_equal(g.items[i].prompt_index, 2);
        const Gen *x = &g_rows[g.items[i].id - 1];
        assert_true(x->r.advantage == g.items[i].advantage);
        assert_true(x->r.reward == g.items[i].reward);
    }
    query_rollouts_free(&g);
    /* run 0 is the newest run (b) */
    assert_int_equal(query_group(q, 0, 5, 1, &g, err, sizeof err), B_G);
    assert_int_equal(g.items[0].run_id, g_run_b);
    query_rollouts_free(&g);
    assert_int_equal(query_group(q, g_run_a, 999, 0, &g, err, sizeof err), 0);
    query_rollouts_free(&g);
    QueryRollout r;
    assert_int_equal(query_rollout(q, 17, &r, err, sizeof err), 1);
    assert_string_equal(r.completion, g_rows[16].completion);
    assert_string_equal(r.prompt, g_rows[16].prompt);
    query_rollout_free(&r);
    query_rollout_free(NULL);
    query_rollouts_free(NULL);
    query_close(q);
}

static void test_series_names_tasks_runs(void **state) {
    char err[512];
    Query *q = query_open(g_path, err, sizeof err);
    QuerySeries s;
    assert_int_equal(query_series(q, g_run_a, "reward/mean", -1, &s, err, sizeof err), A_STEPS);
    for (int i = 0; i < A_STEPS; i++) {
        assert_int_equal(s.steps[i], i + 1);
        assert_float_equal(s.values[i], (i + 1) * 0.1, 1e-12);
    }
    query_series_free(&s);
    assert_int_equal(query_series(q, g_run_a, "reward/mean", 28, &s, err, sizeof err), 3);
    assert_int_equal(s.steps[0], 28);
    query_series_free(&s);
    assert_int_equal(query_series(q, g_run_a, "nope", -1, &s, err, sizeof err), 0);
    query_series_free(&s);
    query_series_free(NULL);

    QueryStrings names;
    assert_int_equal(query_metric_names(q, g_run_a, &names, err, sizeof err), 2);
    assert_string_equal(names.items[0], "accuracy");
    assert_string_equal(names.items[1], "reward/mean");
    query_strings_free(&names);
    assert_int_equal(query_metric_names(q, 0, &names, err, sizeof err), 3);   /* newest run: b */
    assert_string_equal(names.items[1], "b_only");
    query_strings_free(&names);

    QueryStrings tasks;
    assert_int_equal(query_tasks(q, 0, &tasks, err, sizeof err), 3);
    assert_string_equal(tasks.items[0], "add");
    assert_string_equal(tasks.items[1], "countdown");
    assert_string_equal(tasks.items[2], "mul");
    query_strings_free(&tasks);
    assert_int_equal(query_tasks(q, g_run_b, &tasks, err, sizeof err), 1);
    assert_string_equal(tasks.items[0], "mul");
    query_strings_free(&tasks);

    QueryRunList runs;
    assert_int_equal(query_runs(q, &runs, err, sizeof err), 2);
    assert_string_equal(runs.items[0].name, "run-a");
    assert_int_equal(runs.items[0].steps, A_STEPS);
    assert_int_equal(runs.items[0].n_rollouts, A_STEPS * A_P * A_G);
    assert_string_equal(runs.items[0].status, "running");
    assert_string_equal(runs.items[1].name, "run-b");
    assert_int_equal(runs.items[1].seed, 2);
    double best = -1e9;
    for (int i = 0; i < N_ROWS; i++)
        if (g_rows[i].run == g_run_a && g_rows[i].r.reward > best) best = g_rows[i].r.reward;
    assert_float_equal(runs.items[0].best_reward, best, 1e-6);
    query_runs_free(&runs);
    QueryRun r;
    assert_int_equal(query_run(q, 12345, &r, err, sizeof err), 0);
    query_run_free(&r);
    query_close(q);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filters_match_brute_force),
        cmocka_unit_test(test_keyset_and_offset_pages),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_group_and_one),
        cmocka_unit_test(test_series_names_tasks_runs),
    };
    return cmocka_run_group_tests_name("query", tests, setup, teardown);
}
