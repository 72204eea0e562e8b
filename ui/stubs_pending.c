/* stubs_pending.c - commands not written yet answer with a clear message. Each is removed from here when its
 * ui/cmd_<name>.c lands. */
#include "ui/commands.h"
#include <stdio.h>

#define PENDING(name) \
    int cmd_##name(int argc, char **argv) { (void)argc; (void)argv; \
        fprintf(stderr, "grpo-studio " #name ": not available in this build yet\n"); return 1; }
