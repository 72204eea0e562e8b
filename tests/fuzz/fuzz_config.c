/* fuzz_config.c - fuzzes the experiment configuration as the command line reads it: an INI file, then the
 * `--set section.key=value` arguments, then the cross-key checks (core/config.c, as ui/cli.c calls it).
 *
 * Input: the INI text, then optionally a NUL byte and the --set arguments separated by NUL bytes. (A config file
 * with a NUL is refused by config_load_file before parsing, and an argument cannot hold one, so NUL is free to
 * split the input.) Suggested -max_len: 8192 (the configs of the repository are 1-5 kB).
 *
 * Beyond "no crash, no leak", a config that loads and passes config_finish must survive the trip through
 * config_to_ini (the text stored in the run database and in trainer.json, which --resume reads back): reloading it
 * over the defaults gives a config that passes config_finish and writes the same text. A difference aborts. */
#include "core/config.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    size_t ini_len = strlen(text);

    Config c;
    char err[1024];
    config_defaults(&c);
    int ok = config_load_string(&c, text, "fuzz.ini", err, sizeof err) == 0;
    for (size_t at = ini_len + 1; ok && at <= size; at += strlen(text + at) + 1)
        ok = config_set(&c, text + at, err, sizeof err) == 0;
    if (ok) ok = config_finish(&c, err, sizeof err) == 0;
    if (ok) {
        char *ini = config_to_ini(&c);
        if (ini) {
            Config d;
            config_defaults(&d);
            if (config_load_string(&d, ini, "config_to_ini", err, sizeof err) != 0 ||
                config_finish(&d, err, sizeof err) != 0) {
                fprintf(stderr, "config_to_ini wrote text that does not load back: %s\n---\n%s---\n", err, ini);
                abort();
            }
            char *again = config_to_ini(&d);
            if (again && strcmp(ini, again) != 0) {
                fprintf(stderr, "config_to_ini changed on a round trip:\n---\n%s---\n%s---\n", ini, again);
                abort();
            }
            free(again);
            free(ini);
        }
    }
    free(text);
    return 0;
}
