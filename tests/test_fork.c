/* test_fork.c - ui/fork.h: the --fork spec (RUN.db:STEP, RUN.db:ID:STEP, paths with ':' in them, malformed ones),
 * the parent looked up in a real run database (the run, its recorded config and its checkpoint; a missing run lists
 * the run ids, a missing step lists the steps that have a checkpoint), walking back through a run's checkpoints for
 * the Runs screen's F key, the command it shows, and what F's line takes (ui/fork_launch.h: the step and changes,
 * refused by name: no checkpoint there, a bad value, a key the checkpoint fixes, an unknown key). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storage/store.h"
#include "ui/fork.h"
#include "ui/fork_launch.h"
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
    fork_command("runs/p.db", 1, 20, NULL, 0, cmd, sizeof cmd);
    assert_string_equal(cmd, "grpo-studio train --fork runs/p.db:1:20 --set optim.lr=...");
    fork_command("my runs/p.db", 2, 5, NULL, 0, cmd, sizeof cmd);
    assert_string_equal(cmd, "grpo-studio train --fork 'my runs/p.db:2:5' --set optim.lr=...");
    fork_command("runs/p.db", 1, 20, NULL, 0, cmd, 10);
    assert_string_equal(cmd, "");
    const char *sets[2] = {"optim.lr=3e-3", "run.name=a b"};
    fork_command("runs/p.db", 1, 20, sets, 2, cmd, sizeof cmd);
    assert_string_equal(cmd, "grpo-studio train --fork runs/p.db:1:20 --set optim.lr=3e-3 --set 'run.name=a b'");

    /* what F's line asks for: the step and changes, checked against this database */
    ForkRequest r;
    assert_int_equal(fork_request_parse("20 optim.lr=3e-3  grpo.beta=0", 30, &r, err, sizeof err), 0);
    assert_int_equal(r.step, 20);
    assert_int_equal(r.n_sets, 2);
    assert_string_equal(r.sets[0], "optim.lr=3e-3");
    assert_string_equal(r.sets[1], "grpo.beta=0");
    assert_int_equal(fork_request_parse("  ", 30, &r, err, sizeof err), 0);   /* nothing typed: the newest */
    assert_int_equal(r.step, 30);
    assert_int_equal(r.n_sets, 0);
    assert_int_equal(fork_request_parse("optim.lr=1e-4", 30, &r, err, sizeof err), 0);
    assert_int_equal(r.step, 30);
    assert_int_equal(r.n_sets, 1);
    assert_int_equal(fork_request_parse("20 lr", 30, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "\"lr\" is not a change (expected section.key=value"));
    assert_int_equal(fork_request_parse("2x", 30, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "step \"2x\""));
    assert_int_equal(fork_request_parse("20 .x=1", 30, &r, err, sizeof err), -1);

    assert_int_equal(fork_request_parse("20 optim.lr=3e-3", 30, &r, err, sizeof err), 0);
    assert_int_equal(fork_request_check(path, 1, &r, err, sizeof err), 0);
    char **argv = fork_request_argv(path, 1, &r);
    assert_non_null(argv);
    char want[128];
    snprintf(want, sizeof want, "%s:1:20", path);
    assert_string_equal(argv[0], "grpo-studio");
    assert_string_equal(argv[1], "train");
    assert_string_equal(argv[2], "--fork");
    assert_string_equal(argv[3], want);
    assert_string_equal(argv[4], "--set");
    assert_string_equal(argv[5], "optim.lr=3e-3");
    assert_null(argv[6]);
    fork_argv_free(argv);
    static const struct { const char *line, *says; } REFUSED[] = {
        {"25", "no checkpoint at step 25; it has checkpoints at steps 10, 20, 30"},
        {"20 optim.lr=abc", "abc"},
        {"20 optim.lr=-1", "optim.lr"},
        {"20 model.d_model=64", "which fixes model.d_model"},
        {"20 optim.nosuch=1", "optim.nosuch"},
    };
    for (size_t i = 0; i < sizeof REFUSED / sizeof REFUSED[0]; i++) {
        err[0] = 0;
        assert_int_equal(fork_request_parse(REFUSED[i].line, 30, &r, err, sizeof err), 0);
        assert_int_equal(fork_request_check(path, 1, &r, err, sizeof err), -1);
        if (!strstr(err, REFUSED[i].says))
            fail_msg("%s: expected \"%s\" in \"%s\"", REFUSED[i].line, REFUSED[i].says, err);
    }
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
