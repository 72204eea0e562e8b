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
#define ST_MAX_LAYERS ((ST_MAX_TENSORS - 3) / 9)  /* 9 tensors a layer, the embedding, final norm and lm_head */
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

/* Copies the file at src into dir/name (fsync'd). missing_ok: a src that does not exist is no error. */
static int copy_file(const char *src, const char *dir, const char *name, int missing_ok, char *err, size_t errlen) {
    FILE *f = fopen(src, "rb");
    if (!f) return missing_ok && errno == ENOENT ? 0 : fail(err, errlen, "%s: cannot open: %s", src, strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 1 << 20;
            char *nb = realloc(buf, nc);
            if (!nb) {
                free(buf);
                fclose(f);
                return fail(err, errlen, "%s: out of memory reading it", src);
            }
            buf = nb, cap = nc;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    int rc = bad ? fail(err, errlen, "%s: read error", src) : write_file(dir, name, &(Piece){buf, n}, 1, err, errlen);
    free(buf);
    return rc;
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

static int save_safetensors(const char *dir, const Model *m, char *err, size_t errlen) {
    json_t *h = json_object();
    Piece *pieces = calloc(ST_MAX_TENSORS + 3, sizeof(Piece));
    char *header = NULL;
    int rc = -1, np = 2;
    if (!h || !pieces) { fail(err, errlen, "%s/model.safetensors: out of memory", dir); goto done; }
    json_object_set_new(h, "__metadata__", json_pack("{s:s}", "format", "pt"));
    size_t offset = 0;
    ModelTensorInfo ti;
    for (int i = 0; model_tensor_info(m, i, &ti); i++) {
        if (np >= ST_MAX_TENSORS + 2) { fail(err, errlen, "%s/model.safetensors: too many tensors", dir); goto done; }
        json_t *shape = json_array();
        for (int d = 0; d < ti.ndim; d++) json_array_append_new(shape, json_integer(ti.shape[d]));
        size_t bytes = ti.numel * sizeof(float);
        json_t *t = json_pack("{s:s, s:o, s:[I, I]}", "dtype", "F32", "shape", shape, "data_offsets",
                              (json_int_t)offset, (json_int_t)(offset + bytes));
        if (!t || json_object_set_new(h, ti.name, t) != 0) {
            fail(err, errlen, "%s/model.safetensors: cannot build header", dir);
            goto done;
        }
        pieces[np].p = ti.data;
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
    return rc;
}

static json_t *config_json(const ModelConfig *c, const Tokenizer *tok) {
    json_t *j = json_pack("{s:[s], s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:f, s:f, s:b, s:s, s:s,"
                     " s:i, s:i, s:i, s:b, s:b, s:f}",
                     "architectures", "LlamaForCausalLM", "model_type", "llama", "vocab_size", c->V,
                     "hidden_size", c->C, "intermediate_size", c->F, "num_hidden_layers", c->L,
                     "num_attention_heads", c->H, "num_key_value_heads", c->H, "head_dim", c->C / c->H,
                     "max_position_embeddings", c->max_T, "rms_norm_eps", float_for_json(c->norm_eps),
                     "rope_theta", float_for_json(c->rope_theta), "tie_word_embeddings", c->tied ? 1 : 0,
                     "hidden_act", "silu", "torch_dtype", "float32", "bos_token_id", tok->bos,
                     "eos_token_id", tok->eos, "pad_token_id", tok->pad, "attention_bias", 0, "mlp_bias", 0,
                     "initializer_range", 0.02);
    if (j && tok->bos < 0) json_object_set_new(j, "bos_token_id", json_null()); /* prompts start without one */
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

int checkpoint_save(const char *dir_in, const Model *m, const Tokenizer *tok, const AdamW *opt,
                    const TrainerState *st, char *err, size_t errlen) {
    char dir[PATH_MAX - 64], tmp[PATH_MAX], old[PATH_MAX], parent[PATH_MAX];
    if (!dir_in || !*dir_in) return fail(err, errlen, "checkpoint directory name is empty");
    if (strlen(dir_in) >= sizeof(dir)) return fail(err, errlen, "%s: path too long", dir_in);
    snprintf(dir, sizeof(dir), "%s", dir_in);
    for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--) dir[n - 1] = '\0';
    if (opt && opt->n != m->n_params)
        return fail(err, errlen, "%s: optimizer holds %zu moments but the model has %zu parameters", dir, opt->n,
                     m->n_params);
    struct stat sb;
    int exists = lstat(dir, &sb) == 0;
    if (exists && !S_ISDIR(sb.st_mode)) return fail(err, errlen, "%s: exists and is not a directory", dir);
    if (make_parents(dir, err, errlen) != 0) return -1;

    snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", dir, (long)getpid());
    remove_flat_dir(tmp);   /* left by an earlier crash of a process with our pid */
    if (mkdir(tmp, 0755) != 0) return fail(err, errlen, "%s: cannot create directory: %s", tmp, strerror(errno));

    int rc = save_safetensors(tmp, m, err, errlen);
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

static int read_model_config(const char *dir, ModelConfig *cfg, char *err, size_t errlen) {
    char path[PATH_MAX];
    path_join(path, sizeof(path), dir, "config.json");
    json_t *j = load_json(path, err, errlen);
    if (!j) return -1;
    int rc = -1;
    long long V, C, L, H, F, T, kv, x;
    double eps, theta;
    json_t *arch = json_object_get(j, "architectures"), *v;
    size_t i;
    int llama = 0;
    if (!json_is_array(arch)) { fail(err, errlen, "%s: \"architectures\" must be a list", path); goto done; }
    json_array_foreach(arch, i, v) llama |= json_is_string(v) && strcmp(json_string_value(v), "LlamaForCausalLM") == 0;
    if (!llama) { fail(err, errlen, "%s: \"architectures\" must name LlamaForCausalLM", path); goto done; }
    if (expect_string(path, j, "model_type", "llama", 1, err, errlen) ||
        expect_string(path, j, "hidden_act", "silu", 1, err, errlen) ||
        expect_string(path, j, "torch_dtype", "float32", 1, err, errlen) ||
        get_int(path, j, "vocab_size", 1, 1 << 20, &V, err, errlen) ||
        get_int(path, j, "hidden_size", 2, 1 << 16, &C, err, errlen) ||
        get_int(path, j, "intermediate_size", 1, 1 << 20, &F, err, errlen) ||
        get_int(path, j, "num_hidden_layers", 1, ST_MAX_LAYERS, &L, err, errlen) ||
        get_int(path, j, "num_attention_heads", 1, 1024, &H, err, errlen) ||
        get_int(path, j, "num_key_value_heads", 1, 1024, &kv, err, errlen) ||
        get_int(path, j, "max_position_embeddings", 1, 1 << 20, &T, err, errlen) ||
        get_real(path, j, "rms_norm_eps", 1e-12, 1.0, &eps, err, errlen) ||
        get_real(path, j, "rope_theta", 1.0, 1e12, &theta, err, errlen))
        goto done;
    if (kv != H) {
        fail(err, errlen, "%s: num_key_value_heads = %lld but num_attention_heads = %lld (grouped-query attention "
                          "is not supported)", path, kv, H);
        goto done;
    }
    if (C % H != 0 || (C / H) % 2 != 0) {
        fail(err, errlen, "%s: hidden_size = %lld and num_attention_heads = %lld do not give an even head size", path,
             C, H);
        goto done;
    }
    if (json_object_get(j, "head_dim")) {
        if (get_int(path, j, "head_dim", 1, 1 << 16, &x, err, errlen)) goto done;
        if (x != C / H) {
            fail(err, errlen, "%s: head_dim = %lld but hidden_size / num_attention_heads = %lld", path, x, C / H);
            goto done;
        }
    }
    v = json_object_get(j, "tie_word_embeddings");
    if (!json_is_boolean(v)) { fail(err, errlen, "%s: \"tie_word_embeddings\" must be true or false", path); goto done; }
    static const char *const no_bias[] = {"attention_bias", "mlp_bias"};
    for (int b = 0; b < 2; b++) {
        json_t *bv = json_object_get(j, no_bias[b]);
        if (bv && !json_is_false(bv)) { fail(err, errlen, "%s: \"%s\" must be false", path, no_bias[b]); goto done; }
    }
    /* token ids: null (none) or an id of the vocabulary; the tokenizer's own are what the run uses */
    static const char *const ids[] = {"bos_token_id", "eos_token_id", "pad_token_id"};
    for (int k = 0; k < 3; k++) {
        json_t *idv = json_object_get(j, ids[k]);
        if (idv && !json_is_null(idv) && get_int(path, j, ids[k], 0, V - 1, &x, err, errlen)) goto done;
    }
    memset(cfg, 0, sizeof(*cfg));
    cfg->V = (int)V;
    cfg->C = (int)C;
    cfg->L = (int)L;
    cfg->H = (int)H;
    cfg->F = (int)F;
    cfg->max_T = (int)T;
    cfg->norm_eps = (float)eps;
    cfg->rope_theta = (float)theta;
    cfg->tied = json_is_true(v);
    rc = 0;
done:
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

int checkpoint_read_config(const char *dir, ModelConfig *cfg, Tokenizer *tok, char *err, size_t errlen) {
    ModelConfig c;
    Tokenizer t;
    if (read_model_config(dir, &c, err, errlen) != 0) return -1;
    if (read_tokenizer(dir, &t, err, errlen) != 0) return -1;
    /* a Hugging Face model's embedding may have rows beyond the tokenizer's ids (padded for speed) */
    if (t.kind == TOKENIZER_CHAR ? c.V != t.V : c.V < t.V) {
        fail(err, errlen, "%s/config.json: vocab_size = %d but tokenizer.json has %d tokens", dir, c.V, t.V);
        tokenizer_free(&t);
        return -1;
    }
    if (cfg) *cfg = c;
    if (tok) *tok = t;
    else tokenizer_free(&t);
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Reading model.safetensors */

typedef struct {
    ModelTensorInfo info;
    int found;
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
    if (strcmp(json_string_value(dtype), "F32") != 0)
        return fail(err, errlen, "%s: tensor %s: dtype %s, but only F32 is supported", path, name,
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
    if ((uint64_t)(en - b) != e->info.numel * sizeof(float)) {
        info_shape_text(&e->info, want, sizeof(want));
        return fail(err, errlen, "%s: tensor %s: data_offsets [%lld, %lld] hold %lld bytes but shape %s of F32 "
                                 "needs %zu", path, name, (long long)b, (long long)en, (long long)(en - b), want,
                    e->info.numel * sizeof(float));
    }
    e->begin = (uint64_t)b;
    e->end = (uint64_t)en;
    e->found = 1;
    return 0;
}

/* model.safetensors opened and its header checked against a model's config: where each tensor's bytes are. */
typedef struct {
    char path[PATH_MAX];
    int fd;
    int n;              /* tensors, in model_tensor_info order */
    Expected *exp;      /* (n) name, shape, byte range in the data */
    uint64_t data_at;   /* file offset of the data (8 + header length) */
} SafetensorsFile;

static void safetensors_close(SafetensorsFile *f) {
    if (f->fd >= 0) close(f->fd);
    free(f->exp);
    f->fd = -1;
    f->exp = NULL;
}

/* Opens dir/model.safetensors and checks every header field against what cfg says the tensors must be, without
 * allocating the model: a config.json that disagrees with the weights is found before gigabytes are allocated.
 * Returns 0 with f open (close with safetensors_close), or -1 with err and nothing open. */
static int safetensors_open(const char *dir, const ModelConfig *cfg, SafetensorsFile *f, char *err, size_t errlen) {
    memset(f, 0, sizeof *f);
    f->fd = -1;
    char *path = f->path;
    path_join(path, sizeof(f->path), dir, "model.safetensors");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return fail(err, errlen, "%s: missing", path);
        return fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    }
    f->fd = fd;
    int rc = -1, n_exp = 0;
    char *header = NULL;
    json_t *h = NULL;
    Model shape_only; /* names and shapes from the config, no memory */
    memset(&shape_only, 0, sizeof shape_only);
    shape_only.cfg = *cfg;
    Model *m = &shape_only;
    Expected *exp = calloc(ST_MAX_TENSORS, sizeof(Expected));
    Expected **order = calloc(ST_MAX_TENSORS, sizeof(Expected *));
    f->exp = exp;
    struct stat sb;
    uint64_t hlen = 0;
    if (!exp || !order) { fail(err, errlen, "%s: out of memory", path); goto done; }
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

    for (n_exp = 0; n_exp < ST_MAX_TENSORS && model_tensor_info(m, n_exp, &exp[n_exp].info); n_exp++) {}
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
        for (int i = 0; i < n_exp && !e; i++)
            if (strcmp(exp[i].info.name, name) == 0) e = &exp[i];
        if (!e) {
            fail(err, errlen, "%s: unexpected tensor %s%s", path, name,
                 strcmp(name, "lm_head.weight") == 0 && m->cfg.tied
                     ? " (config.json says tie_word_embeddings = true: the output layer is the embedding)" : "");
            goto done;
        }
        if (check_entry(path, name, val, e, data_size, err, errlen) != 0) goto done;
    }
    for (int i = 0; i < n_exp; i++) {
        if (!exp[i].found) { fail(err, errlen, "%s: tensor %s is missing", path, exp[i].info.name); goto done; }
        order[i] = &exp[i];
    }
    /* the byte ranges must tile the data: no overlap, no hole, nothing after the last tensor */
    qsort(order, (size_t)n_exp, sizeof(order[0]), cmp_begin);
    uint64_t at = 0;
    for (int i = 0; i < n_exp; i++) {
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
             path, (unsigned long long)size, (unsigned long long)(data_size - at),
             (unsigned long long)(8 + hlen + at));
        goto done;
    }
    f->n = n_exp;
    f->data_at = 8 + hlen;
    rc = 0;
done:
    json_decref(h);
    free(header);
    free(order);
    if (rc != 0) safetensors_close(f);
    return rc;
}

/* Reads the tensors of a checked file into m (allocated, with the config the file was checked against) and checks
 * that every value is finite. Returns 0 or -1 with err. */
static int safetensors_read(SafetensorsFile *f, Model *m, char *err, size_t errlen) {
    for (int i = 0; i < f->n; i++) {
        Expected *e = &f->exp[i];
        ModelTensorInfo info;
        if (!model_tensor_info(m, i, &info) || strcmp(info.name, e->info.name) != 0 || info.numel != e->info.numel)
            return fail(err, errlen, "%s: the model's tensors changed since the header was checked", f->path);
        if (read_exact(f->fd, info.data, e->end - e->begin, f->data_at + e->begin) != 0)
            return fail(err, errlen, "%s: tensor %s: read failed (file truncated while reading?)", f->path, info.name);
        for (size_t k = 0; k < info.numel; k++)
            if (!isfinite(info.data[k]))
                return fail(err, errlen, "%s: tensor %s: element %zu is %s", f->path, info.name, k,
                            isnan(info.data[k]) ? "NaN" : "infinite");
    }
    return 0;
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

/* Reads config.json and tokenizer.json and opens model.safetensors with its header checked against them. */
static int open_checked(const char *dir, ModelConfig *cfg, Tokenizer *tok, SafetensorsFile *f, char *err,
                        size_t errlen) {
    struct stat sb;
    if (stat(dir, &sb) != 0) return fail(err, errlen, "%s: no such checkpoint directory (%s)", dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode)) return fail(err, errlen, "%s: not a directory", dir);
    if (checkpoint_read_config(dir, cfg, tok, err, errlen) != 0) return -1;
    return safetensors_open(dir, cfg, f, err, errlen);
}

int checkpoint_check(const char *dir, ModelConfig *cfg, Tokenizer *tok, char *err, size_t errlen) {
    ModelConfig c;
    Tokenizer t;
    SafetensorsFile f;
    if (open_checked(dir, &c, &t, &f, err, errlen) != 0) return -1;
    safetensors_close(&f);
    if (cfg) *cfg = c;
    if (tok) *tok = t;
    else tokenizer_free(&t);
    return 0;
}

int checkpoint_load(const char *dir, Model *m, Tokenizer *tok, AdamW *opt, TrainerState *st, char *err,
                    size_t errlen) {
    ModelConfig cfg;
    Tokenizer t;
    SafetensorsFile f;
    char path[PATH_MAX];
    memset(m, 0, sizeof(*m));
    if (open_checked(dir, &cfg, &t, &f, err, errlen) != 0) return -1;
    if (model_init(m, &cfg, 0) != 0) {
        safetensors_close(&f);
        tokenizer_free(&t);
        return fail(err, errlen, "%s: out of memory for the model (%zu parameters)", dir, model_n_params(&cfg));
    }
    int read_rc = safetensors_read(&f, m, err, errlen);
    safetensors_close(&f);
    if (read_rc != 0) goto fail_model;
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
    else tokenizer_free(&t);
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
