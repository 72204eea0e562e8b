/* fuzz_tokenizer.c - fuzzes tokenizer.json of a checkpoint directory, read by checkpoint_read_config (and so by
 * checkpoint_load) in core/checkpoint.c: the schema name and version, the special tokens, and the alphabet as a
 * string or as byte values, then tokenizer_init over it.
 *
 * Input: the bytes of tokenizer.json. config.json is base-add's (vocab_size 103: 7 specials and 96 characters),
 * so an alphabet of another size parses and then fails the vocabulary check. Suggested -max_len: 4096.
 *
 * A tokenizer that loads must keep its contract decode(encode(s)) == s on its own alphabet (which may spell a
 * special token, so the ids may be fewer than the characters); a difference aborts. */
#include "core/checkpoint.h"
#include "tests/fuzz/fuzz_files.h"
#include <stdint.h>
#include <string.h>

static const char CONFIG_JSON[] =
    "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\", \"vocab_size\": 103, \"hidden_size\": 8,"
    " \"intermediate_size\": 8, \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"num_key_value_heads\": 2,"
    " \"max_position_embeddings\": 16, \"rms_norm_eps\": 1e-5, \"rope_theta\": 10000.0, \"tie_word_embeddings\": true,"
    " \"hidden_act\": \"silu\", \"torch_dtype\": \"float32\"}";

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    fuzz_write("config.json", CONFIG_JSON, sizeof CONFIG_JSON - 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[1024];
    Tokenizer tok;
    fuzz_write("tokenizer.json", data, size);
    if (checkpoint_read_config(fuzz_dir(), NULL, &tok, err, sizeof err) != 0) return 0;
    int ids[TOKENIZER_MAX_CHARS + 1];
    char back[4 * TOKENIZER_MAX_CHARS + 1];
    int n = tokenizer_encode(&tok, tok.chars, ids, TOKENIZER_MAX_CHARS + 1, err, sizeof err);
    if (n < 0 || tokenizer_decode(&tok, ids, n, back, sizeof back) != (int)strlen(tok.chars) ||
        strcmp(back, tok.chars) != 0) {
        fprintf(stderr, "tokenizer of %d characters does not round-trip its alphabet (encode gave %d: %s)\n",
                tok.n_chars, n, n < 0 ? err : "");
        abort();
    }
    return 0;
}
