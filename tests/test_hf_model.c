/* test_hf_model.c - Hugging Face model folders: the four architectures' tiny fixtures (tests/fixtures/hf, made by
 * make_hf_fixtures.py) opened and run against an independent PyTorch forward, KV-cache decoding against the full
 * forward, config.json features that are refused by name, broken weights files, export round trips, and the
 * BF16/F16 conversions against PyTorch's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/checkpoint.h"
#include "core/dtype.h"
#include "core/kernels.h"
#include "core/model.h"

static char g_root[64]; /* a fresh temporary directory per test run */
static const char *const ARCHS[4] = {"llama", "mistral", "qwen2", "qwen3"};

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static int setup(void **state) {
    (void)state;
    snprintf(g_root, sizeof g_root, "/tmp/grpo-test-hf-XXXXXX");
    return mkdtemp(g_root) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    nftw(g_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

static void assert_contains(const char *text, const char *part) {
    if (!strstr(text, part)) fail_msg("expected \"%s\" in: %s", part, text);
}

static void fixture_dir(char *out, size_t n, const char *arch) {
    snprintf(out, n, "%s/tests/fixtures/hf/%s", GRPO_SOURCE_DIR, arch);
}

static unsigned char *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    assert_int_equal(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    b[len] = 0;
    *n = (size_t)len;
    return b;
}

static void write_all(const char *path, const void *b, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* copies fixture `arch` to g_root/<name> (a flat folder) and puts its path in out */
static void copy_fixture(const char *arch, const char *name, char *out, size_t n) {
    char src[512], from[768], to[768];
    fixture_dir(src, sizeof src, arch);
    snprintf(out, n, "%s/%s", g_root, name);
    mkdir(out, 0755);
    static const char *const files[] = {"config.json", "tokenizer.json", "tokenizer_config.json",
                                        "generation_config.json", "model.safetensors", "model.safetensors.index.json",
                                        "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(from, sizeof from, "%s/%s", src, files[i]);
        if (access(from, F_OK) != 0) continue;
        snprintf(to, sizeof to, "%s/%s", out, files[i]);
        size_t len;
        unsigned char *b = read_all(from, &len);
        write_all(to, b, len);
        free(b);
    }
}

/* the reference: T tokens and the (T, V) logits of PyTorch's float64 forward (stored as float32) */
typedef struct { int T, V, *tok; float *logits; } Ref;

static Ref read_ref(const char *arch) {
    char path[512];
    snprintf(path, sizeof path, "%s/tests/fixtures/hf/%s.ref", GRPO_SOURCE_DIR, arch);
    size_t n;
    unsigned char *b = read_all(path, &n);
    Ref r;
    memcpy(&r.T, b, 4);
    memcpy(&r.V, b + 4, 4);
    assert_int_equal(n, 8 + (size_t)r.T * 4 + (size_t)r.T * r.V * 4);
    r.tok = malloc(sizeof(int) * r.T);
    r.logits = malloc(sizeof(float) * r.T * r.V);
    memcpy(r.tok, b + 8, (size_t)r.T * 4);
    memcpy(r.logits, b + 8 + (size_t)r.T * 4, (size_t)r.T * r.V * 4);
    free(b);
    return r;
}

static void free_ref(Ref *r) { free(r->tok), free(r->logits); }

static void open_fixture(const char *dir, Model *m, CheckpointInfo *info) {
    char err[512] = "";
    if (checkpoint_open(dir, m, NULL, info, err, sizeof err) != 0) fail_msg("%s", err);
}

/* logits of every position of one sequence */
static float *full_logits(const Model *m, const int *tok, int T) {
    ModelActs *a = model_acts_new_inference(&m->cfg, (size_t)T);
    assert_non_null(a);
    model_forward(m, a, tok, 1, T);
    int *rows = malloc(sizeof(int) * T);
    for (int t = 0; t < T; t++) rows[t] = t;
    float *out = malloc(sizeof(float) * T * m->cfg.V);
    model_logits_rows(a, rows, T, out);
    free(rows);
    model_acts_free(a);
    return out;
}

/* max |a - b| over max |b|: the relative error of a whole set of logits */
static double rel_err(const float *a, const float *b, size_t n) {
    double d = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        s = fmax(s, fabs((double)b[i]));
    }
    return d / s;
}

/* ------------------------------------------------------------------------------------ against PyTorch */

static void test_logits_match_pytorch(void **state) {
    (void)state;
    static const struct { const char *arch, *name; Dtype dt; int shards, tied, KVH, D, bias, qkn, rope, n_eos, eos0; }
    want[4] = {
        {"llama", "LlamaForCausalLM", DTYPE_BF16, 1, 1, 2, 12, 0, 0, MODEL_ROPE_LLAMA3, 2, 2},
        {"mistral", "MistralForCausalLM", DTYPE_F32, 1, 0, 2, 12, 0, 0, MODEL_ROPE_DEFAULT, 1, 2},
        {"qwen2", "Qwen2ForCausalLM", DTYPE_F16, 1, 1, 2, 12, 1, 0, MODEL_ROPE_DEFAULT, 2, 3},
        {"qwen3", "Qwen3ForCausalLM", DTYPE_BF16, 2, 0, 2, 16, 0, 1, MODEL_ROPE_DEFAULT, 1, 3},
    };
    for (int i = 0; i < 4; i++) {
        char dir[512];
        fixture_dir(dir, sizeof dir, want[i].arch);
        Model m;
        CheckpointInfo info;
        open_fixture(dir, &m, &info);
        assert_string_equal(info.architecture, want[i].name);
        assert_string_equal(info.model_type, want[i].arch);
        assert_int_equal(info.dtype, want[i].dt);
        assert_int_equal(info.n_shards, want[i].shards);
        assert_int_equal(info.tokenizer, CKPT_TOK_HF);
        assert_int_equal(info.n_eos, want[i].n_eos);
        assert_int_equal(info.eos_ids[0], want[i].eos0);
        assert_int_equal(m.cfg.tied, want[i].tied);
        assert_int_equal(model_kv_heads(&m.cfg), want[i].KVH);
        assert_int_equal(model_head_dim(&m.cfg), want[i].D);
        assert_int_equal(m.cfg.qkv_bias, want[i].bias);
        assert_int_equal(m.cfg.qk_norm, want[i].qkn);
        assert_int_equal(m.cfg.rope_type, want[i].rope);
        Ref r = read_ref(want[i].arch);
        assert_int_equal(r.V, m.cfg.V);
        float *lg = full_logits(&m, r.tok, r.T);
        double e = rel_err(lg, r.logits, (size_t)r.T * r.V);
        printf("  %-8s %-5s logits vs PyTorch: max |difference| / max |logit| = %.2e\n", want[i].arch,
               dtype_st_name(info.dtype), e);
        assert_true(e < 1e-4);
        free(lg);
        free_ref(&r);
        checkpoint_info_free(&info);
        model_free(&m);
    }
}

/* prefill of a prompt, then decode steps one token at a time: each step's logits equal the full forward's */
static void test_kv_decode_matches_forward(void **state) {
    (void)state;
    for (int i = 0; i < 4; i++) {
        char dir[512];
        fixture_dir(dir, sizeof dir, ARCHS[i]);
        Model m;
        CheckpointInfo info;
        open_fixture(dir, &m, &info);
        Ref r = read_ref(ARCHS[i]);
        int V = m.cfg.V, T = r.T, P = 5, B = 2;
        float *full = full_logits(&m, r.tok, T);
        ModelKV *kv = model_kv_new(&m.cfg, B, T);
        assert_non_null(kv);
        /* two rows: the sequence's first P tokens, and its first P - 2 (padded) */
        int prompt[2 * 5], lens[2] = {P, P - 2};
        for (int t = 0; t < P; t++) prompt[t] = r.tok[t], prompt[P + t] = t < P - 2 ? r.tok[t] : 0;
        float *logits = malloc(sizeof(float) * B * V);
        model_prefill(&m, kv, prompt, lens, B, P, logits);
        double worst = rel_err(logits, full + (size_t)(P - 1) * V, V);
        worst = fmax(worst, rel_err(logits + V, full + (size_t)(P - 3) * V, V));
        int pos[2] = {P, P - 2};
        while (pos[0] < T) {
            int tok[2] = {r.tok[pos[0]], r.tok[pos[1]]};
            model_decode(&m, kv, tok, pos, NULL, B, logits);
            worst = fmax(worst, rel_err(logits, full + (size_t)pos[0] * V, V));
            worst = fmax(worst, rel_err(logits + V, full + (size_t)pos[1] * V, V));
            pos[0]++, pos[1]++;
        }
        printf("  %-8s prefill + %d decode steps vs full forward: %.2e\n", ARCHS[i], T - P, worst);
        assert_true(worst < 1e-5);
        free(logits);
        free(full);
        model_kv_free(kv);
        free_ref(&r);
        checkpoint_info_free(&info);
        model_free(&m);
    }
}

/* ------------------------------------------------------------------------------------ config.json refusals */

static void edit_config(const char *dir, const char *key, json_t *value) {
    char path[768];
    snprintf(path, sizeof path, "%s/config.json", dir);
    json_t *j = json_load_file(path, 0, NULL);
    assert_non_null(j);
    if (value) json_object_set_new(j, key, value);
    else json_object_del(j, key);
    assert_int_equal(json_dump_file(j, path, JSON_INDENT(2)), 0);
    json_decref(j);
}

static void test_config_refusals(void **state) {
    (void)state;
    const struct { const char *arch, *key; json_t *value; const char *expect[2]; } cases[] = {
        {"qwen2", "use_sliding_window", json_true(), {"\"use_sliding_window\" = true", "whole context"}},
        {"mistral", "sliding_window", json_integer(64), {"\"sliding_window\" = 64", "not supported"}},
        {"qwen3", "num_experts", json_integer(8), {"\"num_experts\" = 8", "mixture of experts"}},
        {"mistral", "num_local_experts", json_integer(8), {"\"num_local_experts\" = 8", "mixture of experts"}},
        {"llama", "rope_scaling", json_pack("{s:s, s:f}", "rope_type", "yarn", "factor", 4.0),
         {"\"rope_scaling.rope_type\" = \"yarn\"", "only llama3"}},
        {"qwen2", "rope_scaling", json_pack("{s:s, s:f}", "type", "linear", "factor", 2.0),
         {"\"linear\"", "only llama3"}},
        {"llama", "hidden_act", json_string("gelu"), {"\"hidden_act\" = \"gelu\"", "silu"}},
        {"llama", "mlp_bias", json_true(), {"\"mlp_bias\" = true", "no biases"}},
        {"qwen3", "attention_bias", json_true(), {"\"attention_bias\" = true", "o_proj"}},
        {"llama", "architectures", json_pack("[s]", "GPT2LMHeadModel"), {"GPT2LMHeadModel", "expected one of"}},
        {"qwen2", "torch_dtype", json_string("float64"), {"\"torch_dtype\" = \"float64\"", "bfloat16"}},
        {"qwen2", "model_type", json_string("llama"), {"\"model_type\" must be \"qwen2\"", NULL}},
        {"llama", "num_key_value_heads", json_integer(3), {"num_attention_heads = 4", "num_key_value_heads = 3"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char dir[256], name[32], err[512] = "";
        snprintf(name, sizeof name, "refuse-%zu", i);
        copy_fixture(cases[i].arch, name, dir, sizeof dir);
        edit_config(dir, cases[i].key, cases[i].value);
        Model m;
        if (checkpoint_open(dir, &m, NULL, NULL, err, sizeof err) == 0) fail_msg("case %zu accepted", i);
        assert_null(m.params_mem);
        assert_contains(err, "config.json");
        for (int k = 0; k < 2 && cases[i].expect[k]; k++) assert_contains(err, cases[i].expect[k]);
    }
    /* accepted: a Mistral window at least as long as the context is never applied; rope_scaling null */
    char dir[256], err[512] = "";
    copy_fixture("mistral", "window-ok", dir, sizeof dir);
    edit_config(dir, "sliding_window", json_integer(128));
    edit_config(dir, "rope_scaling", json_null());
    Model m;
    if (checkpoint_open(dir, &m, NULL, NULL, err, sizeof err) != 0) fail_msg("%s", err);
    model_free(&m);
}

/* A Hugging Face folder's tokenizer.json is read as the BPE kind by every loader; its eos is the tokenizer's
 * <|endoftext|> (config.json / generation_config.json's would stand in when it names none), and
 * generation_config's ids all end a completion too. */
static void test_hf_tokenizer_reported(void **state) {
    (void)state;
    char dir[512], err[512] = "";
    fixture_dir(dir, sizeof dir, "qwen2");
    Model m;
    Tokenizer tok;
    CheckpointInfo info;
    assert_int_equal(checkpoint_open(dir, &m, &tok, &info, err, sizeof err), 0);
    assert_int_equal(info.tokenizer, CKPT_TOK_HF);
    assert_int_equal(tok.kind, TOKENIZER_BPE);
    assert_true(tok.V <= m.cfg.V);
    assert_true(info.n_eos >= 1);
    assert_int_equal(tok.eos, bpe_token_id(tok.bpe, "<|endoftext|>"));
    assert_true(tok.eos >= 0 && tok.eos != info.eos_ids[0]);
    for (int i = 0; i < info.n_eos; i++) assert_true(tokenizer_is_end(&tok, info.eos_ids[i]));
    tokenizer_free(&tok);
    checkpoint_info_free(&info);
    model_free(&m);
    assert_int_equal(checkpoint_load(dir, &m, &tok, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(tok.kind, TOKENIZER_BPE);
    tokenizer_free(&tok);
    model_free(&m);
    ModelConfig cfg;
    assert_int_equal(checkpoint_check(dir, &cfg, &tok, err, sizeof err), 0);
    assert_int_equal(tok.kind, TOKENIZER_BPE);
    tokenizer_free(&tok);
    /* without a tokenizer, the model loads through checkpoint_load too */
    assert_int_equal(checkpoint_load(dir, &m, NULL, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(m.cfg.qkv_bias, 1);
    model_free(&m);
}

/* ------------------------------------------------------------------------------------ broken weights */

static void test_broken_weights(void **state) {
    (void)state;
    char dir[256], path[512], err[512] = "";
    Model m;
    /* the second shard cut short: its last tensor's bytes are not all there */
    copy_fixture("qwen3", "trunc", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/model-00002-of-00002.safetensors", dir);
    size_t n;
    unsigned char *b = read_all(path, &n);
    write_all(path, b, n - 100);
    assert_int_equal(checkpoint_open(dir, &m, NULL, NULL, err, sizeof err), -1);
    assert_contains(err, "model-00002-of-00002.safetensors");
    assert_contains(err, "out of range");
    assert_null(m.params_mem);
    /* and cut inside its header */
    write_all(path, b, 20);
    assert_int_equal(checkpoint_open(dir, &m, NULL, NULL, err, sizeof err), -1);
    assert_contains(err, "model-00002-of-00002.safetensors: header length");
    free(b);
    /* a shard the index names is missing */
    copy_fixture("qwen3", "noshard", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/model-00001-of-00002.safetensors", dir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(checkpoint_open(dir, &m, NULL, NULL, err, sizeof err), -1);
    assert_contains(err, "model-00001-of-00002.safetensors: missing");
    /* a BF16 file whose header claims F32: the byte ranges are half what F32 needs */
    copy_fixture("llama", "dtype", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    b = read_all(path, &n);
    uint64_t hlen;
    memcpy(&hlen, b, 8);
    for (size_t k = 8; k + 6 < 8 + hlen; k++)
        if (!memcmp(b + k, "\"BF16\"", 6)) memcpy(b + k, "\"F32\" ", 6); /* every tensor */
    write_all(path, b, n);
    free(b);
    assert_int_equal(checkpoint_open(dir, &m, NULL, NULL, err, sizeof err), -1);
    assert_contains(err, "model.safetensors: tensor");
    assert_contains(err, "of F32 needs");
    /* an unknown dtype */
    b = read_all(path, &n);
    for (size_t k = 8; k + 6 < 8 + hlen; k++)
        if (!memcmp(b + k, "\"F32\" ", 6)) memcpy(b + k, "\"I16\" ", 6);
    write_all(path, b, n);
    free(b);
    assert_int_equal(checkpoint_open(dir, &m, NULL, NULL, err, sizeof err), -1);
    assert_contains(err, "dtype I16, but only F32, BF16 and F16 are supported");
    /* the index puts a tensor in the other shard */
    copy_fixture("qwen3", "index", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
    json_t *j = json_load_file(path, 0, NULL);
    json_object_set_new(json_object_get(j, "weight_map"), "model.norm.weight",
                        json_string("model-00001-of-00002.safetensors"));
    assert_int_equal(json_dump_file(j, path, 0), 0);
    json_decref(j);
    assert_int_equal(checkpoint_open(dir, &m, NULL, NULL, err, sizeof err), -1);
    assert_contains(err, "tensor model.norm.weight is in this file but model.safetensors.index.json puts it in");
}

/* ------------------------------------------------------------------------------------ export */

/* open -> export -> open: the same config, bit-identical weights, the file in the source's dtype, the source's
 * config keys and tokenizer files; and an export of the export is byte-identical to it. */
static void test_export_round_trip(void **state) {
    (void)state;
    for (int i = 0; i < 4; i++) {
        char src[512], out[256], out2[256], path[768], path2[768], err[512] = "";
        fixture_dir(src, sizeof src, ARCHS[i]);
        snprintf(out, sizeof out, "%s/export-%s", g_root, ARCHS[i]);
        snprintf(out2, sizeof out2, "%s/export2-%s", g_root, ARCHS[i]);
        Model m, m2, m3;
        CheckpointInfo info, info2, info3;
        open_fixture(src, &m, &info);
        if (checkpoint_export(out, &m, &info, err, sizeof err) != 0) fail_msg("%s", err);
        open_fixture(out, &m2, &info2);
        assert_memory_equal(&m2.cfg, &m.cfg, sizeof m.cfg);
        assert_int_equal(m2.n_params, m.n_params);
        assert_memory_equal(m2.params_mem, m.params_mem, m.n_params * sizeof(float));
        assert_int_equal(info2.dtype, info.dtype);
        assert_int_equal(info2.n_eos, info.n_eos);
        assert_string_equal(info2.architecture, info.architecture);
        /* one file of n_params elements of the dtype, plus its header */
        snprintf(path, sizeof path, "%s/model.safetensors", out);
        size_t n;
        unsigned char *b = read_all(path, &n);
        uint64_t hlen;
        memcpy(&hlen, b, 8);
        assert_int_equal(n - 8 - hlen, m.n_params * dtype_size(info.dtype));
        free(b);
        /* the source's keys are kept */
        json_t *a = json_loads(info.config_text, 0, NULL), *c = json_loads(info2.config_text, 0, NULL);
        assert_true(json_equal(a, c));
        json_decref(a), json_decref(c);
        static const char *const copied[] = {"tokenizer.json", "tokenizer_config.json"};
        for (int k = 0; k < 2; k++) {
            size_t n1, n2;
            snprintf(path, sizeof path, "%s/%s", src, copied[k]);
            snprintf(path2, sizeof path2, "%s/%s", out, copied[k]);
            unsigned char *x = read_all(path, &n1), *y = read_all(path2, &n2);
            assert_int_equal(n1, n2);
            assert_memory_equal(x, y, n1);
            free(x), free(y);
        }
        /* the weights bytes: exporting the export again writes the same file */
        if (checkpoint_export(out2, &m2, &info2, err, sizeof err) != 0) fail_msg("%s", err);
        open_fixture(out2, &m3, &info3);
        snprintf(path, sizeof path, "%s/model.safetensors", out);
        snprintf(path2, sizeof path2, "%s/model.safetensors", out2);
        size_t n1, n2;
        unsigned char *x = read_all(path, &n1), *y = read_all(path2, &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(x, y, n1);
        free(x), free(y);
        printf("  %-8s export round trip: %zu parameters bit-identical, %s\n", ARCHS[i], m.n_params,
               dtype_st_name(info.dtype));
        checkpoint_info_free(&info), checkpoint_info_free(&info2), checkpoint_info_free(&info3);
        model_free(&m), model_free(&m2), model_free(&m3);
    }
}

/* the source's tensors, element by element: the export of a 16-bit model holds exactly the source's bits */
static void test_export_bits_match_source(void **state) {
    (void)state;
    char src[512], out[256], err[512] = "";
    fixture_dir(src, sizeof src, "qwen2"); /* F16, one file */
    snprintf(out, sizeof out, "%s/export-bits", g_root);
    Model m;
    CheckpointInfo info;
    open_fixture(src, &m, &info);
    if (checkpoint_export(out, &m, &info, err, sizeof err) != 0) fail_msg("%s", err);
    char p1[768], p2[768];
    snprintf(p1, sizeof p1, "%s/model.safetensors", src);
    snprintf(p2, sizeof p2, "%s/model.safetensors", out);
    size_t n1, n2;
    unsigned char *a = read_all(p1, &n1), *b = read_all(p2, &n2);
    uint64_t h1, h2;
    memcpy(&h1, a, 8), memcpy(&h2, b, 8);
    json_t *ja = json_loadb((char *)a + 8, h1, 0, NULL), *jb = json_loadb((char *)b + 8, h2, 0, NULL);
    const char *name;
    json_t *ea;
    int tensors = 0;
    json_object_foreach(ja, name, ea) {
        if (!strcmp(name, "__metadata__")) continue;
        json_t *eb = json_object_get(jb, name);
        assert_non_null(eb);
        assert_string_equal(json_string_value(json_object_get(eb, "dtype")), "F16");
        json_int_t a0 = json_integer_value(json_array_get(json_object_get(ea, "data_offsets"), 0));
        json_int_t a1 = json_integer_value(json_array_get(json_object_get(ea, "data_offsets"), 1));
        json_int_t b0 = json_integer_value(json_array_get(json_object_get(eb, "data_offsets"), 0));
        json_int_t b1 = json_integer_value(json_array_get(json_object_get(eb, "data_offsets"), 1));
        assert_int_equal(a1 - a0, b1 - b0);
        assert_memory_equal(a + 8 + h1 + a0, b + 8 + h2 + b0, (size_t)(a1 - a0));
        tensors++;
    }
    assert_int_equal(tensors, 1 + 12 * 2 + 1); /* embed; 9 + 3 biases a layer; norm (tied) */
    json_decref(ja), json_decref(jb);
    free(a), free(b);
    checkpoint_info_free(&info);
    model_free(&m);
}

/* our own checkpoints of a model with the families' features: config.json names Qwen3 (q/k norms) or Qwen2
 * (biases) or Llama, with the key/value heads, head size and llama3 rope; load gives back the same config and
 * weights, and the folder opens as that architecture */
static void test_own_checkpoint_of_hf_features(void **state) {
    (void)state;
    Tokenizer tok;
    char why[256], err[512] = "", dir[256];
    assert_int_equal(tokenizer_init(&tok, "abcdefghijklmnopqrstuvwxyz 0123456789", why, sizeof why), 0);
    static const char *const arch[3] = {"Qwen3ForCausalLM", "Qwen2ForCausalLM", "LlamaForCausalLM"};
    for (int k = 0; k < 3; k++) {
        ModelConfig c = {.V = tok.V, .C = 24, .L = 2, .H = 4, .F = 40, .max_T = 64, .rope_theta = 10000.0f,
                         .norm_eps = 1e-5f, .tied = k != 1, .n_kv_heads = 2, .head_dim = 8, .qkv_bias = k == 1,
                         .qk_norm = k == 0, .rope_type = k == 2 ? MODEL_ROPE_LLAMA3 : MODEL_ROPE_DEFAULT,
                         .rope_factor = k == 2 ? 8.0f : 0, .rope_low_freq_factor = k == 2 ? 1.0f : 0,
                         .rope_high_freq_factor = k == 2 ? 4.0f : 0, .rope_original_max_T = k == 2 ? 16 : 0};
        Model m, m2;
        assert_int_equal(model_init(&m, &c, 9 + k), 0);
        snprintf(dir, sizeof dir, "%s/own-%d", g_root, k);
        if (checkpoint_save(dir, &m, &tok, NULL, NULL, err, sizeof err) != 0) fail_msg("%s", err);
        Tokenizer t2;
        if (checkpoint_load(dir, &m2, &t2, NULL, NULL, err, sizeof err) != 0) fail_msg("%s", err);
        assert_memory_equal(&m2.cfg, &m.cfg, sizeof m.cfg);
        assert_memory_equal(m2.params_mem, m.params_mem, m.n_params * sizeof(float));
        assert_int_equal(t2.V, tok.V);
        model_free(&m2);
        CheckpointInfo info;
        if (checkpoint_open(dir, &m2, &t2, &info, err, sizeof err) != 0) fail_msg("%s", err);
        assert_string_equal(info.architecture, arch[k]);
        assert_int_equal(info.tokenizer, CKPT_TOK_CHAR);
        assert_int_equal(info.dtype, DTYPE_F32);
        checkpoint_info_free(&info);
        model_free(&m2);
        model_free(&m);
    }
}

/* ------------------------------------------------------------------------------------ dtypes */

static void test_dtype_conversions(void **state) {
    (void)state;
    /* every 16-bit pattern widens and narrows back to itself (NaNs stay NaN) */
    for (uint32_t h = 0; h < 65536; h++) {
        float fb = dtype_bf16_to_f32((uint16_t)h), fh = dtype_f16_to_f32((uint16_t)h);
        if (isnan(fb)) assert_true(isnan(dtype_bf16_to_f32(dtype_f32_to_bf16(fb))));
        else assert_int_equal(dtype_f32_to_bf16(fb), h);
        if (isnan(fh)) assert_true(isnan(dtype_f16_to_f32(dtype_f32_to_f16(fh))));
        else assert_int_equal(dtype_f32_to_f16(fh), h);
    }
    /* narrowing rounds as PyTorch does: nearest, ties to even, overflow to infinity, underflow through the
     * subnormals to zero */
    char path[512];
    snprintf(path, sizeof path, "%s/tests/fixtures/hf/dtype.ref", GRPO_SOURCE_DIR);
    size_t n;
    unsigned char *b = read_all(path, &n);
    int N;
    memcpy(&N, b, 4);
    assert_int_equal(n, 4 + (size_t)N * 8);
    for (int i = 0; i < N; i++) {
        float x;
        uint16_t bf, hf;
        memcpy(&x, b + 4 + 4 * (size_t)i, 4);
        memcpy(&bf, b + 4 + 4 * (size_t)N + 2 * (size_t)i, 2);
        memcpy(&hf, b + 4 + 6 * (size_t)N + 2 * (size_t)i, 2);
        if (dtype_f32_to_bf16(x) != bf) fail_msg("bf16 of %.9g: 0x%04x, PyTorch 0x%04x", x, dtype_f32_to_bf16(x), bf);
        if (dtype_f32_to_f16(x) != hf) fail_msg("f16 of %.9g: 0x%04x, PyTorch 0x%04x", x, dtype_f32_to_f16(x), hf);
    }
    printf("  %d values narrowed to BF16 and F16 as PyTorch does\n", N);
    free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dtype_conversions),
        cmocka_unit_test(test_logits_match_pytorch),
        cmocka_unit_test(test_kv_decode_matches_forward),
        cmocka_unit_test(test_config_refusals),
        cmocka_unit_test(test_hf_tokenizer_reported),
        cmocka_unit_test(test_broken_weights),
        cmocka_unit_test(test_export_round_trip),
        cmocka_unit_test(test_export_bits_match_source),
        cmocka_unit_test(test_own_checkpoint_of_hf_features),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
