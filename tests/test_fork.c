/* test_fork.c - ui/fork.h: the --fork spec (RUN.db:STEP, RUN.db:ID:STEP, paths with ':' in them, malformed ones),
 * the parent looked up in a real run database (the run, its recorded config and its checkpoint; a missing run lists
 * the run ids, a missing step lists the steps that have a checkpoint), walking back through a run's checkpoints for
 * the Runs screen's F key, and the command it shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storage/store.h"
#include "ui/fork.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_spec(void **state) {
    (void)state;
    ForkSpec f;
    char err[512];
    assert_int_equal(fork_parse_spec("runs/default.db:100", &f, err, sizeof err), 0);
    assert_string_equal(f.db, "runs/default.db");
    assert_int_equal(f.run_id, 0);
    assert_int_equal(f.step, 100);
    assert_int_equal(fork_parse_spec("runs/default.db:3:0", &f, err, sizeof err), 0);
    assert_string_equal(f.db, "runs/default.db");
    assert_int_equal(f.run_id, 3);
    assert_int_equal(f.step, 0);
    assert_int_equal(fork_parse_spec("a:b.db:7", &f, err, sizeof err), 0);   /* ':' inside the path */
    assert_string_equal(f.db, "a:b.db");
    assert_int_equal(f.run_id, 0);
    static const char *const BAD[] = {"runs/default.db", "x.db:", "x.db:-1", "x.db:1e3", ":5", "x.db:0:5",
                                      "x.db:99999999999"};
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        err[0] = 0;
        assert_int_equal(fork_parse_spec(BAD[i], &f, err, sizeof err), -1);
        assert_non_null(strstr(err, BAD[i]));   /* the message quotes the spec */
    }
}

static void test_find_and_walk(void **state) {
    (void)state;
    char dir[] = "/tmp/test_fork_XXXXXX", path[64], err[1024];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/p.db", dir);
    Store *s = store_open(path, err, sizeof err);
    assert_non_null(s);
    StoreRunInfo a = {.name = "first", .config_text = "[optim]\nlr = 0.001\n"};
    assert_int_equal(store_begin_run(s, &a, err, sizeof err), 1);
    assert_int_equal(store_write_checkpoint(s, 10, "p/run-1/step-000010", "", 1, err, sizeof err), 0);
    assert_int_equal(store_write_checkpoint(s, 30, "p/run-1/step-000030", "", 2, err, sizeof err), 0);
    assert_int_equal(store_write_checkpoint(s, 20, "p/run-1/step-000020", "", 3, err, sizeof err), 0);
    StoreRunInfo b = {.name = "second", .config_text = "[optim]\nlr = 0.003\n"};
    assert_int_equal(store_begin_run(s, &b, err, sizeof err), 2);
    store_close(s);

    ForkSpec spec = {.run_id = 1, .step = 20};
    snprintf(spec.db, sizeof spec.db, "%s", path);
    ForkSource src;
    assert_int_equal(fork_find(&spec, &src, err, sizeof err), 0);
    assert_int_equal(src.run_id, 1);
    assert_string_equal(src.name, "first");
    assert_string_equal(src.checkpoint, "p/run-1/step-000020");
    assert_non_null(strstr(src.config_text, "lr = 0.001"));
    fork_source_free(&src);
    spec.step = 25;
    assert_int_equal(fork_find(&spec, &src, err, sizeof err), -1);
    assert_non_null(strstr(err, "no checkpoint at step 25; it has checkpoints at steps 10, 20, 30"));
    spec.run_id = 7;
    assert_int_equal(fork_find(&spec, &src, err, sizeof err), -1);
    assert_non_null(strstr(err, "no run with id 7 (its runs: 1, 2)"));
    spec.run_id = 0;   /* the newest run: it has no checkpoint */
    assert_int_equal(fork_find(&spec, &src, err, sizeof err), -1);
    assert_non_null(strstr(err, "run 2 'second'"));
    assert_non_null(strstr(err, "has no checkpoint yet"));
    snprintf(spec.db, sizeof spec.db, "%s/missing.db", dir);
    assert_int_equal(fork_find(&spec, &src, err, sizeof err), -1);
    assert_non_null(strstr(err, "missing.db"));
    assert_int_equal(access(spec.db, F_OK), -1);   /* not created */

    Query *q = query_open(path, err, sizeof err);
    assert_non_null(q);
    assert_int_equal(fork_checkpoint_before(q, 1, -1, err, sizeof err), 30);
    assert_int_equal(fork_checkpoint_before(q, 1, 30, err, sizeof err), 20);
    assert_int_equal(fork_checkpoint_before(q, 1, 20, err, sizeof err), 10);
    assert_int_equal(fork_checkpoint_before(q, 1, 10, err, sizeof err), 30);   /* wraps round */
    assert_int_equal(fork_checkpoint_before(q, 2, -1, err, sizeof err), -1);
    query_close(q);

    char cmd[256];
    fork_command("runs/p.db", 1, 20, cmd, sizeof cmd);
    assert_string_equal(cmd, "grpo-studio train --fork runs/p.db:1:20 --set optim.lr=...");
    fork_command("my runs/p.db", 2, 5, cmd, sizeof cmd);
    assert_string_equal(cmd, "grpo-studio train --fork 'my runs/p.db:2:5' --set optim.lr=...");
    fork_command("runs/p.db", 1, 20, cmd, 10);
    assert_string_equal(cmd, "");
    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    assert_int_equal(system(rm), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec),
        cmocka_unit_test(test_find_and_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
