/* test_layout.c - panel rectangles at several terminal sizes: inside the screen, never overlapping, big enough,
 * more panels on bigger terminals, too-small below 80 x 24. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include "ui/layout.h"

static const int SIZES[][2] = {{24, 80}, {25, 80}, {24, 81}, {30, 100}, {39, 119}, {40, 120}, {50, 160},
                               {60, 200}, {24, 200}, {80, 80}, {100, 300}, {45, 139}, {45, 140}};
#define N_SIZES ((int)(sizeof SIZES / sizeof SIZES[0]))

static void assert_inside(Rect r, int rows, int cols) {
    if (!rect_visible(r)) return;
    assert_true(r.x >= 0 && r.y >= 0);
    assert_true(r.x + r.w <= cols);
    assert_true(r.y + r.h <= rows);
}

static void assert_disjoint(const Rect *r, int n) {
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (rect_overlap(r[i], r[j])) {
                fprintf(stderr, "panels %d and %d overlap\n", i, j);
                fail();
            }
}

/* Cells covered by visible rects; with disjointness, equal to rows*cols means the screen is tiled. */
static long covered(const Rect *r, int n) {
    long a = 0;
    for (int i = 0; i < n; i++)
        if (rect_visible(r[i])) a += (long)r[i].w * r[i].h;
    return a;
}

static void test_train_all_sizes(void **state) {
    (void)state;
    for (int s = 0; s < N_SIZES; s++) {
        int rows = SIZES[s][0], cols = SIZES[s][1];
        TrainLayout L;
        layout_train(rows, cols, &L);
        assert_false(L.too_small);
        for (int i = 0; i < TP_COUNT; i++) assert_inside(L.r[i], rows, cols);
        assert_disjoint(L.r, TP_COUNT);
        assert_int_equal(covered(L.r, TP_COUNT), (long)rows * cols);
        /* the panels every size has, big enough to be useful */
        assert_int_equal(L.r[TP_STATUS].y, 0);
        assert_int_equal(L.r[TP_HINTS].y, rows - 1);
        const int must[] = {TP_REWARD, TP_LENGTH, TP_METRICS, TP_HPARAMS, TP_TRACE};
        for (int k = 0; k < 5; k++) {
            Rect r = L.r[must[k]];
            assert_true(rect_visible(r));
            assert_true(r.h >= 6);
            assert_true(r.w >= 30);
        }
        /* charts: 7 rows inside the border at least */
        assert_true(L.r[TP_REWARD].h >= 9);
    }
}

static void test_train_minimum_is_compact(void **state) {
    (void)state;
    TrainLayout L;
    layout_train(24, 80, &L);
    assert_false(rect_visible(L.r[TP_ACCURACY]));
    assert_false(rect_visible(L.r[TP_EVENTS]));
    assert_false(rect_visible(L.r[TP_KL]));
    assert_false(rect_visible(L.r[TP_EVAL]));
    assert_int_equal(L.r[TP_REWARD].w + L.r[TP_LENGTH].w, 80);
    /* 2 x 4 metrics fit inside the border */
    assert_true(L.r[TP_METRICS].h >= 6);
}

static void test_train_larger_gets_more_panels(void **state) {
    (void)state;
    TrainLayout L;
    layout_train(50, 160, &L);
    assert_true(rect_visible(L.r[TP_ACCURACY]));
    assert_true(rect_visible(L.r[TP_EVENTS]));
    assert_true(rect_visible(L.r[TP_KL]));
    assert_true(rect_visible(L.r[TP_ENTROPY]));
    assert_true(rect_visible(L.r[TP_EVAL]));
    assert_int_equal(L.r[TP_EVAL].y, L.r[TP_KL].y);
    assert_int_equal(L.r[TP_KL].w + L.r[TP_ENTROPY].w + L.r[TP_EVAL].w, 160);
    assert_true(L.r[TP_TRACE].h > 12);
    layout_train(30, 140, &L);   /* wide but short: the held-out chart in the first row, no second row */
    assert_false(rect_visible(L.r[TP_ACCURACY]));
    assert_true(rect_visible(L.r[TP_EVAL]));
    assert_int_equal(L.r[TP_EVAL].y, L.r[TP_REWARD].y);
    assert_int_equal(L.r[TP_REWARD].w + L.r[TP_LENGTH].w + L.r[TP_EVAL].w, 140);
    assert_false(rect_visible(L.r[TP_KL]));
    layout_train(30, 170, &L);   /* wider: accuracy has a chart of its own too */
    assert_true(rect_visible(L.r[TP_ACCURACY]));
    assert_int_equal(L.r[TP_REWARD].w + L.r[TP_ACCURACY].w + L.r[TP_LENGTH].w + L.r[TP_EVAL].w, 170);
    layout_train(50, 100, &L);   /* tall but narrow: the held-out chart as a second row, the event log under the trace */
    assert_true(rect_visible(L.r[TP_EVAL]));
    assert_int_equal(L.r[TP_EVAL].w, 100);
    assert_false(rect_visible(L.r[TP_ACCURACY]));
    assert_true(rect_visible(L.r[TP_EVENTS]));
    assert_true(L.r[TP_EVENTS].y > L.r[TP_TRACE].y);
}

static void test_too_small(void **state) {
    (void)state;
    const int small[][2] = {{23, 80}, {24, 79}, {20, 60}, {0, 0}, {1, 1}, {-5, 100}, {100, -1}};
    for (int s = 0; s < 7; s++) {
        TrainLayout T;
        RolloutsLayout R;
        FullLayout F;
        layout_train(small[s][0], small[s][1], &T);
        layout_rollouts(small[s][0], small[s][1], &R);
        layout_full(small[s][0], small[s][1], &F);
        assert_true(T.too_small);
        assert_true(R.too_small);
        assert_true(F.too_small);
        for (int i = 0; i < TP_COUNT; i++) assert_false(rect_visible(T.r[i]));
    }
}

static void test_rollouts_sizes(void **state) {
    (void)state;
    for (int s = 0; s < N_SIZES; s++) {
        int rows = SIZES[s][0], cols = SIZES[s][1];
        RolloutsLayout L;
        layout_rollouts(rows, cols, &L);
        assert_false(L.too_small);
        for (int i = 0; i < RP_COUNT; i++) assert_inside(L.r[i], rows, cols);
        assert_disjoint(L.r, RP_COUNT);
        assert_int_equal(covered(L.r, RP_COUNT), (long)rows * cols);
        assert_true(L.r[RP_LIST].h >= 10);
    }
    RolloutsLayout L;
    layout_rollouts(24, 80, &L);
    assert_false(rect_visible(L.r[RP_DETAIL]));      /* Enter opens the transcript full screen */
    layout_rollouts(50, 160, &L);
    assert_true(rect_visible(L.r[RP_DETAIL]));
    assert_true(L.r[RP_DETAIL].x > 0);               /* beside the list */
    layout_rollouts(50, 100, &L);
    assert_true(L.r[RP_DETAIL].y > L.r[RP_LIST].y);  /* below it */
    layout_rollouts(30, 120, &L);                    /* the split from 120 columns, short or tall */
    assert_true(rect_visible(L.r[RP_DETAIL]));
    assert_true(L.r[RP_DETAIL].x > 0);
    assert_true(L.r[RP_LIST].w >= 72);               /* room for the question column */
    layout_rollouts(30, 119, &L);
    assert_false(rect_visible(L.r[RP_DETAIL]));
}

static void test_full(void **state) {
    (void)state;
    FullLayout L;
    layout_full(24, 80, &L);
    assert_false(L.too_small);
    assert_int_equal(L.body.y, 1);
    assert_int_equal(L.body.h, 22);
    assert_int_equal(L.hints.y, 23);
    assert_int_equal(L.body.w, 80);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_all_sizes),
        cmocka_unit_test(test_train_minimum_is_compact),
        cmocka_unit_test(test_train_larger_gets_more_panels),
        cmocka_unit_test(test_too_small),
        cmocka_unit_test(test_rollouts_sizes),
        cmocka_unit_test(test_full),
    };
    return cmocka_run_group_tests_name("layout", tests, NULL, NULL);
}
