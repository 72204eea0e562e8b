/* fuzz_task_jsonl.c - fuzzes the user's problem file of the jsonl task (core/task_jsonl.c): JSON lines
 * {"prompt": ..., "answer": ...}, read by task_new with task.name = jsonl, as `train` reads task.path.
 *
 * Input: the bytes of the file. Suggested -max_len: 16384 (a few dozen lines).
 *
 * A file that loads must keep the task's contract on every problem (up to 64 per split): the problem belongs to
 * the split it was drawn from, and its own answer checks right under both match modes. A breach aborts. */
#include "core/task.h"
#include "tests/fuzz/fuzz_files.h"
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Config c;
    char err[1024];
    config_defaults(&c);
    snprintf(c.task.name, sizeof c.task.name, "jsonl");
    snprintf(c.task.path, sizeof c.task.path, "%.255s", fuzz_write("problems.jsonl", data, size));
    c.task.eval_size = 3;
    for (int match = MATCH_EXACT; match <= MATCH_NUMERIC; match++) {
        c.task.match = match;
        Task *t = task_new(&c, err, sizeof err);
        if (!t) return 0;
        for (int split = SPLIT_TRAIN; split <= SPLIT_EVAL; split++) {
            uint64_t n = task_size(t, (TaskSplit)split);
            for (uint64_t i = 0; i < n && i < 64; i++) {
                Problem p;
                task_problem(t, (TaskSplit)split, i, &p);
                if (task_split_of(t, &p) != (TaskSplit)split || !task_check(t, &p, p.answer)) {
                    fprintf(stderr, "problem %llu of split %d (\"%s\" -> \"%s\"): split %d, checks %d\n",
                            (unsigned long long)i, split, p.question, p.answer, (int)task_split_of(t, &p),
                            task_check(t, &p, p.answer));
                    abort();
                }
            }
        }
        task_free(t);
    }
    return 0;
}
