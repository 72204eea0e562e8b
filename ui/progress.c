/* progress.c - progress lines on stderr (progress.h). */
#include "ui/progress.h"
#include <time.h>

static double mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

void progress_init(Progress *p, FILE *f, int tty, const char *what, const char *unit, int total) {
    *p = (Progress){.f = f, .tty = tty, .what = what, .unit = unit, .total = total > 0 ? total : 1, .last = -1};
}

void progress_update(Progress *p, int done) {
    if (done > p->total) done = p->total;
    const char *sp = p->unit[0] ? " " : "";
    if (p->tty) {
        double now = mono();
        if (done < p->total && p->last >= 0 && now - p->last < 0.1) return;
        p->last = now;
        char bar[32];
        progress_bar(bar, sizeof bar, 22, done, p->total);
        fprintf(p->f, "\r%s %d/%d%s%s %s", p->what, done, p->total, sp, p->unit, bar);
        if (done == p->total) fputc('\n', p->f);
        fflush(p->f);
        return;
    }
    int tenth = (int)((long long)done * 10 / p->total);
    if (tenth <= p->tenth) return;
    p->tenth = tenth;
    fprintf(p->f, "%s %d/%d%s%s\n", p->what, done, p->total, sp, p->unit);
    fflush(p->f);
}

void progress_bar(char *buf, size_t n, int width, int done, int total) {
    if (!n) return;
    if (width < 3) width = 3;
    if (done < 0) done = 0;
    if (done > total) done = total;
    int inner = width - 2, full = total > 0 ? (int)((long long)done * inner / total) : 0;
    size_t k = 0;
    for (int i = 0; i < width && k + 1 < n; i++)
        buf[k++] = i == 0 ? '[' : i == width - 1 ? ']' : i - 1 < full ? '#' : ' ';
    buf[k] = 0;
}
