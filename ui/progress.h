/* progress.h - progress of a long command on stderr (bench, sample --rejection): on a terminal one line redrawn in
 * place ("generating 37/100 problems [#####     ]", at most ten times a second, ended with a newline at the end);
 * into a log or a pipe a plain line at every tenth of the way, so a log gets at most ten lines. */
#ifndef GRPO_UI_PROGRESS_H
#define GRPO_UI_PROGRESS_H
#include <stdio.h>

typedef struct {
    FILE *f;
    int tty;                 /* 1: redraw one line; 0: a line per tenth */
    const char *what;        /* "generating", "bench step" */
    const char *unit;        /* "problems", "" */
    int total;
    int tenth;               /* tenths reported so far (not a terminal) */
    double last;             /* when the line was last drawn (a terminal) */
} Progress;

/* Starts a progress report of `total` units on f (tty: whether f is a terminal, e.g. isatty(2)). what and unit must
 * outlive p. Prints nothing yet. */
void progress_init(Progress *p, FILE *f, int tty, const char *what, const char *unit, int total);
/* done of total units are finished (done grows; done == total ends the report). */
void progress_update(Progress *p, int done);
/* The bar "[#####     ]" for done of total in width cells (brackets included; at least 3), into buf (n bytes;
 * cut to fit). done is clamped to 0 .. total; total <= 0 draws an empty bar. The studio draws the same bar. */
void progress_bar(char *buf, size_t n, int width, int done, int total);

#endif
