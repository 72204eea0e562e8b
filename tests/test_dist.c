/* test_dist.c - core/dist.h outside a job: how items split into the ranks' blocks, and a process that mpirun did
 * not start acting as rank 0 of 1 (tests/e2e_mpi.sh runs the collectives under mpirun). */
#include "core/dist.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static void test_blocks_cover_items_once(void **state) {
    (void)state;
    for (int size = 1; size <= 9; size++)
        for (int items = size; items <= 40; items++) {
            int next = 0, lo = items, hi = 0;
            for (int r = 0; r < size; r++) {
                int first, count;
                dist_block(items, r, size, &first, &count);
                assert_int_equal(first, next); /* contiguous, in rank order */
                next += count;
                if (count < lo) lo = count;
                if (count > hi) hi = count;
            }
            assert_int_equal(next, items);
            assert_true(hi - lo <= 1 && lo >= 1);
        }
    int first, count;
    dist_block(7, 0, 1, &first, &count);
    assert_true(first == 0 && count == 7);
    dist_block(5, 1, 2, &first, &count); /* 5 groups on 2 ranks: 2 and 3 */
    assert_true(first == 2 && count == 3);
}

static void test_one_process_without_a_job(void **state) {
    (void)state;
    unsetenv("OMPI_COMM_WORLD_SIZE");
    unsetenv("PMIX_RANK");
    assert_int_equal(dist_launched(), 0);
    char err[256] = "";
    assert_int_equal(dist_init(NULL, NULL, 10, NULL, err, sizeof err), 0);
    assert_int_equal(dist_rank(), 0);
    assert_int_equal(dist_size(), 1);
    float f[3] = {1, 2, 3};
    double d[2] = {4, 5};
    dist_sum_floats(f, 3);
    dist_sum_doubles(d, 2);
    dist_max_doubles(d, 2);
    assert_true(f[0] == 1 && f[1] == 2 && f[2] == 3 && d[0] == 4 && d[1] == 5);
    char bytes[6] = "hello";
    dist_broadcast(bytes, sizeof bytes);
    dist_gather(bytes, 1, 5);
    dist_allgather(bytes, 1, 5);
    dist_barrier();
    assert_string_equal(bytes, "hello");
    dist_finalize();
    setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
    assert_int_equal(dist_launched(), 1);
    unsetenv("OMPI_COMM_WORLD_SIZE");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocks_cover_items_once),
        cmocka_unit_test(test_one_process_without_a_job),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
