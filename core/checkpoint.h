/* checkpoint.h - checkpoints as a directory: model.safetensors (Hugging Face llama names), config.json (LlamaConfig
 * keys), tokenizer.json, optimizer.bin (AdamW moments), trainer.json (step, RNG, hyperparameters as INI text).
 * Written to <dir>.tmp-<pid>, each file fsync'd, then renamed over <dir>: a crash never leaves half a checkpoint.
 * Loading validates every header field, shape, dtype and byte range.
 *
 * The same loader opens Hugging Face model folders: config.json of LlamaForCausalLM, MistralForCausalLM,
 * Qwen2ForCausalLM or Qwen3ForCausalLM, weights in F32, BF16 or F16 (converted to fp32), in model.safetensors or
 * in shards listed by model.safetensors.index.json, end-of-sequence ids from generation_config.json (the
 * tokenizer's stop ids). Such a folder has no trainer.json, and its tokenizer.json is a Hugging Face tokenizer
 * (tokenizer.h: the BPE kind), which CheckpointInfo names. A config feature the model does not
 * have (sliding window, mixture of experts, rope scaling other than llama3, another activation, MLP or o_proj
 * biases) is refused with the file, key and value. checkpoint_export writes a model back in the dtype and with the
 * config keys and tokenizer files of the folder it came from. */
#ifndef GRPO_CHECKPOINT_H
#define GRPO_CHECKPOINT_H
#include "core/model.h"
#include "core/optim.h"
#include "core/tokenizer.h"
#include "core/rng.h"
#include "core/dtype.h"
#include <stddef.h>

/* What kind of tokenizer a checkpoint folder holds. */
typedef enum {
    CKPT_TOK_CHAR = 0, /* our character tokenizer (tokenizer.json of type grpo-studio-char): Tokenizer filled */
    CKPT_TOK_HF,       /* a Hugging Face tokenizer.json (BPE, ...): not read here, the Tokenizer is left as it was */
    CKPT_TOK_NONE,     /* no tokenizer.json */
} CheckpointTokKind;

#define CKPT_MAX_EOS 8
#define CKPT_PATH_MAX 4096

/* What a loaded folder was, beyond the ModelConfig: enough to write the model back as it came. */
typedef struct {
    char dir[CKPT_PATH_MAX];  /* the folder it was read from */
    char architecture[48];    /* "LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM" */
    char model_type[16];      /* "llama", "mistral", "qwen2", "qwen3" */
    Dtype dtype;              /* the weights' dtype (torch_dtype, or the tensors' when config.json has none) */
    int n_shards;             /* safetensors files the weights were in (1: model.safetensors) */
    CheckpointTokKind tokenizer;
    int bos_id;               /* config.json's bos_token_id, or -1 */
    int n_eos;                /* end-of-sequence ids: generation_config.json's when it has them, else config.json's */
    int eos_ids[CKPT_MAX_EOS];
    char *config_text;        /* config.json as read (malloc'd): export keeps its keys */
} CheckpointInfo;

/* Frees config_text and zeroes the struct; accepts a zeroed one. */
void checkpoint_info_free(CheckpointInfo *info);

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

/* Loads the model of any checkpoint folder, ours or a Hugging Face one: initialises m (zeroed or freed before),
 * fills tok with the folder's tokenizer (tok may be NULL; zeroed when the folder has none, info->tokenizer ==
 * CKPT_TOK_NONE; pair with tokenizer_free), and info (may be NULL; free with checkpoint_info_free). No optimizer or
 * trainer state. Returns 0, or -1 with err naming the file, key or tensor and what is wrong; on error nothing
 * needs freeing. checkpoint_load, checkpoint_check and checkpoint_read_config with a non-NULL tok refuse a folder
 * without a tokenizer, saying so. */
int checkpoint_open(const char *dir, Model *m, Tokenizer *tok, CheckpointInfo *info, char *err, size_t errlen);

/* What a folder holds without reading its weights: config.json into cfg and info (free with checkpoint_info_free),
 * every weight file's header checked against it. Returns 0 or -1 with err. */
int checkpoint_inspect(const char *dir, ModelConfig *cfg, CheckpointInfo *info, char *err, size_t errlen);

/* Writes m as a Hugging Face model folder shaped like the one src describes: model.safetensors in src->dtype
 * (rounded to nearest even; the weights of an unchanged model come back bit for bit), config.json with src's
 * keys and the sizes of m, and the tokenizer and generation files of src->dir copied. Atomic as
 * checkpoint_save. Returns 0 or -1 with err. */
int checkpoint_export(const char *dir, const Model *m, const CheckpointInfo *src, char *err, size_t errlen);

/* SHA-256 of a file as 64 hex characters into hex (65 bytes). Returns 0 or -1. */
int checkpoint_file_sha256(const char *path, char hex[65]);

#endif
