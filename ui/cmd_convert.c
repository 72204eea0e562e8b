/* cmd_convert.c - `grpo-studio convert CHECKPOINT --out DIR [--like HF_FOLDER]`: a checkpoint trained here written
 * as the Hugging Face folder its model came from - the architecture's config.json keys, the source's dtype (BF16
 * for a BF16 model), its tokenizer and generation files - so that transformers, vLLM or llama.cpp's converter load
 * it as they loaded the original. The source is the run's model.init (from the checkpoint's trainer.json) unless
 * --like names one. Atomic: a failed convert leaves nothing at DIR. */
#include "core/checkpoint.h"
#include "core/config.h"
#include "ui/cli.h"
#include "ui/commands.h"
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f, "usage: grpo-studio convert CHECKPOINT --out DIR [--like HF_FOLDER]\n\n"
               "Writes the model of CHECKPOINT (a checkpoint of a run that started from a Hugging Face model) as a\n"
               "Hugging Face folder at DIR: model.safetensors in the source model's dtype (rounded to nearest even),\n"
               "config.json with the source's keys, and its tokenizer and generation files.\n\n"
               "  --out DIR         the folder to write (replaced atomically when it exists)\n"
               "  --like HF_FOLDER  the folder whose architecture, dtype and files to follow (default: the run's\n"
               "                    model.init, read from the checkpoint's trainer.json)\n");
}

/* The same model shape: every size a Hugging Face config.json states. */
static int same_shape(const ModelConfig *a, const ModelConfig *b) {
    return a->V == b->V && a->C == b->C && a->L == b->L && a->H == b->H && a->F == b->F &&
           model_kv_heads(a) == model_kv_heads(b) && model_head_dim(a) == model_head_dim(b) &&
           a->qkv_bias == b->qkv_bias && a->qk_norm == b->qk_norm && a->tied == b->tied;
}

int cmd_convert(int argc, char **argv) {
    static const struct option LONG[] = {{"help", no_argument, NULL, 'h'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"like", required_argument, NULL, 'l'},
                                         {NULL, 0, NULL, 0}};
    const char *out = NULL, *like = NULL, *ckpt_arg = NULL;
    int o;
    optind = 0;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":h", LONG, NULL)) != -1) {
        switch (o) {
        case 'h': usage(stdout); return 0;
        case 'o': out = optarg; break;
        case 'l': like = optarg; break;
        default: cli_option_error("convert", argv, o); return 2;
        }
    }
    if (optind < argc) ckpt_arg = argv[optind++];
    if (!ckpt_arg || !out || optind < argc) {
        fprintf(stderr, "grpo-studio convert: %s\n\n",
                !ckpt_arg ? "which checkpoint? (CHECKPOINT)" : !out ? "--out DIR is required" : "one checkpoint only");
        usage(stderr);
        return 2;
    }
    char err[1024], ckpt[PATH_MAX], source[PATH_MAX];
    if (cli_resolve(ckpt, sizeof ckpt, ckpt_arg, "checkpoint", err, sizeof err) != 0) {
        fprintf(stderr, "grpo-studio convert: %s\n", err);
        return 2;
    }
    Model m;
    TrainerState st;
    memset(&st, 0, sizeof st);
    if (checkpoint_load(ckpt, &m, NULL, NULL, &st, err, sizeof err) != 0) {
        fprintf(stderr, "grpo-studio convert: %s\n", err);
        return 1;
    }
    int rc = 1;
    CheckpointInfo info;
    memset(&info, 0, sizeof info);
    if (like) {
        snprintf(source, sizeof source, "%s", like);
    } else {
        Config c;
        config_defaults(&c);
        if (!st.config_ini || config_load_string(&c, st.config_ini, "trainer.json", err, sizeof err) != 0 ||
            !strcmp(c.model.init, "random") || !c.model.init[0]) {
            fprintf(stderr, "grpo-studio convert: %s/trainer.json names no Hugging Face model the run started from "
                            "(model.init = %s): give --like HF_FOLDER\n", ckpt, st.config_ini ? c.model.init : "?");
            goto done;
        }
        snprintf(source, sizeof source, "%s", c.model.init);
    }
    ModelConfig scfg;
    if (checkpoint_inspect(source, &scfg, &info, err, sizeof err) != 0) {
        fprintf(stderr, "grpo-studio convert: the source model: %s\n", err);
        goto done;
    }
    if (!same_shape(&m.cfg, &scfg)) {
        fprintf(stderr, "grpo-studio convert: %s is not shaped like %s (V %d C %d L %d H %d F %d against V %d C %d "
                        "L %d H %d F %d, or other heads, biases or norms)\n", ckpt, source, m.cfg.V, m.cfg.C, m.cfg.L,
                m.cfg.H, m.cfg.F, scfg.V, scfg.C, scfg.L, scfg.H, scfg.F);
        goto done;
    }
    if (checkpoint_export(out, &m, &info, err, sizeof err) != 0) {
        fprintf(stderr, "grpo-studio convert: %s\n", err);
        goto done;
    }
    printf("wrote %s: %s in %s like %s, %zu parameters\n", out, info.architecture, dtype_torch_name(info.dtype), source,
           m.n_params);
    rc = 0;
done:
    checkpoint_info_free(&info);
    free(st.config_ini);
    model_free(&m);
    return rc;
}
