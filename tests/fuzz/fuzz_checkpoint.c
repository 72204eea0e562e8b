/* fuzz_checkpoint.c - fuzzes what checkpoint_load reads of a checkpoint directory (core/checkpoint.c):
 * config.json (the LlamaConfig keys) and model.safetensors (8-byte header length, JSON header, tensor data).
 *
 * Input: the bytes of config.json, then the separator FUZZ_ST_SEP, then the bytes of model.safetensors; without
 * the separator the input is config.json alone and only checkpoint_read_config runs. tokenizer.json is the
 * default alphabet's (103 tokens), so config.json needs "vocab_size": 103 to get as far as the weights.
 * Suggested -max_len: 16384 (the seed models have a few hundred parameters).
 *
 * The files go to a private temporary directory, and the product reads them by path as --init and --resume do.
 * A config.json for a model of more than FUZZ_MAX_PARAMS parameters is parsed but not loaded: allocating a huge
 * model is a memory limit, not a parser bug, and would only slow the fuzzer down.
 *
 * A checkpoint that loads must have supplied every tensor of its model: the header names exactly as many tensors
 * as the model has (none may keep its initial values unseen). A difference aborts. */
#include "core/checkpoint.h"
#include "tests/fuzz/fuzz_files.h"
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#define FUZZ_ST_SEP "\n--model.safetensors--\n"
#define FUZZ_MAX_PARAMS (1u << 16)

static const char TOKENIZER_JSON[] =
    "{\"type\": \"grpo-studio-char\", \"version\": 1, \"specials\": [\"<pad>\", \"<bos>\", \"<eos>\", \"<think>\", "
    "\"</think>\", \"<answer>\", \"</answer>\"], \"alphabet\": \"\\n !\\\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMN"
    "OPQRSTUVWXYZ[\\\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\"}";

/* Finds sep in data: the length before it, and *rest / *rest_size after it; without sep, the whole input is the
 * first part and *rest is NULL. */
static size_t split_at(const uint8_t *data, size_t size, const char *sep, const uint8_t **rest, size_t *rest_size) {
    size_t k = strlen(sep);
    for (size_t i = 0; i + k <= size; i++)
        if (memcmp(data + i, sep, k) == 0) {
            *rest = data + i + k;
            *rest_size = size - i - k;
            return i;
        }
    *rest = NULL;
    *rest_size = 0;
    return size;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    fuzz_write("tokenizer.json", TOKENIZER_JSON, sizeof TOKENIZER_JSON - 1);
    return 0;
}

/* Floats in the model's parameters (config.json's limits keep the count far below SIZE_MAX). */
static double param_count(const ModelConfig *c) { return (double)model_n_params(c); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *st;
    size_t st_size, config_size = split_at(data, size, FUZZ_ST_SEP, &st, &st_size);
    char err[1024];
    ModelConfig cfg;
    fuzz_write("config.json", data, config_size);
    if (!st) {
        checkpoint_read_config(fuzz_dir(), &cfg, NULL, err, sizeof err);
        return 0;
    }
    fuzz_write("model.safetensors", st, st_size);
    if (checkpoint_read_config(fuzz_dir(), &cfg, NULL, err, sizeof err) != 0 || param_count(&cfg) > FUZZ_MAX_PARAMS)
        return 0;
    Model m;
    Tokenizer tok;
    memset(&m, 0, sizeof m);
    if (checkpoint_load(fuzz_dir(), &m, &tok, NULL, NULL, err, sizeof err) != 0) return 0;
    ModelTensorInfo ti;
    int n_model = 0;
    while (model_tensor_info(&m, n_model, &ti)) n_model++;
    uint64_t hlen;
    memcpy(&hlen, st, 8);   /* it loaded, so the length and the header are valid */
    json_t *h = json_loadb((const char *)st + 8, hlen, 0, NULL);
    int n_header = (int)json_object_size(h) - (json_object_get(h, "__metadata__") != NULL);
    json_decref(h);
    if (n_header != n_model) {
        fprintf(stderr, "checkpoint loaded from a header of %d tensors, but the model has %d\n", n_header, n_model);
        abort();
    }
    model_free(&m);
    return 0;
}
