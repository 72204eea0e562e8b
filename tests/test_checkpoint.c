/* test_checkpoint.c - checkpoint directories: a bit-exact round trip of every tensor, the optimizer and the trainer
 * state; saving over an existing checkpoint; and damaged checkpoints (truncated, bad header JSON, wrong shape,
 * wrong dtype, missing or extra tensor, offsets out of range or overlapping, trailing bytes, NaN, missing or
 * inconsistent config.json / tokenizer.json, bad optimizer.bin / trainer.json) each rejected with a message that
 * names the file, the tensor and the problem. The damage is done by rewriting the files here, with jansson. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <ftw.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/checkpoint.h"
#include "core/config.h"
#include "core/rng.h"

static char g_root[64];   /* a fresh temporary directory per test run */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}
static void rm_tree(const char *path) { nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

static int setup(void **state) {
    (void)state;
    snprintf(g_root, sizeof(g_root), "/tmp/grpo-test-ckpt-XXXXXX");
    return mkdtemp(g_root) ? 0 : -1;
}
static int teardown(void **state) {
    (void)state;
    rm_tree(g_root);
    return 0;
}

static void assert_contains(const char *text, const char *part) {
    if (!strstr(text, part)) fail_msg("expected \"%s\" in: %s", part, text);
}

static ModelConfig small_config(int tied) {
    ModelConfig c;
    memset(&c, 0, sizeof(c));
    c.V = TOK_N_SPECIAL + (int)strlen(TOKENIZER_DEFAULT_ALPHABET);
    c.C = 16;
    c.L = 2;
    c.H = 2;
    c.F = 24;
    c.max_T = 32;
    c.rope_theta = 10000.0f;
    c.norm_eps = 1e-5f;
    c.tied = tied;
    return c;
}

/* A model whose every parameter is a distinct random bit pattern (including -0 and denormals). */
static void make_model(Model *m, int tied, uint64_t seed) {
    ModelConfig c = small_config(tied);
    assert_int_equal(model_init(m, &c, seed), 0);
    Rng r;
    rng_seed(&r, seed, 7);
    for (size_t i = 0; i < m->n_params; i++) m->params_mem[i] = rng_normal(&r);
    m->params_mem[0] = -0.0f;
    m->params_mem[1] = 1e-40f;   /* denormal */
    m->params_mem[2] = 3.4e38f;
}

static void make_tokenizer(Tokenizer *t) {
    char err[256];
    assert_int_equal(tokenizer_init(t, TOKENIZER_DEFAULT_ALPHABET, err, sizeof(err)), 0);
}

static void make_optimizer(AdamW *o, size_t n) {
    assert_int_equal(adamw_init(o, n), 0);
    Rng r;
    rng_seed(&r, 99, 1);
    for (size_t i = 0; i < n; i++) {
        o->m[i] = rng_normal(&r);
        o->v[i] = rng_uniform(&r);
    }
    o->t = 1234;
}

static void path_in(char *out, size_t n, const char *dir, const char *name) { snprintf(out, n, "%s/%s", dir, name); }

/* Saves a fresh tied checkpoint (model, optimizer, trainer state) at g_root/name; the path into dir. */
static void save_good(const char *name, char *dir, size_t n) {
    Model m;
    Tokenizer t;
    AdamW o;
    TrainerState st;
    char err[512];
    snprintf(dir, n, "%s/%s", g_root, name);
    make_model(&m, 1, 5);
    make_tokenizer(&t);
    make_optimizer(&o, m.n_params);
    memset(&st, 0, sizeof(st));
    st.step = 3;
    rng_seed(&st.rng, 1, 2);
    snprintf(st.kind, sizeof(st.kind), "grpo");
    st.config_ini = "[run]\nsteps = 3\n";
    if (checkpoint_save(dir, &m, &t, &o, &st, err, sizeof(err)) != 0) fail_msg("%s", err);
    model_free(&m);
    adamw_free(&o);
}

/* Loads dir expecting failure; checks the message holds every given piece and that nothing was left allocated. */
static void expect_load_error(const char *dir, ...) {
    Model m;
    Tokenizer t;
    AdamW o;
    TrainerState st;
    char err[512] = "";
    memset(&m, 0, sizeof(m));
    if (checkpoint_load(dir, &m, &t, &o, &st, err, sizeof(err)) == 0) {
        model_free(&m);
        adamw_free(&o);
        free(st.config_ini);
        fail_msg("%s: loaded a damaged checkpoint", dir);
    }
    va_list ap;
    va_start(ap, dir);
    for (const char *part; (part = va_arg(ap, const char *));) assert_contains(err, part);
    va_end(ap);
    assert_null(m.params_mem);
}

static unsigned char *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void write_all(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* Rewrites the safetensors header of dir through `edit` (the data bytes stay as they are). */
static void edit_header(const char *dir, void (*edit)(json_t *h)) {
    char path[512];
    size_t n;
    path_in(path, sizeof(path), dir, "model.safetensors");
    unsigned char *b = read_all(path, &n);
    uint64_t hlen;
    memcpy(&hlen, b, 8);
    json_error_t je;
    json_t *h = json_loadb((char *)b + 8, hlen, 0, &je);
    assert_non_null(h);
    edit(h);
    char *text = json_dumps(h, JSON_COMPACT);
    size_t tl = strlen(text), nl = (tl + 7) & ~(size_t)7, data = n - 8 - hlen;
    unsigned char *out = malloc(8 + nl + data);
    uint64_t nl64 = nl;
    memcpy(out, &nl64, 8);
    memcpy(out + 8, text, tl);
    memset(out + 8 + tl, ' ', nl - tl);
    memcpy(out + 8 + nl, b + 8 + hlen, data);
    write_all(path, out, 8 + nl + data);
    free(out);
    free(text);
    free(b);
    json_decref(h);
}

static void edit_json(const char *dir, const char *file, void (*edit)(json_t *j)) {
    char path[512];
    path_in(path, sizeof(path), dir, file);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    assert_non_null(j);
    edit(j);
    assert_int_equal(json_dump_file(j, path, JSON_INDENT(2)), 0);
    json_decref(j);
}

/* --------------------------------------------------------------------------------------------------------------- */

static void test_round_trip(void **state) {
    (void)state;
    for (int tied = 0; tied <= 1; tied++) {
        Model m, m2;
        Tokenizer t, t2;
        AdamW o, o2;
        TrainerState st, st2;
        char dir[256], err[512];
        snprintf(dir, sizeof(dir), "%s/runs/x/step-%d", g_root, tied);   /* parents are created */
        make_model(&m, tied, 11 + (uint64_t)tied);
        make_tokenizer(&t);
        make_optimizer(&o, m.n_params);
        memset(&st, 0, sizeof(st));
        st.step = 50;
        rng_seed(&st.rng, 12345, 3);
        rng_u64(&st.rng);
        st.rng.s[3] = 0xFFFFFFFFFFFFFFFFull;   /* all 64 bits survive */
        snprintf(st.kind, sizeof(st.kind), "pretrain");
        Config c;
        config_defaults(&c);
        st.config_ini = config_to_ini(&c);
        if (checkpoint_save(dir, &m, &t, &o, &st, err, sizeof(err)) != 0) fail_msg("%s", err);

        memset(&m2, 0, sizeof(m2));
        if (checkpoint_load(dir, &m2, &t2, &o2, &st2, err, sizeof(err)) != 0) fail_msg("%s", err);
        assert_memory_equal(&m2.cfg, &m.cfg, sizeof(ModelConfig));
        assert_int_equal(m2.n_params, m.n_params);
        assert_memory_equal(m2.params_mem, m.params_mem, m.n_params * sizeof(float));   /* bit-exact */
        ModelTensorInfo a, b;
        int count = 0;
        for (int i = 0; model_tensor_info(&m, i, &a); i++, count++) {
            assert_true(model_tensor_info(&m2, i, &b));
            assert_string_equal(a.name, b.name);
            assert_memory_equal(a.data, b.data, a.numel * sizeof(float));
        }
        assert_int_equal(count, 2 + 9 * m.cfg.L + (tied ? 0 : 1));
        assert_int_equal(t2.V, t.V);
        assert_string_equal(t2.chars, t.chars);
        assert_memory_equal(t2.id_of, t.id_of, sizeof(t.id_of));
        assert_int_equal(o2.n, o.n);
        assert_int_equal(o2.t, 1234);
        assert_memory_equal(o2.m, o.m, o.n * sizeof(float));
        assert_memory_equal(o2.v, o.v, o.n * sizeof(float));
        assert_int_equal(st2.step, 50);
        assert_string_equal(st2.kind, "pretrain");
        assert_memory_equal(&st2.rng, &st.rng, sizeof(Rng));
        assert_string_equal(st2.config_ini, st.config_ini);

        /* config.json says what Hugging Face's LlamaConfig needs */
        char path[512];
        path_in(path, sizeof(path), dir, "config.json");
        json_error_t je;
        json_t *j = json_load_file(path, 0, &je);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "model_type")), "llama");
        assert_string_equal(json_string_value(json_array_get(json_object_get(j, "architectures"), 0)),
                            "LlamaForCausalLM");
        assert_int_equal(json_integer_value(json_object_get(j, "hidden_size")), 16);
        assert_int_equal(json_integer_value(json_object_get(j, "num_key_value_heads")), 2);
        assert_int_equal(json_is_true(json_object_get(j, "tie_word_embeddings")), tied);
        assert_float_equal(json_real_value(json_object_get(j, "rms_norm_eps")), 1e-5, 0);   /* 1e-05, not 9.99e-06 */
        json_decref(j);

        /* the safetensors layout: little-endian length, header padded to 8, data right after */
        size_t n;
        path_in(path, sizeof(path), dir, "model.safetensors");
        unsigned char *bytes = read_all(path, &n);
        uint64_t hlen;
        memcpy(&hlen, bytes, 8);
        assert_int_equal(hlen % 8, 0);
        assert_int_equal(n, 8 + hlen + m.n_params * sizeof(float));
        assert_int_equal(bytes[8], '{');
        json_t *h = json_loadb((char *)bytes + 8, hlen, 0, &je);
        assert_non_null(h);
        assert_string_equal(json_string_value(json_object_get(json_object_get(h, "__metadata__"), "format")), "pt");
        json_t *emb = json_object_get(h, "model.embed_tokens.weight");
        assert_string_equal(json_string_value(json_object_get(emb, "dtype")), "F32");
        assert_int_equal(json_integer_value(json_array_get(json_object_get(emb, "data_offsets"), 0)), 0);
        assert_int_equal(json_object_get(h, "lm_head.weight") != NULL, !tied);
        json_decref(h);
        free(bytes);

        model_free(&m);
        model_free(&m2);
        adamw_free(&o);
        adamw_free(&o2);
        free(st.config_ini);
        free(st2.config_ini);
    }
}

static void test_model_only_and_read_config(void **state) {
    (void)state;
    Model m, m2;
    Tokenizer t, t2;
    AdamW o;
    TrainerState st;
    char dir[256], err[512];
    snprintf(dir, sizeof(dir), "%s/model-only", g_root);
    make_model(&m, 1, 3);
    make_tokenizer(&t);
    if (checkpoint_save(dir, &m, &t, NULL, NULL, err, sizeof(err)) != 0) fail_msg("%s", err);
    char path[512];
    path_in(path, sizeof(path), dir, "optimizer.bin");
    assert_int_equal(access(path, F_OK), -1);

    ModelConfig c;
    if (checkpoint_read_config(dir, &c, &t2, err, sizeof(err)) != 0) fail_msg("%s", err);
    assert_memory_equal(&c, &m.cfg, sizeof(c));
    assert_int_equal(t2.V, t.V);

    /* asked for optimizer and trainer state that are not there: fresh moments, step 0 */
    memset(&m2, 0, sizeof(m2));
    if (checkpoint_load(dir, &m2, &t2, &o, &st, err, sizeof(err)) != 0) fail_msg("%s", err);
    assert_int_equal(o.n, m2.n_params);
    assert_int_equal(o.t, 0);
    assert_float_equal(o.m[0], 0.0, 0);
    assert_int_equal(st.step, 0);
    assert_null(st.config_ini);
    assert_memory_equal(m2.params_mem, m.params_mem, m.n_params * sizeof(float));
    model_free(&m);
    model_free(&m2);
    adamw_free(&o);
}

static void test_save_over_existing(void **state) {
    (void)state;
    Model m, m2;
    Tokenizer t;
    char dir[256], err[512];
    snprintf(dir, sizeof(dir), "%s/over/step-1", g_root);
    make_tokenizer(&t);
    make_model(&m, 0, 1);
    if (checkpoint_save(dir, &m, &t, NULL, NULL, err, sizeof(err)) != 0) fail_msg("%s", err);
    model_free(&m);
    make_model(&m, 1, 2);   /* a different model, and tied: lm_head.weight must go */
    if (checkpoint_save(dir, &m, &t, NULL, NULL, err, sizeof(err)) != 0) fail_msg("%s", err);
    memset(&m2, 0, sizeof(m2));
    if (checkpoint_load(dir, &m2, NULL, NULL, NULL, err, sizeof(err)) != 0) fail_msg("%s", err);
    assert_memory_equal(m2.params_mem, m.params_mem, m.n_params * sizeof(float));
    model_free(&m2);
    /* nothing left beside it: no temporary or old directory */
    char parent[256];
    snprintf(parent, sizeof(parent), "%s/over", g_root);
    DIR *d = opendir(parent);
    assert_non_null(d);
    int entries = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.') {
            assert_string_equal(e->d_name, "step-1");
            entries++;
        }
    closedir(d);
    assert_int_equal(entries, 1);

    /* a file where the directory should be is refused, and left alone */
    char file[256];
    snprintf(file, sizeof(file), "%s/over/plain-file", g_root);
    write_all(file, "x", 1);
    assert_int_equal(checkpoint_save(file, &m, &t, NULL, NULL, err, sizeof(err)), -1);
    assert_contains(err, "not a directory");
    model_free(&m);
}

static void test_truncated(void **state) {
    (void)state;
    char dir[256], path[512];
    save_good("truncated", dir, sizeof(dir));
    path_in(path, sizeof(path), dir, "model.safetensors");
    size_t n;
    unsigned char *b = read_all(path, &n);
    uint64_t hlen;
    memcpy(&hlen, b, 8);
    write_all(path, b, n - 4);   /* the last tensor's end is cut off */
    expect_load_error(dir, "model.safetensors", "tensor model.norm.weight", "out of range", "truncated", NULL);
    write_all(path, b, 8 + hlen / 2);   /* cut inside the header */
    expect_load_error(dir, "model.safetensors", "header length", "truncated", NULL);
    write_all(path, b, 5);
    expect_load_error(dir, "model.safetensors", "truncated: 5 bytes", NULL);
    write_all(path, b, 0);
    expect_load_error(dir, "model.safetensors", "truncated: 0 bytes", NULL);
    /* and one byte too many */
    unsigned char *more = malloc(n + 1);
    memcpy(more, b, n);
    more[n] = 0;
    write_all(path, more, n + 1);
    expect_load_error(dir, "model.safetensors", "1 bytes after the last tensor", NULL);
    free(more);
    free(b);
}

static void test_corrupt_header_json(void **state) {
    (void)state;
    char dir[256], path[512];
    save_good("badjson", dir, sizeof(dir));
    path_in(path, sizeof(path), dir, "model.safetensors");
    size_t n;
    unsigned char *b = read_all(path, &n);
    b[8 + 10] = '\x01';   /* a control byte inside the header text */
    write_all(path, b, n);
    expect_load_error(dir, "model.safetensors", "header is not valid JSON", NULL);
    b[8 + 10] = '[';
    b[8] = '[';
    write_all(path, b, n);
    expect_load_error(dir, "model.safetensors", "header", NULL);
    free(b);
}

static void set_norm_shape(json_t *h) {
    json_object_set_new(json_object_get(h, "model.norm.weight"), "shape", json_pack("[i]", 8));
}
static void set_dtype(json_t *h) {
    json_object_set_new(json_object_get(h, "model.layers.0.self_attn.q_proj.weight"), "dtype", json_string("F64"));
}
/* F16 is read, but these bytes are F32's: twice what the shape needs in F16 */
static void set_dtype_f16(json_t *h) {
    json_object_set_new(json_object_get(h, "model.layers.0.self_attn.q_proj.weight"), "dtype", json_string("F16"));
}
static void drop_tensor(json_t *h) { json_object_del(h, "model.layers.1.mlp.up_proj.weight"); }
static void offsets_past_end(json_t *h) {
    json_t *o = json_object_get(json_object_get(h, "model.norm.weight"), "data_offsets");
    json_int_t b = json_integer_value(json_array_get(o, 0));
    json_array_set_new(o, 0, json_integer(b + 4096));
    json_array_set_new(o, 1, json_integer(b + 4096 + 64));
}
static void offsets_overlap(json_t *h) {
    json_t *q = json_object_get(json_object_get(h, "model.layers.0.self_attn.q_proj.weight"), "data_offsets");
    json_object_set(json_object_get(h, "model.layers.0.self_attn.k_proj.weight"), "data_offsets", q);
}
static void offsets_size(json_t *h) {
    json_t *o = json_object_get(json_object_get(h, "model.norm.weight"), "data_offsets");
    json_array_set_new(o, 1, json_integer(json_integer_value(json_array_get(o, 1)) - 4));
}
static void add_lm_head(json_t *h) {
    json_object_set(h, "lm_head.weight", json_object_get(h, "model.embed_tokens.weight"));
}
static void unknown_field(json_t *h) {
    json_object_set_new(json_object_get(h, "model.norm.weight"), "bias", json_true());
}

static void test_header_errors(void **state) {
    (void)state;
    static const struct { const char *name; void (*edit)(json_t *); const char *expect[3]; } cases[] = {
        {"shape", set_norm_shape, {"tensor model.norm.weight", "shape [8] but config says [16]"}},
        {"dtype", set_dtype, {"tensor model.layers.0.self_attn.q_proj.weight", "dtype F64",
                              "only F32, BF16 and F16"}},
        {"dtype16", set_dtype_f16, {"tensor model.layers.0.self_attn.q_proj.weight", "hold 1024 bytes",
                                    "of F16 needs 512"}},
        {"missing", drop_tensor, {"tensor model.layers.1.mlp.up_proj.weight is missing"}},
        {"range", offsets_past_end, {"tensor model.norm.weight", "data_offsets", "out of range"}},
        {"overlap", offsets_overlap, {"model.layers.0.self_attn", "overlap"}},
        {"size", offsets_size, {"tensor model.norm.weight", "hold 60 bytes", "needs 64"}},
        {"extra", add_lm_head, {"unexpected tensor lm_head.weight", "tie_word_embeddings"}},
        {"field", unknown_field, {"tensor model.norm.weight", "unknown header field \"bias\""}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char dir[256];
        save_good(cases[i].name, dir, sizeof(dir));
        edit_header(dir, cases[i].edit);
        Model m;
        Tokenizer t;
        char err[512] = "";
        memset(&m, 0, sizeof(m));
        if (checkpoint_load(dir, &m, &t, NULL, NULL, err, sizeof(err)) == 0) fail_msg("case %s accepted", cases[i].name);
        assert_contains(err, "model.safetensors");
        for (int k = 0; k < 3 && cases[i].expect[k]; k++) assert_contains(err, cases[i].expect[k]);
        assert_null(m.params_mem);
    }
}

static void test_nan_weight(void **state) {
    (void)state;
    char dir[256], path[512];
    save_good("nan", dir, sizeof(dir));
    path_in(path, sizeof(path), dir, "model.safetensors");
    size_t n;
    unsigned char *b = read_all(path, &n);
    float nan = NAN;
    memcpy(b + n - 4, &nan, 4);   /* last element of model.norm.weight */
    write_all(path, b, n);
    expect_load_error(dir, "model.safetensors", "tensor model.norm.weight", "element 15 is NaN", NULL);
    free(b);
}

static void set_hidden(json_t *j) {
    json_object_set_new(j, "hidden_size", json_integer(32));
    json_object_set_new(j, "head_dim", json_integer(16));
}
/* config.json claiming a model of about 25 TB: the header must be found wrong before anything is allocated. */
static void set_huge(json_t *j) {
    json_object_set_new(j, "hidden_size", json_integer(8192));
    json_object_set_new(j, "num_attention_heads", json_integer(64));
    json_object_set_new(j, "num_key_value_heads", json_integer(64));
    json_object_set_new(j, "intermediate_size", json_integer(1 << 20));
    json_object_set_new(j, "num_hidden_layers", json_integer(250));
    json_object_set_new(j, "head_dim", json_integer(128));
}
static void set_head_dim(json_t *j) { json_object_set_new(j, "head_dim", json_integer(4)); }
static void set_vocab(json_t *j) { json_object_set_new(j, "vocab_size", json_integer(50)); }
static void set_kv(json_t *j) { json_object_set_new(j, "num_key_value_heads", json_integer(1)); }
static void drop_eps(json_t *j) { json_object_del(j, "rms_norm_eps"); }
static void set_act(json_t *j) { json_object_set_new(j, "hidden_act", json_string("gelu")); }
static void set_special(json_t *j) { json_array_set_new(json_object_get(j, "specials"), 3, json_string("<t>")); }
static void set_rng(json_t *j) { json_array_set_new(json_object_get(j, "rng"), 2, json_string("xyz")); }
static void set_step(json_t *j) { json_object_set_new(j, "step", json_integer(-1)); }

static void test_json_file_errors(void **state) {
    (void)state;
    static const struct { const char *name, *file; void (*edit)(json_t *); const char *expect[3]; } cases[] = {
        {"cfg-hidden", "config.json", set_hidden, {"model.safetensors", "tensor model.embed_tokens.weight",
                                                   "config says [103, 32]"}},
        {"cfg-huge", "config.json", set_huge, {"model.safetensors", "tensor model.embed_tokens.weight",
                                               "config says [103, 8192]"}},
        {"cfg-vocab", "config.json", set_vocab, {"config.json", "vocab_size = 50", "tokenizer.json has 103"}},
        /* a head size and key/value heads of their own are valid configs: the weights then disagree */
        {"cfg-head", "config.json", set_head_dim, {"model.safetensors", "q_proj.weight", "config says [8, 16]"}},
        {"cfg-kv", "config.json", set_kv, {"model.safetensors", "k_proj.weight", "config says [8, 16]"}},
        {"cfg-eps", "config.json", drop_eps, {"config.json", "\"rms_norm_eps\" is missing"}},
        {"cfg-act", "config.json", set_act, {"config.json", "hidden_act", "silu"}},
        {"tok-special", "tokenizer.json", set_special, {"tokenizer.json", "special token 3", "<think>"}},
        {"tr-rng", "trainer.json", set_rng, {"trainer.json", "rng[2]", "16 hex digits"}},
        {"tr-step", "trainer.json", set_step, {"trainer.json", "\"step\" = -1"}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char dir[256];
        save_good(cases[i].name, dir, sizeof(dir));
        edit_json(dir, cases[i].file, cases[i].edit);
        expect_load_error(dir, cases[i].expect[0], cases[i].expect[1], cases[i].expect[2], NULL);
    }
}

/* checkpoint_check reads the configs and checks the header without loading: good and damaged checkpoints. */
static void test_check_without_loading(void **state) {
    (void)state;
    char dir[256], err[512] = "";
    ModelConfig cfg;
    Tokenizer t;
    save_good("check-good", dir, sizeof(dir));
    assert_int_equal(checkpoint_check(dir, &cfg, &t, err, sizeof(err)), 0);
    ModelConfig want = small_config(1);
    assert_int_equal(cfg.C, want.C);
    assert_int_equal(cfg.L, want.L);
    assert_int_equal(t.V, cfg.V);
    save_good("check-huge", dir, sizeof(dir));
    edit_json(dir, "config.json", set_huge);
    assert_int_equal(checkpoint_check(dir, &cfg, NULL, err, sizeof(err)), -1);
    assert_contains(err, "config says [103, 8192]");
    save_good("check-dtype", dir, sizeof(dir));
    edit_header(dir, set_dtype);
    assert_int_equal(checkpoint_check(dir, NULL, NULL, err, sizeof(err)), -1);
    assert_contains(err, "only F32, BF16 and F16 are supported");
}

static void test_missing_files(void **state) {
    (void)state;
    static const char *const files[] = {"config.json", "tokenizer.json", "model.safetensors"};
    for (int i = 0; i < 3; i++) {
        char dir[256], path[512];
        snprintf(path, sizeof(path), "missing-%d", i);
        save_good(path, dir, sizeof(dir));
        path_in(path, sizeof(path), dir, files[i]);
        assert_int_equal(unlink(path), 0);
        expect_load_error(dir, files[i], "missing", NULL);
    }
    char dir[256];
    snprintf(dir, sizeof(dir), "%s/never-written", g_root);
    expect_load_error(dir, "never-written", "no such checkpoint directory", NULL);
    char path[512];
    save_good("cfg-garbage", dir, sizeof(dir));
    path_in(path, sizeof(path), dir, "config.json");
    write_all(path, "{\"model_type\": ", 15);
    expect_load_error(dir, "config.json", "not valid JSON", NULL);
}

static void test_optimizer_errors(void **state) {
    (void)state;
    char dir[256], path[512];
    save_good("opt", dir, sizeof(dir));
    path_in(path, sizeof(path), dir, "optimizer.bin");
    size_t n;
    unsigned char *b = read_all(path, &n);
    write_all(path, b, n - 8);
    expect_load_error(dir, "optimizer.bin", "truncated", NULL);
    write_all(path, b, 20);
    expect_load_error(dir, "optimizer.bin", "truncated: 20 bytes", NULL);
    b[0] = 'X';
    write_all(path, b, n);
    expect_load_error(dir, "optimizer.bin", "bad magic", NULL);
    b[0] = 'G';
    uint64_t wrong = 12;
    memcpy(b + 16, &wrong, 8);
    write_all(path, b, n);
    expect_load_error(dir, "optimizer.bin", "moments for 12 parameters", NULL);
    free(b);
}

/* config_finish resolves presets from its own table; it must say what model_preset says. */
static void test_presets_agree(void **state) {
    (void)state;
    static const char *const names[] = {"tiny", "small"};
    for (int i = 0; i < 2; i++) {
        Config c;
        char err[256];
        ModelConfig p;
        memset(&p, 0, sizeof(p));
        config_defaults(&c);
        snprintf(c.model.preset, sizeof(c.model.preset), "%s", names[i]);
        assert_int_equal(config_finish(&c, err, sizeof(err)), 0);
        assert_int_equal(model_preset(&p, names[i]), 0);
        assert_int_equal(c.model.d_model, p.C);
        assert_int_equal(c.model.n_layers, p.L);
        assert_int_equal(c.model.n_heads, p.H);
        assert_int_equal(c.model.ffn_hidden, p.F);
    }
}

static void test_file_sha256(void **state) {
    (void)state;
    char path[256], hex[65];
    snprintf(path, sizeof(path), "%s/abc.txt", g_root);
    write_all(path, "abc", 3);
    assert_int_equal(checkpoint_file_sha256(path, hex), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    snprintf(path, sizeof(path), "%s/no-such-file", g_root);
    assert_int_equal(checkpoint_file_sha256(path, hex), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_model_only_and_read_config),
        cmocka_unit_test(test_save_over_existing),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_corrupt_header_json),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_nan_weight),
        cmocka_unit_test(test_json_file_errors),
        cmocka_unit_test(test_check_without_loading),
        cmocka_unit_test(test_missing_files),
        cmocka_unit_test(test_optimizer_errors),
        cmocka_unit_test(test_presets_agree),
        cmocka_unit_test(test_file_sha256),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
