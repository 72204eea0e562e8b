/* checkpoint.h - checkpoints as a directory: model.safetensors (Hugging Face llama names), config.json (LlamaConfig
 * keys), tokenizer.json, optimizer.bin (AdamW moments), trainer.json (step, RNG, hyperparameters as INI text).
 * Written to <dir>.tmp-<pid>, each file fsync'd, then renamed over <dir>: a crash never leaves half a checkpoint.
 * Loading validates every header field, shape, dtype and byte range. */
#ifndef GRPO_CHECKPOINT_H
#define GRPO_CHECKPOINT_H
#include "core/model.h"
#include "core/optim.h"
#include "core/tokenizer.h"
#include "core/rng.h"
#include <stddef.h>

typedef struct {
    int step;              /* steps trained */
    Rng rng;               /* the trainer's RNG */
    char *config_ini;      /* the config in force (with live changes), malloc'd; may be NULL */
    char kind[16];         /* "pretrain", "sft", "grpo" */
} TrainerState;

/* Writes a checkpoint. opt and st may be NULL (model only). Returns 0, or -1 with err naming the file and the
 * system error. */
int checkpoint_save(const char *dir, const Model *m, const Tokenizer *tok, const AdamW *opt,
                    const TrainerState *st, char *err, size_t errlen);

/* Reads config.json into cfg and tokenizer.json into tok without loading weights. Returns 0 or -1 with err. */
int checkpoint_read_config(const char *dir, ModelConfig *cfg, Tokenizer *tok, char *err, size_t errlen);

/* Reads config.json and tokenizer.json and checks model.safetensors' header (every tensor's name, dtype, shape and
 * byte range) against them without allocating the model or reading the weights. cfg and tok may be NULL.
 * Returns 0 or -1 with err naming the file and what is wrong. */
int checkpoint_check(const char *dir, ModelConfig *cfg, Tokenizer *tok, char *err, size_t errlen);

/* Loads a checkpoint: initialises m from config.json (m must be zeroed or freed) and reads the weights; opt and st
 * are filled when not NULL and present (opt is initialised by the call). Returns 0, or -1 with err saying which
 * file and what is wrong (missing tensor, wrong shape, bad header, truncated data, ...): the header is checked
 * against config.json before the model is allocated. On error nothing needs
 * freeing. st->config_ini is malloc'd; the caller frees it. */
int checkpoint_load(const char *dir, Model *m, Tokenizer *tok, AdamW *opt, TrainerState *st,
                    char *err, size_t errlen);

/* SHA-256 of a file as 64 hex characters into hex (65 bytes). Returns 0 or -1. */
int checkpoint_file_sha256(const char *path, char hex[65]);

#endif
