/* fuzz_sft_jsonl.c - fuzzes the SFT data file (core/supervised.c): JSON lines {"prompt": ..., "completion": ...},
 * read, tokenized and batched by supervised_sft as the `sft` command does with sft.data.
 *
 * Input: the bytes of the file. Suggested -max_len: 16384.
 *
 * Each input is read for two tiny models (1 layer, d_model 8): one with a context of 32 tokens, so that longer
 * examples take the too-long path, and one with the shortest context a checkpoint's config.json may give (1
 * token: `sft --from` takes the model's context from there). One step of two rows is trained at the smallest
 * learning rate: that also runs the batching of whatever examples were read. One thread, so that each input
 * costs the same. */
#include "core/kernels.h"
#include "core/supervised.h"
#include "tests/fuzz/fuzz_files.h"
#include <stdint.h>
#include <string.h>

static const int CONTEXTS[2] = {32, 1};
static Model model[2];
static AdamW opt[2];
static Tokenizer tok;
static Config cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    char err[256];
    kernels_set_threads(1);
    if (tokenizer_init(&tok, TOKENIZER_DEFAULT_ALPHABET, err, sizeof err) != 0) abort();
    for (int i = 0; i < 2; i++) {
        ModelConfig mc = {.V = tok.V, .C = 8, .L = 1, .H = 2, .F = 8, .max_T = CONTEXTS[i], .norm_eps = 1e-5f,
                          .rope_theta = 1e4f, .tied = 1};
        if (model_init(&model[i], &mc, 1) != 0 || adamw_init(&opt[i], model[i].n_params) != 0) abort();
    }
    config_defaults(&cfg);
    cfg.sft.steps = 1;
    cfg.sft.batch_size = 2;
    cfg.sft.lr = 1e-7f;
    cfg.optim.warmup_steps = 0;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[1024];
    double loss;
    snprintf(cfg.sft.data, sizeof cfg.sft.data, "%.255s", fuzz_write("sft.jsonl", data, size));
    for (int i = 0; i < 2; i++) supervised_sft(&model[i], &opt[i], &tok, &cfg, NULL, &loss, err, sizeof err);
    return 0;
}
