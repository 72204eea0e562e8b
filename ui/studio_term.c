/* studio_term.c - whether the studio can run on this process's terminal (studio.h: studio_check_terminal). Apart
 * from studio.c because <term.h> defines macros (lines, columns, ...) that clash with ordinary names. */
#include "ui/studio.h"
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <term.h>
#include <unistd.h>

int studio_check_terminal(char *err, size_t n) {
    const char *term = getenv("TERM");
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        snprintf(err, n, "%s is not a terminal", !isatty(STDIN_FILENO) ? "stdin" : "stdout");
        return -1;
    }
    if (!term || !term[0]) {
        snprintf(err, n, "TERM is not set");
        return -1;
    }
    int found = 0;
    if (setupterm(term, STDOUT_FILENO, &found) != OK) {
        snprintf(err, n, "TERM=%s is not in the terminfo database", term);
        return -1;
    }
    /* a terminal that cannot move the cursor (TERM=dumb) would show a blank screen */
    const char *cup = tigetstr("cup");
    int can_draw = cup && cup != (char *)-1;
    del_curterm(cur_term);
    if (!can_draw) {
        snprintf(err, n, "TERM=%s cannot place the cursor", term);
        return -1;
    }
    return 0;
}
