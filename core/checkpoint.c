/* checkpoint.c - saving and loading checkpoint directories (see checkpoint.h).
 *
 *   model.safetensors  the safetensors format: 8-byte little-endian header length N, N bytes of JSON header
 *                      ({"__metadata__": {"format": "pt"}, name: {"dtype": "F32", "shape": [...],
 *                      "data_offsets": [begin, end]}, ...}, padded with blanks to a multiple of 8), then the
 *                      tensors' bytes back to back. Names and shapes are Hugging Face llama's (model_tensor_info),
 *                      so `transformers` loads the directory as a LlamaForCausalLM.
 *   config.json        LlamaConfig keys.
 *   tokenizer.json     our own small schema: {"type": "grpo-studio-char", "version": 1, "specials": [...],
 *                      "alphabet": "..."} ("alphabet_bytes": [byte values] instead when a byte is not ASCII).
 *   optimizer.bin      AdamW: a 32-byte header ("GRPOADAM", u32 version 1, u32 header size 32, u64 n, i64 t),
 *                      then m (n floats) and v (n floats), little-endian.
 *   trainer.json       {"step", "kind", "rng": four 64-bit words as 16 hex digits, "config_ini"}.
 * All JSON goes through jansson.
 *
 * Saving writes everything into <dir>.tmp-<pid>, fsyncs each file and the directory, then publishes it with one
 * rename (or, over an existing checkpoint, an atomic exchange of the two directories), fsyncs the parent and
 * removes the old files. A reader sees the old checkpoint or the new one, never a mixture.
 *
 * Loading trusts nothing: every header field, dtype, shape (against config.json), byte range (in bounds,
 * non-overlapping, covering the data exactly) and the exact file size is checked, and a failure names the file,
 * the tensor and what is wrong. */
#include "core/checkpoint.h"
#include "core/sha256.h"
#include "core/dtype.h"
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "checkpoint.c stores the host's floats as little-endian F32: add byte swapping for this machine"
#endif

#define ST_MAX_HEADER (100u << 20)   /* safetensors' own limit on the header */
#define ST_MAX_TENSORS 4096
#define ST_MAX_LAYERS ((ST_MAX_TENSORS - 3) / 14) /* up to 14 tensors a layer, the embedding, final norm, lm_head */
#define OPT_MAGIC "GRPOADAM"
#define OPT_VERSION 1u
#define OPT_HEADER_BYTES 32u
#define TOK_SCHEMA "grpo-studio-char"
#define JSON_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(9))

static int fail(char *err, size_t errlen, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* The double that prints as the shortest decimal reading back as f: config.json says 1e-05, not 9.99999975e-06. */
static double float_for_json(float f) {
    char buf[32];
    for (int p = 6; p <= 9; p++) {
        snprintf(buf, sizeof(buf), "%.*g", p, (double)f);
        if (strtof(buf, NULL) == f) break;
    }
    return strtod(buf, NULL);
}

static void path_join(char *out, size_t n, const char *dir, const char *name) {
    snprintf(out, n, "%s/%s", dir, name);
}

/* ---------------------------------------------------------------------------------------------------------------
 * Files and directories */

typedef struct { const void *p; size_t n; } Piece;

static int write_all(int fd, const void *data, size_t n) {
    const char *p = data;
    while (n > 0) {
        size_t chunk = n < (1u << 30) ? n : (1u << 30);
        ssize_t w = write(fd, p, chunk);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_exact_fd(int fd, void *buf, size_t n) {
    char *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n < (1u << 30) ? n : (1u << 30));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Creates dir/name from the pieces and fsyncs it. Returns 0 or -1 with err. */
static int write_file(const char *dir, const char *name, const Piece *pieces, int np, char *err, size_t errlen) {
    char path[PATH_MAX];
    path_join(path, sizeof(path), dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return fail(err, errlen, "%s: cannot create: %s", path, strerror(errno));
    for (int i = 0; i < np; i++)
        if (write_all(fd, pieces[i].p, pieces[i].n) != 0) {
            int e = errno;
            close(fd);
            return fail(err, errlen, "%s: write failed: %s", path, strerror(e));
        }
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        return fail(err, errlen, "%s: fsync failed: %s", path, strerror(e));
    }
    if (close(fd) != 0) return fail(err, errlen, "%s: close failed: %s", path, strerror(errno));
    return 0;
}

static int write_json(const char *dir, const char *name, json_t *j, char *err, size_t errlen) {
    char *text = j ? json_dumps(j, JSON_FLAGS) : NULL;
    json_decref(j);
    if (!text) return fail(err, errlen, "%s/%s: cannot encode JSON (out of memory or text not UTF-8)", dir, name);
    Piece p[2] = {{text, strlen(text)}, {"\n", 1}};
    int rc = write_file(dir, name, p, 2, err, errlen);
    free(text);
    return rc;
}


/* Copies the file src into dir/name (fsync'd). missing_ok: a src that does not exist is no error. Returns 0 or -1
 * with err. */
static int copy_file(const char *src, const char *dir, const char *name, int missing_ok, char *err, size_t errlen) {
    int fd = open(src, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return missing_ok && errno == ENOENT ? 0 : fail(err, errlen, "%s: cannot open: %s", src, strerror(errno));
    struct stat sb;
    char *buf = NULL;
    int rc = -1;
    if (fstat(fd, &sb) != 0) { fail(err, errlen, "%s: %s", src, strerror(errno)); goto done; }
    if (!(buf = malloc((size_t)sb.st_size + 1))) { fail(err, errlen, "%s: out of memory", src); goto done; }
    if (read_exact_fd(fd, buf, (size_t)sb.st_size) != 0) { fail(err, errlen, "%s: read failed", src); goto done; }
    Piece p = {buf, (size_t)sb.st_size};
    rc = write_file(dir, name, &p, 1, err, errlen);
done:
    free(buf);
    close(fd);
    return rc;
}

/* Copies src_dir/name into dir (fsync'd) when it exists. Returns 0 or -1 with err. */
static int copy_side_file(const char *src_dir, const char *dir, const char *name, char *err, size_t errlen) {
    char path[CKPT_PATH_MAX + 64];
    path_join(path, sizeof path, src_dir, name);
    return copy_file(path, dir, name, 1, err, errlen);
}

/* A Hugging Face tokenizer goes into a checkpoint as the files it came from: tokenizer.json and, when it had one,
 * the tokenizer_config.json beside it. */
static int copy_hf_tokenizer(const char *dir, const Tokenizer *tok, char *err, size_t errlen) {
    char cfg[PATH_MAX];
    const char *slash = strrchr(tok->source, '/');
    snprintf(cfg, sizeof cfg, "%.*stokenizer_config.json", slash ? (int)(slash - tok->source + 1) : 0, tok->source);
    if (copy_file(tok->source, dir, "tokenizer.json", 0, err, errlen) != 0) return -1;
    return copy_file(cfg, dir, "tokenizer_config.json", 1, err, errlen);
}

/* fsync of a directory, so that the names in it survive a crash. Some file systems refuse (EINVAL): nothing
 * more can be done there. */
static int fsync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    if (rc != 0 && (errno == EINVAL || errno == EROFS)) rc = 0;
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

/* Removes a checkpoint-like directory: its regular files, then the directory itself. Anything else inside
 * (a subdirectory someone put there) is left alone, and so is the directory then. */
static void remove_flat_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[PATH_MAX];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        path_join(path, sizeof(path), dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && !S_ISDIR(st.st_mode)) unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* mkdir -p of every directory above `path` (not path itself). */
static int make_parents(const char *path, char *err, size_t errlen) {
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return fail(err, errlen, "%s: cannot create directory: %s", buf, strerror(errno));
        *p = '/';
    }
    return 0;
}

static void parent_of(const char *path, char *out, size_t n) {
    snprintf(out, n, "%s", path);
    char *slash = strrchr(out, '/');
    if (!slash) snprintf(out, n, ".");
    else if (slash == out) out[1] = '\0';
    else *slash = '\0';
}

/* 1 when path exists, 0 when it does not, -1 (errno set) when it cannot be told. */
static int file_exists(const char *path) {
    struct stat st;
    if (stat(path, &st) == 0) return 1;
    return errno == ENOENT ? 0 : -1;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Saving */

/* model.safetensors with every tensor in dtype dt (16-bit ones rounded to nearest even into one buffer) */
static int save_safetensors(const char *dir, const Model *m, Dtype dt, char *err, size_t errlen) {
    json_t *h = json_object();
    Piece *pieces = calloc(ST_MAX_TENSORS + 3, sizeof(Piece));
    char *header = NULL;
    unsigned char *narrow = NULL;
    int rc = -1, np = 2;
    if (!h || !pieces) { fail(err, errlen, "%s/model.safetensors: out of memory", dir); goto done; }
    if (dt != DTYPE_F32) {
        narrow = malloc(m->n_params * dtype_size(dt) + 1);
        if (!narrow) { fail(err, errlen, "%s/model.safetensors: out of memory", dir); goto done; }
    }
    json_object_set_new(h, "__metadata__", json_pack("{s:s}", "format", "pt"));
    size_t offset = 0;
    ModelTensorInfo ti;
    for (int i = 0; model_tensor_info(m, i, &ti); i++) {
        if (np >= ST_MAX_TENSORS + 2) { fail(err, errlen, "%s/model.safetensors: too many tensors", dir); goto done; }
        json_t *shape = json_array();
        for (int d = 0; d < ti.ndim; d++) json_array_append_new(shape, json_integer(ti.shape[d]));
        size_t bytes = ti.numel * dtype_size(dt);
        json_t *t = json_pack("{s:s, s:o, s:[I, I]}", "dtype", dtype_st_name(dt), "shape", shape, "data_offsets",
                              (json_int_t)offset, (json_int_t)(offset + bytes));
        if (!t || json_object_set_new(h, ti.name, t) != 0) {
            fail(err, errlen, "%s/model.safetensors: cannot build header", dir);
            goto done;
        }
        pieces[np].p = ti.data;
        if (narrow) { /* tensors are written in order, so offset is also their place in the buffer */
            dtype_from_f32(narrow + offset, ti.data, dt, ti.numel);
            pieces[np].p = narrow + offset;
        }
        pieces[np].n = bytes;
        np++;
        offset += bytes;
    }
    char *json = json_dumps(h, JSON_COMPACT);
    if (!json) { fail(err, errlen, "%s/model.safetensors: cannot encode header", dir); goto done; }
    /* pad with blanks so the data starts 8-byte aligned, as the reference writer does */
    size_t jlen = strlen(json), hlen = (jlen + 7) & ~(size_t)7;
    header = malloc(8 + hlen);
    if (!header) { free(json); fail(err, errlen, "%s/model.safetensors: out of memory", dir); goto done; }
    uint64_t hl = hlen;
    memcpy(header, &hl, 8);   /* little-endian host */
    memcpy(header + 8, json, jlen);
    memset(header + 8 + jlen, ' ', hlen - jlen);
    free(json);
    pieces[0].p = header;
    pieces[0].n = 8 + hlen;
    rc = write_file(dir, "model.safetensors", pieces, np, err, errlen);
done:
    json_decref(h);
    free(pieces);
    free(header);
    free(narrow);
    return rc;
}

/* The config.json of a model trained here: LlamaConfig keys, or Qwen2's / Qwen3's when the model has their biases /
 * q-k norms; the special ids are tok's (no bos_token_id when prompts start without one). */
static json_t *config_json(const ModelConfig *c, const Tokenizer *tok) {
    const char *arch = c->qk_norm ? "Qwen3ForCausalLM" : c->qkv_bias ? "Qwen2ForCausalLM" : "LlamaForCausalLM";
    const char *type = c->qk_norm ? "qwen3" : c->qkv_bias ? "qwen2" : "llama";
    json_t *j = json_pack("{s:[s], s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:f, s:f, s:b, s:s, s:s,"
                          " s:i, s:i, s:i, s:b, s:f}",
                          "architectures", arch, "model_type", type, "vocab_size", c->V,
                          "hidden_size", c->C, "intermediate_size", c->F, "num_hidden_layers", c->L,
                          "num_attention_heads", c->H, "num_key_value_heads", model_kv_heads(c), "head_dim",
                          model_head_dim(c), "max_position_embeddings", c->max_T, "rms_norm_eps",
                          float_for_json(c->norm_eps), "rope_theta", float_for_json(c->rope_theta),
                          "tie_word_embeddings", c->tied ? 1 : 0, "hidden_act", "silu", "torch_dtype", "float32",
                          "bos_token_id", tok->bos, "eos_token_id", tok->eos, "pad_token_id", tok->pad,
                          "mlp_bias", 0, "initializer_range", 0.02);
    if (j && !c->qkv_bias) json_object_set_new(j, "attention_bias", json_false());
    if (j && tok->bos < 0) json_object_set_new(j, "bos_token_id", json_null());
    if (j && c->rope_type == MODEL_ROPE_LLAMA3)
        json_object_set_new(j, "rope_scaling",
                            json_pack("{s:s, s:f, s:f, s:f, s:i}", "rope_type", "llama3", "factor",
                                      float_for_json(c->rope_factor), "low_freq_factor",
                                      float_for_json(c->rope_low_freq_factor), "high_freq_factor",
                                      float_for_json(c->rope_high_freq_factor), "original_max_position_embeddings",
                                      c->rope_original_max_T));
    return j;
}

static json_t *tokenizer_json(const Tokenizer *t) {
    json_t *specials = json_array();
    for (int i = 0; i < TOK_N_SPECIAL; i++) json_array_append_new(specials, json_string(tokenizer_special_text(i)));
    int ascii = 1;
    for (int i = 0; i < t->n_chars; i++) ascii &= (unsigned char)t->chars[i] < 0x80;
    json_t *alphabet;
    if (ascii) {
        alphabet = json_stringn(t->chars, (size_t)t->n_chars);
    } else {
        alphabet = json_array();
        for (int i = 0; i < t->n_chars; i++) json_array_append_new(alphabet, json_integer((unsigned char)t->chars[i]));
    }
    return json_pack("{s:s, s:i, s:o, s:o}", "type", TOK_SCHEMA, "version", 1, "specials", specials,
                     ascii ? "alphabet" : "alphabet_bytes", alphabet);
}

static int save_optimizer(const char *dir, const AdamW *o, char *err, size_t errlen) {
    unsigned char header[OPT_HEADER_BYTES];
    uint32_t version = OPT_VERSION, hbytes = OPT_HEADER_BYTES;
    uint64_t n = o->n;
    int64_t t = o->t;
    memcpy(header, OPT_MAGIC, 8);
    memcpy(header + 8, &version, 4);
    memcpy(header + 12, &hbytes, 4);
    memcpy(header + 16, &n, 8);
    memcpy(header + 24, &t, 8);
    Piece p[3] = {{header, sizeof(header)}, {o->m, o->n * sizeof(float)}, {o->v, o->n * sizeof(float)}};
    return write_file(dir, "optimizer.bin", p, 3, err, errlen);
}

static json_t *trainer_json(const TrainerState *st) {
    char words[4][17];
    json_t *rng = json_array();
    for (int i = 0; i < 4; i++) {
        snprintf(words[i], sizeof(words[i]), "%016llx", (unsigned long long)st->rng.s[i]);
        json_array_append_new(rng, json_string(words[i]));
    }
    json_t *ini = st->config_ini ? json_string(st->config_ini) : json_null();
    if (!ini) { json_decref(rng); return NULL; }   /* config text not UTF-8 */
    return json_pack("{s:i, s:s, s:o, s:o}", "step", st->step, "kind", st->kind, "rng", rng, "config_ini", ini);
}

/* The first half of an atomic save: dir (dir_in without trailing slashes, PATH_MAX - 64) and its parents made
 * ready, and the empty temporary directory tmp (PATH_MAX) created. *exists: dir is already there. */
static int save_begin(const char *dir_in, char *dir, char *tmp, int *exists, char *err, size_t errlen) {
    if (!dir_in || !*dir_in) return fail(err, errlen, "checkpoint directory name is empty");
    if (strlen(dir_in) >= PATH_MAX - 64) return fail(err, errlen, "%s: path too long", dir_in);
    snprintf(dir, PATH_MAX - 64, "%s", dir_in);
    for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--) dir[n - 1] = '\0';
    struct stat sb;
    *exists = lstat(dir, &sb) == 0;
    if (*exists && !S_ISDIR(sb.st_mode)) return fail(err, errlen, "%s: exists and is not a directory", dir);
    if (make_parents(dir, err, errlen) != 0) return -1;
    snprintf(tmp, PATH_MAX, "%s.tmp-%ld", dir, (long)getpid());
    remove_flat_dir(tmp);   /* left by an earlier crash of a process with our pid */
    if (mkdir(tmp, 0755) != 0) return fail(err, errlen, "%s: cannot create directory: %s", tmp, strerror(errno));
    return 0;
}

/* The second half: with rc == 0 (everything written into tmp), fsyncs tmp and publishes it as dir; otherwise, or
 * when that fails, removes tmp. Returns 0 or -1 with err. */
static int save_finish(const char *dir, const char *tmp, int exists, int rc, char *err, size_t errlen) {
    char old[PATH_MAX], parent[PATH_MAX];
    if (rc == 0 && fsync_dir(tmp) != 0) rc = fail(err, errlen, "%s: fsync failed: %s", tmp, strerror(errno));
    if (rc != 0) { remove_flat_dir(tmp); return -1; }

    /* Publish. Over an existing checkpoint, exchange the two directories atomically and delete the old one from
     * the temporary name; where the file system cannot exchange, move the old one aside first (a crash between
     * the two renames leaves it complete under <dir>.old-<pid>). */
    if (!exists) {
        if (rename(tmp, dir) != 0) {
            rc = fail(err, errlen, "%s: cannot rename to %s: %s", tmp, dir, strerror(errno));
            remove_flat_dir(tmp);
            return rc;
        }
    } else if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) == 0) {
        snprintf(old, sizeof(old), "%s", tmp);
    } else {
        snprintf(old, sizeof(old), "%s.old-%ld", dir, (long)getpid());
        remove_flat_dir(old);
        if (rename(dir, old) != 0) {
            rc = fail(err, errlen, "%s: cannot move the old checkpoint aside: %s", dir, strerror(errno));
            remove_flat_dir(tmp);
            return rc;
        }
        if (rename(tmp, dir) != 0) {
            rc = fail(err, errlen, "%s: cannot rename to %s: %s", tmp, dir, strerror(errno));
            rename(old, dir);
            remove_flat_dir(tmp);
            return rc;
        }
    }
    parent_of(dir, parent, sizeof(parent));
    if (fsync_dir(parent) != 0) return fail(err, errlen, "%s: fsync failed: %s", parent, strerror(errno));
    if (exists) remove_flat_dir(old);
    return 0;
}

int checkpoint_save(const char *dir_in, const Model *m, const Tokenizer *tok, const AdamW *opt,
                    const TrainerState *st, char *err, size_t errlen) {
    char dir[PATH_MAX - 64], tmp[PATH_MAX];
    int exists;
    if (opt && opt->n != m->n_params)
        return fail(err, errlen, "%s: optimizer holds %zu moments but the model has %zu parameters", dir_in,
                    opt->n, m->n_params);
    if (save_begin(dir_in, dir, tmp, &exists, err, errlen) != 0) return -1;
    int rc = save_safetensors(tmp, m, DTYPE_F32, err, errlen);
    if (rc == 0) rc = write_json(tmp, "config.json", config_json(&m->cfg, tok), err, errlen);
    if (rc == 0 && tok->kind == TOKENIZER_CHAR)
        rc = write_json(tmp, "tokenizer.json", tokenizer_json(tok), err, errlen);
    if (rc == 0 && tok->kind == TOKENIZER_BPE) rc = copy_hf_tokenizer(tmp, tok, err, errlen);
    if (rc == 0 && opt) rc = save_optimizer(tmp, opt, err, errlen);
    if (rc == 0 && st) {
        json_t *j = trainer_json(st);
        if (!j) rc = fail(err, errlen, "%s/trainer.json: the config text is not valid UTF-8", tmp);
        else rc = write_json(tmp, "trainer.json", j, err, errlen);
    }
    return save_finish(dir, tmp, exists, rc, err, errlen);
}

/* The files of a Hugging Face folder besides config.json and the weights that export carries over unchanged. */
static const char *const HF_SIDE_FILES[] = {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                            "generation_config.json", "vocab.json", "merges.txt", "tokenizer.model",
                                            "added_tokens.json", "chat_template.jinja", "chat_template.json"};

/* config.json for export: the source's keys, with the sizes of m and the dtype written */
static json_t *export_config(const Model *m, const CheckpointInfo *src) {
    json_t *j = src->config_text ? json_loads(src->config_text, 0, NULL) : NULL;
    if (!j) return NULL;
    const ModelConfig *c = &m->cfg;
    json_object_set_new(j, "vocab_size", json_integer(c->V));
    json_object_set_new(j, "hidden_size", json_integer(c->C));
    json_object_set_new(j, "intermediate_size", json_integer(c->F));
    json_object_set_new(j, "num_hidden_layers", json_integer(c->L));
    json_object_set_new(j, "num_attention_heads", json_integer(c->H));
    if (json_object_get(j, "num_key_value_heads") || model_kv_heads(c) != c->H)
        json_object_set_new(j, "num_key_value_heads", json_integer(model_kv_heads(c)));
    if (json_object_get(j, "head_dim") || c->head_dim)
        json_object_set_new(j, "head_dim", json_integer(model_head_dim(c)));
    json_object_set_new(j, "tie_word_embeddings", json_boolean(c->tied));
    json_object_set_new(j, json_object_get(j, "dtype") && !json_object_get(j, "torch_dtype") ? "dtype" : "torch_dtype",
                        json_string(dtype_torch_name(src->dtype)));
    return j;
}

int checkpoint_export(const char *dir_in, const Model *m, const CheckpointInfo *src, char *err, size_t errlen) {
    char dir[PATH_MAX - 64], tmp[PATH_MAX];
    int exists;
    if (!src || !src->config_text) return fail(err, errlen, "%s: export needs the folder the model came from", dir_in);
    if (save_begin(dir_in, dir, tmp, &exists, err, errlen) != 0) return -1;
    int rc = save_safetensors(tmp, m, src->dtype, err, errlen);
    if (rc == 0) {
        json_t *j = export_config(m, src);
        rc = j ? write_json(tmp, "config.json", j, err, errlen)
               : fail(err, errlen, "%s/config.json: the source's config.json does not parse", src->dir);
    }
    for (size_t i = 0; rc == 0 && i < sizeof HF_SIDE_FILES / sizeof HF_SIDE_FILES[0]; i++)
        rc = copy_side_file(src->dir, tmp, HF_SIDE_FILES[i], err, errlen);
    return save_finish(dir, tmp, exists, rc, err, errlen);
}

/* ---------------------------------------------------------------------------------------------------------------
 * Reading JSON files */

static json_t *load_json(const char *path, char *err, size_t errlen) {
    int e = file_exists(path);
    if (e == 0) { fail(err, errlen, "%s: missing", path); return NULL; }
    if (e < 0) { fail(err, errlen, "%s: %s", path, strerror(errno)); return NULL; }
    json_error_t je;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        fail(err, errlen, "%s: not valid JSON: %s (line %d, column %d)", path, je.text, je.line, je.column);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        fail(err, errlen, "%s: expected a JSON object at the top", path);
        return NULL;
    }
    return j;
}

static int get_int(const char *path, json_t *j, const char *key, long long lo, long long hi, long long *out,
                   char *err, size_t errlen) {
    json_t *v = json_object_get(j, key);
    if (!v) return fail(err, errlen, "%s: \"%s\" is missing", path, key);
    if (!json_is_integer(v)) return fail(err, errlen, "%s: \"%s\" must be an integer", path, key);
    long long x = json_integer_value(v);
    if (x < lo || x > hi) return fail(err, errlen, "%s: \"%s\" = %lld is outside %lld .. %lld", path, key, x, lo, hi);
    *out = x;
    return 0;
}

static int get_real(const char *path, json_t *j, const char *key, double lo, double hi, double *out, char *err,
                    size_t errlen) {
    json_t *v = json_object_get(j, key);
    if (!v) return fail(err, errlen, "%s: \"%s\" is missing", path, key);
    if (!json_is_number(v)) return fail(err, errlen, "%s: \"%s\" must be a number", path, key);
    double x = json_number_value(v);
    if (!(x >= lo && x <= hi)) return fail(err, errlen, "%s: \"%s\" = %g is outside %g .. %g", path, key, x, lo, hi);
    *out = x;
    return 0;
}

static int expect_string(const char *path, json_t *j, const char *key, const char *want, int required, char *err,
                         size_t errlen) {
    json_t *v = json_object_get(j, key);
    if (!v) return required ? fail(err, errlen, "%s: \"%s\" is missing", path, key) : 0;
    if (!json_is_string(v) || strcmp(json_string_value(v), want) != 0)
        return fail(err, errlen, "%s: \"%s\" must be \"%s\"", path, key, want);
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------
 * config.json: our own checkpoints' (LlamaConfig keys) and the Hugging Face llama family's */

static const struct { const char *arch, *type; } ARCHS[] = {
    {"LlamaForCausalLM", "llama"}, {"MistralForCausalLM", "mistral"},
    {"Qwen2ForCausalLM", "qwen2"}, {"Qwen3ForCausalLM", "qwen3"}};
#define N_ARCHS 4

/* a short text of a JSON value for messages: "true", "4096", "\"yarn\"", ... */
static void value_text(json_t *v, char *out, size_t n) {
    char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    snprintf(out, n, "%s", t ? t : "?");
    if (t && strlen(t) >= n && n > 4) memcpy(out + n - 4, "...", 4);
    free(t);
}

static int refuse(const char *path, const char *key, json_t *v, const char *why, char *err, size_t errlen) {
    char vt[64];
    value_text(v, vt, sizeof vt);
    return fail(err, errlen, "%s: \"%s\" = %s is not supported (%s)", path, key, vt, why);
}

/* 1 when v is absent, null, false, 0 or an empty list/object: a key that switches nothing on */
static int is_off(json_t *v) {
    return !v || json_is_null(v) || json_is_false(v) || (json_is_integer(v) && json_integer_value(v) == 0) ||
           (json_is_array(v) && json_array_size(v) == 0) || (json_is_object(v) && json_object_size(v) == 0);
}

/* token ids: an integer or a list of them (eos_token_id), into ids (at most CKPT_MAX_EOS); *n = 0 when absent */
static int get_ids(const char *path, json_t *j, const char *key, int V, int *ids, int *n, char *err, size_t errlen) {
    json_t *v = json_object_get(j, key), *e;
    size_t i;
    *n = 0;
    if (!v || json_is_null(v)) return 0;
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0 || json_integer_value(v) >= V)
            return fail(err, errlen, "%s: \"%s\" = %lld is not a token id below vocab_size %d", path, key,
                        (long long)json_integer_value(v), V);
        ids[(*n)++] = (int)json_integer_value(v);
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) > CKPT_MAX_EOS)
        return fail(err, errlen, "%s: \"%s\" must be a token id or a list of at most %d", path, key, CKPT_MAX_EOS);
    json_array_foreach(v, i, e) {
        if (!json_is_integer(e) || json_integer_value(e) < 0 || json_integer_value(e) >= V)
            return fail(err, errlen, "%s: \"%s\"[%zu] is not a token id below vocab_size %d", path, key, i, V);
        ids[(*n)++] = (int)json_integer_value(e);
    }
    return 0;
}

/* rope_scaling: null, absent, {"rope_type": "default"} or llama3 with its four numbers */
static int read_rope_scaling(const char *path, json_t *j, ModelConfig *cfg, char *err, size_t errlen) {
    json_t *rs = json_object_get(j, "rope_scaling");
    if (!rs || json_is_null(rs)) return 0;
    if (!json_is_object(rs)) return fail(err, errlen, "%s: \"rope_scaling\" must be an object or null", path);
    json_t *type = json_object_get(rs, "rope_type");
    if (!type) type = json_object_get(rs, "type");
    if (!json_is_string(type)) return fail(err, errlen, "%s: \"rope_scaling\" needs a \"rope_type\" string", path);
    const char *t = json_string_value(type);
    if (!strcmp(t, "default")) return 0;
    if (strcmp(t, "llama3") != 0) return refuse(path, "rope_scaling.rope_type", type, "only llama3 is", err, errlen);
    double f, lo, hi;
    long long orig;
    char p2[PATH_MAX + 32];
    snprintf(p2, sizeof p2, "%s: rope_scaling", path);
    if (get_real(p2, rs, "factor", 1e-6, 1e6, &f, err, errlen) ||
        get_real(p2, rs, "low_freq_factor", 1e-6, 1e6, &lo, err, errlen) ||
        get_real(p2, rs, "high_freq_factor", 1e-6, 1e6, &hi, err, errlen) ||
        get_int(p2, rs, "original_max_position_embeddings", 1, 1 << 24, &orig, err, errlen))
        return -1;
    if (!(hi > lo)) return fail(err, errlen, "%s: high_freq_factor = %g must exceed low_freq_factor = %g", p2, hi, lo);
    cfg->rope_type = MODEL_ROPE_LLAMA3;
    cfg->rope_factor = (float)f;
    cfg->rope_low_freq_factor = (float)lo;
    cfg->rope_high_freq_factor = (float)hi;
    cfg->rope_original_max_T = (int)orig;
    return 0;
}

/* Reads dir/config.json into cfg and the architecture, dtype and special ids into info. `ours`: the folder holds
 * our character tokenizer, whose special ids the config must then agree with. */
static int read_model_config(const char *dir, ModelConfig *cfg, CheckpointInfo *info, int ours, int *dtype_known,
                             char *err, size_t errlen) {
    char path[PATH_MAX];
    path_join(path, sizeof(path), dir, "config.json");
    json_t *j = load_json(path, err, errlen);
    if (!j) return -1;
    int rc = -1, a = -1;
    long long V, C, L, H, F, T, kv = 0, hd = 0, x;
    double eps, theta;
    json_t *arch = json_object_get(j, "architectures"), *v;
    size_t i;
    memset(cfg, 0, sizeof(*cfg));
    if (!json_is_array(arch)) { fail(err, errlen, "%s: \"architectures\" must be a list", path); goto done; }
    json_array_foreach(arch, i, v) {
        for (int k = 0; k < N_ARCHS && a < 0; k++)
            if (json_is_string(v) && !strcmp(json_string_value(v), ARCHS[k].arch)) a = k;
    }
    if (a < 0) {
        char vt[96];
        value_text(arch, vt, sizeof vt);
        fail(err, errlen, "%s: \"architectures\" = %s: expected one of LlamaForCausalLM, MistralForCausalLM, "
                          "Qwen2ForCausalLM, Qwen3ForCausalLM", path, vt);
        goto done;
    }
    if (expect_string(path, j, "model_type", ARCHS[a].type, 1, err, errlen)) goto done;
    v = json_object_get(j, "hidden_act");
    if (v && (!json_is_string(v) || strcmp(json_string_value(v), "silu") != 0)) {
        refuse(path, "hidden_act", v, "the MLP is SwiGLU: silu only", err, errlen);
        goto done;
    }
    Dtype dt = DTYPE_F32;
    int have_dtype = 0;
    static const char *const dtype_keys[2] = {"torch_dtype", "dtype"};
    for (int k = 0; k < 2 && !have_dtype; k++) {
        v = json_object_get(j, dtype_keys[k]);
        if (!v || json_is_null(v)) continue;
        if (!json_is_string(v) || dtype_from_torch(json_string_value(v), &dt) != 0) {
            refuse(path, dtype_keys[k], v, "float32, bfloat16 or float16", err, errlen);
            goto done;
        }
        have_dtype = 1;
    }
    /* what the model does not have is refused by name, never ignored */
    static const char *const moe[] = {"num_experts", "num_local_experts", "n_routed_experts", "moe_intermediate_size",
                                      "num_experts_per_tok"};
    for (size_t k = 0; k < sizeof moe / sizeof moe[0]; k++)
        if (!is_off(json_object_get(j, moe[k]))) {
            refuse(path, moe[k], json_object_get(j, moe[k]), "mixture of experts", err, errlen);
            goto done;
        }
    v = json_object_get(j, "use_sliding_window");
    if (v && !json_is_false(v) && !json_is_null(v)) {
        refuse(path, "use_sliding_window", v, "attention is over the whole context", err, errlen);
        goto done;
    }
    v = json_object_get(j, "mlp_bias");
    if (v && !json_is_false(v)) { refuse(path, "mlp_bias", v, "the MLP has no biases", err, errlen); goto done; }
    v = json_object_get(j, "attention_bias");
    if (v && !json_is_false(v)) { /* llama, mistral, qwen3: biases on q, k, v and o */
        refuse(path, "attention_bias", v, "o_proj has no bias; Qwen2 alone has q/k/v biases", err, errlen);
        goto done;
    }
    if (get_int(path, j, "vocab_size", 1, 1 << 24, &V, err, errlen) ||
        get_int(path, j, "hidden_size", 2, 1 << 16, &C, err, errlen) ||
        get_int(path, j, "intermediate_size", 1, 1 << 20, &F, err, errlen) ||
        get_int(path, j, "num_hidden_layers", 1, ST_MAX_LAYERS, &L, err, errlen) ||
        get_int(path, j, "num_attention_heads", 1, 1024, &H, err, errlen) ||
        get_int(path, j, "max_position_embeddings", 1, 1 << 24, &T, err, errlen) ||
        get_real(path, j, "rms_norm_eps", 1e-12, 1.0, &eps, err, errlen))
        goto done;
    json_t *rp = json_object_get(j, "rope_parameters"); /* newer transformers keep rope_theta there */
    if (!json_object_get(j, "rope_theta") && json_is_object(rp)) {
        if (get_real(path, rp, "rope_theta", 1.0, 1e12, &theta, err, errlen)) goto done;
    } else if (get_real(path, j, "rope_theta", 1.0, 1e12, &theta, err, errlen)) {
        goto done;
    }
    if (json_object_get(j, "num_key_value_heads") && !json_is_null(json_object_get(j, "num_key_value_heads")) &&
        get_int(path, j, "num_key_value_heads", 1, 1024, &kv, err, errlen))
        goto done;
    if (kv == 0) kv = H;
    if (H % kv != 0) {
        fail(err, errlen, "%s: num_attention_heads = %lld is not a multiple of num_key_value_heads = %lld", path, H,
             kv);
        goto done;
    }
    if (json_object_get(j, "head_dim") && !json_is_null(json_object_get(j, "head_dim"))) {
        if (get_int(path, j, "head_dim", 2, 1 << 12, &hd, err, errlen)) goto done;
    } else if (C % H != 0) {
        fail(err, errlen, "%s: hidden_size = %lld is not a multiple of num_attention_heads = %lld (and no head_dim)",
             path, C, H);
        goto done;
    } else {
        hd = C / H;
    }
    if (hd % 2 != 0) {
        fail(err, errlen, "%s: head_dim = %lld must be even (RoPE rotates pairs)", path, hd);
        goto done;
    }
    v = json_object_get(j, "sliding_window");
    /* Mistral applies its window whenever it is set and shorter than the context; Qwen's is off unless
     * use_sliding_window (refused above) */
    if (!strcmp(ARCHS[a].type, "mistral") && !is_off(v) && !(json_is_integer(v) && json_integer_value(v) >= T)) {
        refuse(path, "sliding_window", v, "attention is over the whole context", err, errlen);
        goto done;
    }
    v = json_object_get(j, "tie_word_embeddings");
    if ((v && !json_is_boolean(v)) || (ours && !v)) {
        fail(err, errlen, "%s: \"tie_word_embeddings\" must be true or false", path);
        goto done;
    }
    if (read_rope_scaling(path, j, cfg, err, errlen)) goto done;
    cfg->V = (int)V;
    cfg->C = (int)C;
    cfg->L = (int)L;
    cfg->H = (int)H;
    cfg->F = (int)F;
    cfg->max_T = (int)T;
    cfg->norm_eps = (float)eps;
    cfg->rope_theta = (float)theta;
    cfg->tied = json_is_true(v); /* absent: false, the default of all four architectures */
    /* the plain model keeps zeros (KVH = H, D = C / H), so our own configs compare equal to what they were */
    cfg->n_kv_heads = kv == H ? 0 : (int)kv;
    cfg->head_dim = C % H == 0 && hd == C / H ? 0 : (int)hd;
    cfg->qkv_bias = !strcmp(ARCHS[a].type, "qwen2");
    cfg->qk_norm = !strcmp(ARCHS[a].type, "qwen3");
    if (!model_config_valid(cfg)) { fail(err, errlen, "%s: the sizes do not describe a model", path); goto done; }
    int bos[CKPT_MAX_EOS], nb, eos[CKPT_MAX_EOS], ne;
    if (get_ids(path, j, "bos_token_id", (int)V, bos, &nb, err, errlen) ||
        get_ids(path, j, "eos_token_id", (int)V, eos, &ne, err, errlen))
        goto done;
    if (ours) { /* our character tokenizer's specials */
        static const struct { const char *key; int id; } ids[] = {
            {"bos_token_id", TOK_BOS}, {"eos_token_id", TOK_EOS}, {"pad_token_id", TOK_PAD}};
        for (int k = 0; k < 3; k++)
            if (json_object_get(j, ids[k].key) && get_int(path, j, ids[k].key, ids[k].id, ids[k].id, &x, err, errlen))
                goto done;
    }
    if (info) {
        snprintf(info->architecture, sizeof info->architecture, "%s", ARCHS[a].arch);
        snprintf(info->model_type, sizeof info->model_type, "%s", ARCHS[a].type);
        info->dtype = dt;
        info->bos_id = nb ? bos[0] : -1;
        info->n_eos = ne;
        memcpy(info->eos_ids, eos, sizeof eos);
        free(info->config_text);
        info->config_text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (!info->config_text) { fail(err, errlen, "%s: out of memory", path); goto done; }
    }
    if (dtype_known) *dtype_known = have_dtype;
    rc = 0;
done:
    json_decref(j);
    return rc;
}

/* generation_config.json, when there is one: its end-of-sequence ids replace config.json's (they are what
 * generate() stops at). */
static int read_generation_config(const char *dir, int V, CheckpointInfo *info, char *err, size_t errlen) {
    char path[PATH_MAX];
    path_join(path, sizeof(path), dir, "generation_config.json");
    int e = file_exists(path);
    if (e <= 0) return e == 0 ? 0 : fail(err, errlen, "%s: %s", path, strerror(errno));
    json_t *j = load_json(path, err, errlen);
    if (!j) return -1;
    int ids[CKPT_MAX_EOS], n, rc = get_ids(path, j, "eos_token_id", V, ids, &n, err, errlen);
    if (rc == 0 && n > 0 && info) {
        info->n_eos = n;
        memcpy(info->eos_ids, ids, sizeof ids);
    }
    json_decref(j);
    return rc;
}

static int read_tokenizer(const char *dir, Tokenizer *tok, char *err, size_t errlen) {
    char path[PATH_MAX], alphabet[TOKENIZER_MAX_CHARS + 1], why[256];
    path_join(path, sizeof(path), dir, "tokenizer.json");
    if (tokenizer_is_hf(path)) return tokenizer_load_hf(tok, path, err, errlen);
    json_t *j = load_json(path, err, errlen), *v;
    if (!j) return -1;
    int rc = -1;
    long long version;
    size_t i, n = 0;
    if (expect_string(path, j, "type", TOK_SCHEMA, 1, err, errlen) ||
        get_int(path, j, "version", 1, 1, &version, err, errlen))
        goto done;
    json_t *specials = json_object_get(j, "specials");
    if (!json_is_array(specials) || json_array_size(specials) != TOK_N_SPECIAL) {
        fail(err, errlen, "%s: \"specials\" must be a list of the %d special tokens", path, TOK_N_SPECIAL);
        goto done;
    }
    json_array_foreach(specials, i, v) {
        if (!json_is_string(v) || strcmp(json_string_value(v), tokenizer_special_text((int)i)) != 0) {
            fail(err, errlen, "%s: special token %zu must be \"%s\"", path, i, tokenizer_special_text((int)i));
            goto done;
        }
    }
    json_t *text = json_object_get(j, "alphabet"), *bytes = json_object_get(j, "alphabet_bytes");
    if (!text == !bytes) {
        fail(err, errlen, "%s: expected exactly one of \"alphabet\" (a string) or \"alphabet_bytes\"", path);
        goto done;
    }
    if (text) {
        if (!json_is_string(text) || json_string_length(text) > TOKENIZER_MAX_CHARS ||
            strlen(json_string_value(text)) != json_string_length(text)) {
            fail(err, errlen, "%s: \"alphabet\" must be a string of at most %d characters without NUL", path,
                 TOKENIZER_MAX_CHARS);
            goto done;
        }
        n = json_string_length(text);
        memcpy(alphabet, json_string_value(text), n);
    } else {
        if (!json_is_array(bytes) || json_array_size(bytes) > TOKENIZER_MAX_CHARS) {
            fail(err, errlen, "%s: \"alphabet_bytes\" must be a list of at most %d byte values", path,
                 TOKENIZER_MAX_CHARS);
            goto done;
        }
        json_array_foreach(bytes, i, v) {
            if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 255) {
                fail(err, errlen, "%s: alphabet_bytes[%zu] must be a byte value 1 .. 255", path, i);
                goto done;
            }
            alphabet[n++] = (char)json_integer_value(v);
        }
    }
    alphabet[n] = '\0';
    if (tokenizer_init(tok, alphabet, why, sizeof(why)) != 0) { fail(err, errlen, "%s: %s", path, why); goto done; }
    rc = 0;
done:
    json_decref(j);
    return rc;
}

/* The kind of tokenizer dir/tokenizer.json is: ours ("type": "grpo-studio-char"), a Hugging Face one (a "model"
 * object), or none (no file). Returns 0 or -1 with err. */
static int tokenizer_kind(const char *dir, CheckpointTokKind *kind, char *err, size_t errlen) {
    char path[PATH_MAX];
    path_join(path, sizeof(path), dir, "tokenizer.json");
    int e = file_exists(path);
    if (e < 0) return fail(err, errlen, "%s: %s", path, strerror(errno));
    if (e == 0) {
        *kind = CKPT_TOK_NONE;
        return 0;
    }
    json_t *j = load_json(path, err, errlen);
    if (!j) return -1;
    json_t *type = json_object_get(j, "type"), *model = json_object_get(j, "model");
    int rc = 0;
    if (json_is_string(type) && !strcmp(json_string_value(type), TOK_SCHEMA)) *kind = CKPT_TOK_CHAR;
    else if (json_is_object(model)) *kind = CKPT_TOK_HF;
    else rc = fail(err, errlen, "%s: neither our character tokenizer (\"type\": \"%s\") nor a Hugging Face "
                                "tokenizer (a \"model\" object)", path, TOK_SCHEMA);
    json_decref(j);
    return rc;
}

/* config.json, tokenizer.json (ours or a Hugging Face one, read into tok when tok is not NULL, with
 * generation_config.json's end-of-sequence ids as its stop ids) and generation_config.json.
 * need_tok: the caller needs the folder's tokenizer (ours or a Hugging Face one), and a folder without one is an error. */
static int read_configs(const char *dir, ModelConfig *cfg, Tokenizer *tok, int need_tok, CheckpointInfo *info,
                        int *dtype_known, char *err, size_t errlen) {
    CheckpointTokKind kind = CKPT_TOK_NONE;
    ModelConfig c;
    Tokenizer t;
    memset(&t, 0, sizeof t);
    if (tokenizer_kind(dir, &kind, err, errlen) != 0) return -1;
    if (need_tok && kind == CKPT_TOK_NONE) return fail(err, errlen, "%s/tokenizer.json: missing", dir);
    CheckpointInfo own; /* when the caller wants no info: for the eos ids */
    memset(&own, 0, sizeof own);
    CheckpointInfo *in = info ? info : &own;
    int rc = read_model_config(dir, &c, in, kind == CKPT_TOK_CHAR, dtype_known, err, errlen);
    if (rc == 0) rc = read_generation_config(dir, c.V, in, err, errlen);
    int n_eos = in->n_eos, eos_ids[CKPT_MAX_EOS];
    memcpy(eos_ids, in->eos_ids, sizeof eos_ids);
    checkpoint_info_free(&own);
    if (rc != 0) return -1;
    if (tok && kind != CKPT_TOK_NONE) {
        char path[PATH_MAX];
        path_join(path, sizeof(path), dir, "tokenizer.json");
        if ((kind == CKPT_TOK_CHAR ? read_tokenizer(dir, &t, err, errlen) : tokenizer_load_hf(&t, path, err, errlen)))
            return -1;
        /* a Hugging Face model's embedding may have rows beyond the tokenizer's ids (padded for speed) */
        if (kind == CKPT_TOK_CHAR ? c.V != t.V : c.V < t.V) {
            fail(err, errlen, "%s/config.json: vocab_size = %d but tokenizer.json has %d tokens", dir, c.V, t.V);
            tokenizer_free(&t);
            return -1;
        }
        /* the model's end-of-sequence ids (generation_config.json's, an instruct model's end of turn among them, or
         * config.json's): the first is eos when the tokenizer names none, all end a completion */
        if (t.eos < 0 && n_eos > 0) t.eos = t.pad = eos_ids[0];
        for (int i = 0; i < n_eos; i++) tokenizer_add_stop(&t, eos_ids[i]);
        if (t.eos < 0) {
            fail(err, errlen, "%s: no end-of-sequence id: neither tokenizer.json (with tokenizer_config.json) nor "
                 "config.json / generation_config.json name one", dir);
            tokenizer_free(&t);
            return -1;
        }
        *tok = t;
    }
    if (info) info->tokenizer = kind;
    if (cfg) *cfg = c;
    return 0;
}

int checkpoint_read_config(const char *dir, ModelConfig *cfg, Tokenizer *tok, char *err, size_t errlen) {
    return read_configs(dir, cfg, tok, tok != NULL, NULL, NULL, err, errlen);
}

void checkpoint_info_free(CheckpointInfo *info) {
    if (!info) return;
    free(info->config_text);
    memset(info, 0, sizeof *info);
}

/* ---------------------------------------------------------------------------------------------------------------
 * Reading the weights: model.safetensors, or the shards model.safetensors.index.json lists */

#define ST_MAX_SHARDS 256

typedef struct {
    ModelTensorInfo info;
    int found;
    int shard;          /* the file it is in */
    Dtype dtype;        /* as stored */
    uint64_t begin, end;
} Expected;

static int read_exact(int fd, void *buf, size_t n, uint64_t offset) {
    char *p = buf;
    while (n > 0) {
        size_t chunk = n < (1u << 30) ? n : (1u << 30);
        ssize_t r = pread(fd, p, chunk, (off_t)offset);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
        offset += (uint64_t)r;
    }
    return 0;
}

static void shape_text(json_t *shape, char *out, size_t n) {
    size_t w = (size_t)snprintf(out, n, "["), i;
    json_t *v;
    json_array_foreach(shape, i, v) {
        if (w >= n) break;
        w += (size_t)snprintf(out + w, n - w, "%s%lld", i ? ", " : "", (long long)json_integer_value(v));
    }
    if (w < n) snprintf(out + w, n - w, "]");
}

static void info_shape_text(const ModelTensorInfo *t, char *out, size_t n) {
    if (t->ndim == 1) snprintf(out, n, "[%d]", t->shape[0]);
    else snprintf(out, n, "[%d, %d]", t->shape[0], t->shape[1]);
}

static int cmp_begin(const void *a, const void *b) {
    const Expected *x = *(Expected *const *)a, *y = *(Expected *const *)b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

/* Checks one header entry against what config.json says the tensor must be. */
static int check_entry(const char *path, const char *name, json_t *val, Expected *e, uint64_t data_size, char *err,
                       size_t errlen) {
    const char *key;
    json_t *v;
    char got[96], want[64];
    if (!json_is_object(val)) return fail(err, errlen, "%s: tensor %s: header entry is not an object", path, name);
    json_object_foreach(val, key, v) {
        if (strcmp(key, "dtype") && strcmp(key, "shape") && strcmp(key, "data_offsets"))
            return fail(err, errlen, "%s: tensor %s: unknown header field \"%s\"", path, name, key);
    }
    json_t *dtype = json_object_get(val, "dtype"), *shape = json_object_get(val, "shape"),
           *offs = json_object_get(val, "data_offsets");
    if (!dtype || !shape || !offs)
        return fail(err, errlen, "%s: tensor %s: header entry needs dtype, shape and data_offsets", path, name);
    if (!json_is_string(dtype)) return fail(err, errlen, "%s: tensor %s: dtype must be a string", path, name);
    Dtype dt;
    if (dtype_from_st(json_string_value(dtype), &dt) != 0)
        return fail(err, errlen, "%s: tensor %s: dtype %s, but only F32, BF16 and F16 are supported", path, name,
                    json_string_value(dtype));
    if (!json_is_array(shape) || json_array_size(shape) > 8)
        return fail(err, errlen, "%s: tensor %s: shape must be a list of dimensions", path, name);
    size_t i;
    json_array_foreach(shape, i, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return fail(err, errlen, "%s: tensor %s: shape must hold non-negative integers", path, name);
    }
    int same = (int)json_array_size(shape) == e->info.ndim;
    for (int d = 0; same && d < e->info.ndim; d++)
        same = json_integer_value(json_array_get(shape, (size_t)d)) == e->info.shape[d];
    if (!same) {
        shape_text(shape, got, sizeof(got));
        info_shape_text(&e->info, want, sizeof(want));
        return fail(err, errlen, "%s: tensor %s: shape %s but config says %s", path, name, got, want);
    }
    if (!json_is_array(offs) || json_array_size(offs) != 2 || !json_is_integer(json_array_get(offs, 0)) ||
        !json_is_integer(json_array_get(offs, 1)))
        return fail(err, errlen, "%s: tensor %s: data_offsets must be [begin, end]", path, name);
    json_int_t b = json_integer_value(json_array_get(offs, 0)), en = json_integer_value(json_array_get(offs, 1));
    if (b < 0 || en < b || (uint64_t)en > data_size)
        return fail(err, errlen, "%s: tensor %s: data_offsets [%lld, %lld] out of range: the data holds %llu bytes "
                                 "(file truncated?)", path, name, (long long)b, (long long)en,
                    (unsigned long long)data_size);
    if ((uint64_t)(en - b) != e->info.numel * dtype_size(dt)) {
        info_shape_text(&e->info, want, sizeof(want));
        return fail(err, errlen, "%s: tensor %s: data_offsets [%lld, %lld] hold %lld bytes but shape %s of %s "
                                 "needs %zu", path, name, (long long)b, (long long)en, (long long)(en - b), want,
                    dtype_st_name(dt), e->info.numel * dtype_size(dt));
    }
    e->begin = (uint64_t)b;
    e->end = (uint64_t)en;
    e->dtype = dt;
    e->found = 1;
    return 0;
}

typedef struct {
    char path[PATH_MAX];
    int fd;
    uint64_t data_at;   /* file offset of the data (8 + header length) */
    uint64_t size;      /* of the file */
} Shard;

/* The weights' files opened and every header checked against a model's config: where each tensor's bytes are. */
typedef struct {
    int n;              /* tensors, in model_tensor_info order */
    Expected *exp;      /* (n) name, shape, file, dtype, byte range in that file's data */
    int n_shards;
    Shard *shards;
} SafetensorsFile;

static void safetensors_close(SafetensorsFile *f) {
    for (int i = 0; i < f->n_shards; i++)
        if (f->shards[i].fd >= 0) close(f->shards[i].fd);
    free(f->shards);
    free(f->exp);
    memset(f, 0, sizeof *f);
}

/* Opens shard `si` (its path set) and checks its header: each tensor expected, in this file per the index
 * (index NULL: one file), with its dtype, shape and byte range; the ranges tile the data exactly. */
static int shard_check(SafetensorsFile *f, int si, json_t *index, const char *file, const ModelConfig *cfg,
                       char *err, size_t errlen) {
    Shard *s = &f->shards[si];
    const char *path = s->path;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return fail(err, errlen, "%s: missing", path);
        return fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    }
    s->fd = fd;
    int rc = -1;
    char *header = NULL;
    json_t *h = NULL;
    struct stat sb;
    uint64_t hlen = 0;
    if (fstat(fd, &sb) != 0) { fail(err, errlen, "%s: %s", path, strerror(errno)); goto done; }
    uint64_t size = (uint64_t)sb.st_size;
    if (size < 8) {
        fail(err, errlen, "%s: truncated: %llu bytes, too short for the 8-byte header length", path,
             (unsigned long long)size);
        goto done;
    }
    if (read_exact(fd, &hlen, 8, 0) != 0) { fail(err, errlen, "%s: read failed", path); goto done; }
    if (hlen < 2 || hlen > ST_MAX_HEADER || hlen > size - 8) {
        fail(err, errlen, "%s: header length %llu does not fit: the file has %llu bytes (truncated or not "
                          "safetensors)", path, (unsigned long long)hlen, (unsigned long long)size);
        goto done;
    }
    header = malloc(hlen);
    if (!header) { fail(err, errlen, "%s: out of memory for a %llu-byte header", path, (unsigned long long)hlen); goto done; }
    if (read_exact(fd, header, hlen, 8) != 0) { fail(err, errlen, "%s: read failed", path); goto done; }
    json_error_t je;
    h = json_loadb(header, hlen, JSON_REJECT_DUPLICATES, &je);
    if (!h) {
        fail(err, errlen, "%s: header is not valid JSON: %s (byte %d of the header)", path, je.text, je.position);
        goto done;
    }
    if (!json_is_object(h)) { fail(err, errlen, "%s: header is not a JSON object", path); goto done; }
    uint64_t data_size = size - 8 - hlen;
    const char *name;
    json_t *val;
    json_object_foreach(h, name, val) {
        if (strcmp(name, "__metadata__") == 0) {
            const char *mk;
            json_t *mv;
            if (!json_is_object(val)) { fail(err, errlen, "%s: __metadata__ is not an object", path); goto done; }
            json_object_foreach(val, mk, mv) {
                if (!json_is_string(mv)) {
                    fail(err, errlen, "%s: __metadata__ value \"%s\" is not a string", path, mk);
                    goto done;
                }
            }
            continue;
        }
        Expected *e = NULL;
        for (int i = 0; i < f->n && !e; i++)
            if (strcmp(f->exp[i].info.name, name) == 0) e = &f->exp[i];
        if (!e) {
            fail(err, errlen, "%s: unexpected tensor %s%s", path, name,
                 strcmp(name, "lm_head.weight") == 0 && cfg->tied
                     ? " (config.json says tie_word_embeddings = true: the output layer is the embedding)" : "");
            goto done;
        }
        if (e->found) {
            fail(err, errlen, "%s: tensor %s is also in %s", path, name, f->shards[e->shard].path);
            goto done;
        }
        if (index) {
            json_t *where = json_object_get(json_object_get(index, "weight_map"), name);
            if (!json_is_string(where) || strcmp(json_string_value(where), file) != 0) {
                fail(err, errlen, "%s: tensor %s is in this file but model.safetensors.index.json puts it in %s", path,
                     name, json_is_string(where) ? json_string_value(where) : "no file");
                goto done;
            }
        }
        if (check_entry(path, name, val, e, data_size, err, errlen) != 0) goto done;
        e->shard = si;
    }
    s->data_at = 8 + hlen;
    s->size = size;
    rc = 0;
done:
    json_decref(h);
    free(header);
    return rc;
}

/* The byte ranges of shard si's tensors must tile its data: no overlap, no hole, nothing after the last tensor. */
static int shard_tiles(SafetensorsFile *f, int si, char *err, size_t errlen) {
    const Shard *s = &f->shards[si];
    const char *path = s->path;
    Expected **order = calloc((size_t)f->n + 1, sizeof(Expected *));
    int n = 0, rc = -1;
    if (!order) return fail(err, errlen, "%s: out of memory", path);
    for (int i = 0; i < f->n; i++)
        if (f->exp[i].found && f->exp[i].shard == si) order[n++] = &f->exp[i];
    qsort(order, (size_t)n, sizeof(order[0]), cmp_begin);
    uint64_t at = 0, data_size = s->size - s->data_at;
    for (int i = 0; i < n; i++) {
        if (order[i]->begin < at) {
            fail(err, errlen, "%s: tensor %s: data_offsets [%llu, %llu] overlap tensor %s", path,
                 order[i]->info.name, (unsigned long long)order[i]->begin, (unsigned long long)order[i]->end,
                 order[i - 1]->info.name);
            goto done;
        }
        if (order[i]->begin > at) {
            fail(err, errlen, "%s: tensor %s: data_offsets [%llu, %llu] leave a hole of %llu bytes before it", path,
                 order[i]->info.name, (unsigned long long)order[i]->begin, (unsigned long long)order[i]->end,
                 (unsigned long long)(order[i]->begin - at));
            goto done;
        }
        at = order[i]->end;
    }
    if (at != data_size) {
        fail(err, errlen, "%s: file size %llu: %llu bytes after the last tensor (the tensors end at byte %llu)",
             path, (unsigned long long)s->size, (unsigned long long)(data_size - at),
             (unsigned long long)(s->data_at + at));
        goto done;
    }
    rc = 0;
done:
    free(order);
    return rc;
}

/* Opens the weights of dir - model.safetensors, or when it is absent the shards model.safetensors.index.json
 * lists - and checks every header field against what cfg says the tensors must be, without allocating the model:
 * a config.json that disagrees with the weights is found before gigabytes are allocated. Returns 0 with f open
 * (close with safetensors_close), or -1 with err and nothing open. */
static int safetensors_open(const char *dir, const ModelConfig *cfg, SafetensorsFile *f, char *err, size_t errlen) {
    memset(f, 0, sizeof *f);
    char one[PATH_MAX], ipath[PATH_MAX];
    path_join(one, sizeof one, dir, "model.safetensors");
    path_join(ipath, sizeof ipath, dir, "model.safetensors.index.json");
    json_t *index = NULL;
    const char *files[ST_MAX_SHARDS];
    int n_files = 1, rc = -1;
    if (file_exists(one) == 0 && file_exists(ipath) == 1) {
        if (!(index = load_json(ipath, err, errlen))) return -1;
        json_t *wm = json_object_get(index, "weight_map"), *v;
        const char *name;
        if (!json_is_object(wm)) {
            json_decref(index);
            return fail(err, errlen, "%s: \"weight_map\" must be an object", ipath);
        }
        n_files = 0;
        json_object_foreach(wm, name, v) {
            const char *fn = json_is_string(v) ? json_string_value(v) : NULL;
            if (!fn || !*fn || strchr(fn, '/') || !strcmp(fn, ".") || !strcmp(fn, "..")) {
                json_decref(index);
                return fail(err, errlen, "%s: weight_map[\"%s\"] must name a file in the folder", ipath, name);
            }
            int k = 0;
            while (k < n_files && strcmp(files[k], fn) != 0) k++;
            if (k == n_files) {
                if (n_files == ST_MAX_SHARDS) {
                    json_decref(index);
                    return fail(err, errlen, "%s: more than %d shards", ipath, ST_MAX_SHARDS);
                }
                files[n_files++] = fn;
            }
        }
        if (n_files == 0) { json_decref(index); return fail(err, errlen, "%s: \"weight_map\" is empty", ipath); }
    } else {
        files[0] = "model.safetensors";
    }
    Model shape_only; /* names and shapes from the config, no memory */
    memset(&shape_only, 0, sizeof shape_only);
    shape_only.cfg = *cfg;
    f->exp = calloc(ST_MAX_TENSORS, sizeof(Expected));
    f->shards = calloc((size_t)n_files, sizeof(Shard));
    if (!f->exp || !f->shards) { fail(err, errlen, "%s: out of memory", one); goto done; }
    for (f->n = 0; f->n < ST_MAX_TENSORS && model_tensor_info(&shape_only, f->n, &f->exp[f->n].info); f->n++) {}
    for (int i = 0; i < n_files; i++) f->shards[i].fd = -1;
    f->n_shards = n_files;
    for (int i = 0; i < n_files; i++) {
        path_join(f->shards[i].path, sizeof f->shards[i].path, dir, files[i]);
        if (shard_check(f, i, index, files[i], cfg, err, errlen) != 0) goto done;
    }
    for (int i = 0; i < f->n; i++)
        if (!f->exp[i].found) {
            fail(err, errlen, "%s: tensor %s is missing", index ? ipath : one, f->exp[i].info.name);
            goto done;
        }
    for (int i = 0; i < n_files; i++)
        if (shard_tiles(f, i, err, errlen) != 0) goto done;
    rc = 0;
done:
    json_decref(index);
    if (rc != 0) safetensors_close(f);
    return rc;
}

/* Reads the tensors of checked files into m (allocated, with the config the files were checked against),
 * converting 16-bit floats to fp32, and checks that every value is finite. Returns 0 or -1 with err. */
static int safetensors_read(SafetensorsFile *f, Model *m, char *err, size_t errlen) {
    void *buf = NULL;
    size_t cap = 0;
    int rc = -1;
    for (int i = 0; i < f->n; i++) {
        Expected *e = &f->exp[i];
        const Shard *s = &f->shards[e->shard];
        ModelTensorInfo info;
        if (!model_tensor_info(m, i, &info) || strcmp(info.name, e->info.name) != 0 || info.numel != e->info.numel) {
            fail(err, errlen, "%s: the model's tensors changed since the header was checked", s->path);
            goto done;
        }
        size_t bytes = e->end - e->begin;
        void *dst = info.data;
        if (e->dtype != DTYPE_F32) { /* read the 16-bit values aside, then widen */
            if (bytes > cap) {
                void *nb = realloc(buf, bytes);
                if (!nb) { fail(err, errlen, "%s: out of memory", s->path); goto done; }
                buf = nb, cap = bytes;
            }
            dst = buf;
        }
        if (read_exact(s->fd, dst, bytes, s->data_at + e->begin) != 0) {
            fail(err, errlen, "%s: tensor %s: read failed (file truncated while reading?)", s->path, info.name);
            goto done;
        }
        if (e->dtype != DTYPE_F32) dtype_to_f32(info.data, buf, e->dtype, info.numel);
        for (size_t k = 0; k < info.numel; k++)
            if (!isfinite(info.data[k])) {
                fail(err, errlen, "%s: tensor %s: element %zu is %s", s->path, info.name, k,
                     isnan(info.data[k]) ? "NaN" : "infinite");
                goto done;
            }
    }
    rc = 0;
done:
    free(buf);
    return rc;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Reading optimizer.bin and trainer.json */

static int load_optimizer(const char *dir, AdamW *o, size_t n_params, char *err, size_t errlen) {
    char path[PATH_MAX];
    path_join(path, sizeof(path), dir, "optimizer.bin");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    int rc = -1;
    struct stat sb;
    unsigned char hd[OPT_HEADER_BYTES];
    uint32_t version, hbytes;
    uint64_t n;
    int64_t t;
    if (fstat(fd, &sb) != 0) { fail(err, errlen, "%s: %s", path, strerror(errno)); goto done; }
    uint64_t size = (uint64_t)sb.st_size;
    if (size < OPT_HEADER_BYTES) {
        fail(err, errlen, "%s: truncated: %llu bytes, the header alone is %u", path, (unsigned long long)size,
             OPT_HEADER_BYTES);
        goto done;
    }
    if (read_exact(fd, hd, sizeof(hd), 0) != 0) { fail(err, errlen, "%s: read failed", path); goto done; }
    memcpy(&version, hd + 8, 4);
    memcpy(&hbytes, hd + 12, 4);
    memcpy(&n, hd + 16, 8);
    memcpy(&t, hd + 24, 8);
    if (memcmp(hd, OPT_MAGIC, 8) != 0) { fail(err, errlen, "%s: not an optimizer state (bad magic)", path); goto done; }
    if (version != OPT_VERSION) {
        fail(err, errlen, "%s: format version %u, expected %u", path, version, OPT_VERSION);
        goto done;
    }
    if (hbytes != OPT_HEADER_BYTES) {
        fail(err, errlen, "%s: header size %u, expected %u", path, hbytes, OPT_HEADER_BYTES);
        goto done;
    }
    if (n != n_params) {
        fail(err, errlen, "%s: holds moments for %llu parameters but the model has %zu", path, (unsigned long long)n,
             n_params);
        goto done;
    }
    if (t < 0) { fail(err, errlen, "%s: step count %lld is negative", path, (long long)t); goto done; }
    uint64_t want = OPT_HEADER_BYTES + 2 * n * sizeof(float);
    if (size != want) {
        fail(err, errlen, "%s: %s: %llu bytes, expected %llu for %llu parameters", path,
             size < want ? "truncated" : "trailing bytes", (unsigned long long)size, (unsigned long long)want,
             (unsigned long long)n);
        goto done;
    }
    if (adamw_init(o, n_params) != 0) { fail(err, errlen, "%s: out of memory", path); goto done; }
    if (read_exact(fd, o->m, n * sizeof(float), OPT_HEADER_BYTES) != 0 ||
        read_exact(fd, o->v, n * sizeof(float), OPT_HEADER_BYTES + n * sizeof(float)) != 0) {
        fail(err, errlen, "%s: read failed", path);
        adamw_free(o);
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (!isfinite(o->m[i]) || !isfinite(o->v[i]) || o->v[i] < 0.0f) {
            fail(err, errlen, "%s: moment %zu is not finite (m = %g, v = %g)", path, i, (double)o->m[i],
                 (double)o->v[i]);
            adamw_free(o);
            goto done;
        }
    o->t = (long)t;
    rc = 0;
done:
    close(fd);
    return rc;
}

static int load_trainer_state(const char *dir, TrainerState *st, char *err, size_t errlen) {
    char path[PATH_MAX];
    path_join(path, sizeof(path), dir, "trainer.json");
    json_t *j = load_json(path, err, errlen);
    if (!j) return -1;
    int rc = -1;
    long long step;
    if (get_int(path, j, "step", 0, INT_MAX, &step, err, errlen)) goto done;
    json_t *kind = json_object_get(j, "kind"), *rng = json_object_get(j, "rng"), *ini = json_object_get(j, "config_ini");
    if (!json_is_string(kind) || json_string_length(kind) >= sizeof(st->kind)) {
        fail(err, errlen, "%s: \"kind\" must be a string of at most %zu characters", path, sizeof(st->kind) - 1);
        goto done;
    }
    if (!json_is_array(rng) || json_array_size(rng) != 4) {
        fail(err, errlen, "%s: \"rng\" must be a list of 4 words", path);
        goto done;
    }
    for (size_t i = 0; i < 4; i++) {
        json_t *w = json_array_get(rng, i);
        const char *s = json_is_string(w) ? json_string_value(w) : "";
        char *end;
        if (strlen(s) != 16 || strspn(s, "0123456789abcdefABCDEF") != 16) {
            fail(err, errlen, "%s: rng[%zu] must be 16 hex digits", path, i);
            goto done;
        }
        st->rng.s[i] = (uint64_t)strtoull(s, &end, 16);
    }
    if (ini && !json_is_null(ini) && !json_is_string(ini)) {
        fail(err, errlen, "%s: \"config_ini\" must be a string or null", path);
        goto done;
    }
    if (json_is_string(ini)) {
        if (strlen(json_string_value(ini)) != json_string_length(ini)) {
            fail(err, errlen, "%s: \"config_ini\" contains a NUL character", path);
            goto done;
        }
        st->config_ini = strdup(json_string_value(ini));
        if (!st->config_ini) { fail(err, errlen, "%s: out of memory", path); goto done; }
    }
    st->step = (int)step;
    snprintf(st->kind, sizeof(st->kind), "%s", json_string_value(kind));
    rc = 0;
done:
    json_decref(j);
    return rc;
}

/* Reads the configs and opens the weights with their headers checked against them; fills info (may be NULL). */
static int open_checked(const char *dir, ModelConfig *cfg, Tokenizer *tok, int need_tok, CheckpointInfo *info,
                        SafetensorsFile *f, char *err, size_t errlen) {
    struct stat sb;
    int dtype_known = 0;
    if (stat(dir, &sb) != 0) return fail(err, errlen, "%s: no such checkpoint directory (%s)", dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode)) return fail(err, errlen, "%s: not a directory", dir);
    if (strlen(dir) >= CKPT_PATH_MAX) return fail(err, errlen, "%s: path too long", dir);
    if (read_configs(dir, cfg, tok, need_tok, info, &dtype_known, err, errlen) != 0) return -1;
    if (safetensors_open(dir, cfg, f, err, errlen) != 0) return -1;
    if (info) {
        snprintf(info->dir, sizeof info->dir, "%s", dir);
        info->n_shards = f->n_shards;
        if (!dtype_known) info->dtype = f->exp[0].dtype; /* config.json has no torch_dtype: the tensors say */
    }
    return 0;
}

int checkpoint_check(const char *dir, ModelConfig *cfg, Tokenizer *tok, char *err, size_t errlen) {
    ModelConfig c;
    Tokenizer t;
    SafetensorsFile f;
    if (open_checked(dir, &c, tok ? &t : NULL, tok != NULL, NULL, &f, err, errlen) != 0) return -1;
    safetensors_close(&f);
    if (cfg) *cfg = c;
    if (tok) *tok = t;
    return 0;
}

int checkpoint_inspect(const char *dir, ModelConfig *cfg, CheckpointInfo *info, char *err, size_t errlen) {
    SafetensorsFile f;
    memset(info, 0, sizeof *info);
    if (open_checked(dir, cfg, NULL, 0, info, &f, err, errlen) != 0) {
        checkpoint_info_free(info);
        return -1;
    }
    safetensors_close(&f);
    return 0;
}

/* The model of a checked folder: allocated and read; f is closed. */
static int load_model(const char *dir, const ModelConfig *cfg, SafetensorsFile *f, Model *m, char *err,
                      size_t errlen) {
    if (model_init(m, cfg, 0) != 0) {
        safetensors_close(f);
        return fail(err, errlen, "%s: out of memory for the model (%zu parameters)", dir, model_n_params(cfg));
    }
    int rc = safetensors_read(f, m, err, errlen);
    safetensors_close(f);
    if (rc != 0) {
        model_free(m);
        memset(m, 0, sizeof(*m));
    }
    return rc;
}

int checkpoint_open(const char *dir, Model *m, Tokenizer *tok, CheckpointInfo *info, char *err, size_t errlen) {
    ModelConfig cfg;
    Tokenizer t;
    SafetensorsFile f;
    CheckpointInfo in;
    memset(&in, 0, sizeof in);
    memset(&t, 0, sizeof t);
    memset(m, 0, sizeof(*m));
    if (open_checked(dir, &cfg, tok ? &t : NULL, 0, &in, &f, err, errlen) != 0 ||
        load_model(dir, &cfg, &f, m, err, errlen) != 0) {
        checkpoint_info_free(&in);
        tokenizer_free(&t);
        return -1;
    }
    if (tok) *tok = t; /* the folder's, ours or a Hugging Face one; zeroed when it has none */
    if (info) *info = in;
    else checkpoint_info_free(&in);
    return 0;
}

int checkpoint_load(const char *dir, Model *m, Tokenizer *tok, AdamW *opt, TrainerState *st, char *err,
                    size_t errlen) {
    ModelConfig cfg;
    Tokenizer t;
    SafetensorsFile f;
    char path[PATH_MAX];
    memset(m, 0, sizeof(*m));
    memset(&t, 0, sizeof t);
    if (open_checked(dir, &cfg, tok ? &t : NULL, tok != NULL, NULL, &f, err, errlen) != 0) return -1;
    if (load_model(dir, &cfg, &f, m, err, errlen) != 0) {
        tokenizer_free(&t);
        return -1;
    }
    if (opt) {
        memset(opt, 0, sizeof(*opt));
        path_join(path, sizeof(path), dir, "optimizer.bin");
        int e = file_exists(path);
        if (e < 0) { fail(err, errlen, "%s: %s", path, strerror(errno)); goto fail_model; }
        if (e ? load_optimizer(dir, opt, m->n_params, err, errlen) != 0 : adamw_init(opt, m->n_params) != 0) {
            if (!e) fail(err, errlen, "%s: out of memory for the optimizer", dir);
            goto fail_model;
        }
    }
    if (st) {
        TrainerState s;
        memset(&s, 0, sizeof(s));
        path_join(path, sizeof(path), dir, "trainer.json");
        int e = file_exists(path);
        if (e < 0) { fail(err, errlen, "%s: %s", path, strerror(errno)); goto fail_opt; }
        if (e && load_trainer_state(dir, &s, err, errlen) != 0) goto fail_opt;
        *st = s;
    }
    if (tok) *tok = t;
    return 0;
fail_opt:
    if (opt) adamw_free(opt);
fail_model:
    model_free(m);
    memset(m, 0, sizeof(*m));
    tokenizer_free(&t);
    return -1;
}

int checkpoint_file_sha256(const char *path, char hex[65]) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    enum { CHUNK = 1 << 20 };
    unsigned char *buf = malloc(CHUNK), digest[32];
    if (!buf) { close(fd); return -1; }
    Sha256 s;
    sha256_init(&s);
    int rc = 0;
    for (;;) {
        ssize_t r = read(fd, buf, CHUNK);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) { rc = -1; break; }
        if (r == 0) break;
        sha256_update(&s, buf, (size_t)r);
    }
    free(buf);
    close(fd);
    if (rc != 0) return -1;
    sha256_final(&s, digest);
    sha256_to_hex(digest, hex);
    return 0;
}
