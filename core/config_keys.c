/* config_keys.c - CONFIG_KEYS: every key of the Config struct, once, with its type, allowed range, whether it may
 * change while a run lives, and a line of help. The INI loader, `--set`, the trainer's live `set`, the studio's
 * editor and config_to_ini all read this one table; tests/test_config.c checks that it covers every byte of Config
 * exactly once, so a field added to config.h without a row here fails the suite.
 *
 * Conventions beyond config.h: a CFG_STRING row with `choices` accepts only those words (the preset and task names
 * are kept as text in Config because other modules compare them by name); sizes of 0 in [model] mean "from the
 * preset"; 0 for run.checkpoint_every / run.eval_every means "off". */
#include "core/config.h"
#include <stddef.h>

#define ROW_INT(sec, name, lo, hi, live, help) \
    { #sec, #name, CFG_INT, offsetof(Config, sec.name), sizeof(int), lo, hi, NULL, live, help }
#define ROW_FLOAT(sec, name, lo, hi, live, help) \
    { #sec, #name, CFG_FLOAT, offsetof(Config, sec.name), sizeof(float), lo, hi, NULL, live, help }
#define ROW_BOOL(sec, name, live, help) \
    { #sec, #name, CFG_BOOL, offsetof(Config, sec.name), sizeof(int), 0, 1, NULL, live, help }
#define ROW_ENUM(sec, name, choices, live, help) \
    { #sec, #name, CFG_ENUM, offsetof(Config, sec.name), sizeof(int), 0, 0, choices, live, help }
#define ROW_STRING(sec, name, choices, help) \
    { #sec, #name, CFG_STRING, offsetof(Config, sec.name), sizeof(((Config *)0)->sec.name), 0, 0, choices, 0, help }

#define LIVE 1
#define FIXED 0

const ConfigKey CONFIG_KEYS[] = {
    /* [model] */
    ROW_STRING(model, preset, "tiny|small|custom", "size preset: tiny (C128 L4 H4 F384), small (C256 L6 H8 F768) or custom"),
    ROW_INT(model, d_model, 0, 8192, FIXED, "channels C; 0 = from the preset"),
    ROW_INT(model, n_layers, 0, 256, FIXED, "transformer blocks L; 0 = from the preset"),
    ROW_INT(model, n_heads, 0, 256, FIXED, "attention heads H (head size C/H must be even); 0 = from the preset"),
    ROW_INT(model, ffn_hidden, 0, 65536, FIXED, "SwiGLU hidden size F; 0 = from the preset"),
    ROW_INT(model, max_seq, 8, 16384, FIXED, "longest sequence, prompt plus completion (RoPE table, KV cache)"),
    ROW_FLOAT(model, rope_theta, 1, 1e8, FIXED, "RoPE base frequency"),
    ROW_FLOAT(model, norm_eps, 1e-12, 1e-2, FIXED, "RMSNorm epsilon"),
    ROW_BOOL(model, tied, FIXED, "1: the output layer is the token embedding"),
    ROW_STRING(model, init, NULL, "checkpoint directory to start from, or \"random\""),
    ROW_STRING(model, tokenizer, NULL,
               "a random model's tokenizer: \"\" = the character tokenizer, or a Hugging Face tokenizer.json (or "
               "its folder); a checkpoint brings its own"),
    /* [task] */
    ROW_STRING(task, name, "add|mul|countdown|letters|jsonl|gsm8k|math",
               "the task: add, mul, countdown, letters, jsonl, gsm8k or math"),
    ROW_INT(task, digits_min, 1, 9, FIXED, "add, mul: fewest digits of an operand"),
    ROW_INT(task, digits_max, 1, 9, FIXED, "add, mul: most digits of an operand"),
    ROW_INT(task, numbers, 2, 6, FIXED, "countdown: how many numbers to combine (the most, with numbers_min)"),
    ROW_INT(task, numbers_min, 0, 6, FIXED, "countdown: the fewest numbers, drawn uniformly up to numbers; 0 = numbers"),
    ROW_INT(task, number_max, 2, 1000, FIXED, "countdown: the given numbers are 1..number_max"),
    ROW_INT(task, train_half, 0, 2, FIXED,
            "synthetic tasks: 0 = every train problem; 1 or 2 = one half of them (a base pretrained on one half meets "
            "only unseen problems when GRPO trains on the other)"),
    ROW_INT(task, target_max, 2, 10000, FIXED, "countdown: the target and every intermediate are 1..target_max"),
    ROW_STRING(task, path, NULL,
               "jsonl, gsm8k, math: the JSON-lines file ({prompt, answer}; {question, answer with ####}; "
               "{problem, solution with \\boxed{} or answer})"),
    ROW_ENUM(task, match, "exact|numeric", FIXED, "jsonl: how an answer is compared"),
    ROW_INT(task, eval_size, 1, 1000000, FIXED, "held-out problems, disjoint from training"),
    ROW_STRING(task, prompt_template, NULL, "prompt text; {question} is replaced by the problem"),
    /* [reward] */
    ROW_FLOAT(reward, accuracy, 0, 10, LIVE, "weight of the accuracy reward (the answer parses and is right)"),
    ROW_FLOAT(reward, format, 0, 10, LIVE, "weight of the format reward (<think>...</think><answer>...</answer>)"),
    ROW_FLOAT(reward, language, 0, 10, LIVE, "weight of the language-consistency reward (thinking in the alphabet)"),
    /* [grpo] */
    ROW_INT(grpo, group_size, 2, 256, LIVE, "G: completions sampled per prompt"),
    ROW_INT(grpo, prompts_per_step, 1, 1024, LIVE, "P: prompts per step (P * G <= run.max_batch)"),
    ROW_INT(grpo, num_iterations, 1, 16, LIVE, "mu: policy updates per batch against fixed old log-probs"),
    ROW_FLOAT(grpo, beta, 0, 10, LIVE, "KL coefficient (k3 estimator to the reference); 0 skips the reference"),
    ROW_FLOAT(grpo, eps_low, 0, 1, LIVE, "clip range below: ratio >= 1 - eps_low"),
    ROW_FLOAT(grpo, eps_high, 0, 10, LIVE, "clip range above: ratio <= 1 + eps_high (DAPO uses 0.28)"),
    ROW_BOOL(grpo, scale_std, LIVE, "1: advantage (r - mean) / std; 0: r - mean (Dr. GRPO)"),
    ROW_ENUM(grpo, aggregation, "sequence|token|dr_grpo", LIVE,
             "loss aggregation: per-sequence mean (GRPO), per-token mean (DAPO) or Dr. GRPO's constant"),
    ROW_ENUM(grpo, importance_sampling, "token|sequence", LIVE,
             "importance ratio per token (GRPO) or per sequence, the geometric mean of its tokens' (GSPO)"),
    ROW_ENUM(grpo, loss_type, "grpo|cispo", LIVE,
             "grpo: clipped surrogate; cispo: clipped ratio as a constant weight on logp (clipped tokens learn)"),
    ROW_FLOAT(grpo, delta, 0, 100, LIVE, "negative advantages: ratio capped at delta (> 1 + eps_high); 0 = off"),
    ROW_ENUM(grpo, advantage_scaling, "group|batch|none", LIVE,
             "std dividing r - group mean: the group's, the batch's or none (scale_std = 0 means none)"),
    ROW_BOOL(grpo, mask_truncated, LIVE, "1: completions cut at max_new_tokens are left out of the loss (DAPO)"),
    ROW_INT(grpo, overlong_buffer, 0, 16384, LIVE,
            "tokens before max_new_tokens over which the overlong penalty ramps up (DAPO); 0 = off"),
    ROW_FLOAT(grpo, overlong_penalty, 0, 10, LIVE, "reward taken from a completion reaching max_new_tokens"),
    ROW_BOOL(grpo, dynamic_sampling, LIVE,
             "1: groups with all rewards equal are dropped and more prompts drawn until P are informative (DAPO)"),
    ROW_INT(grpo, max_draw_factor, 1, 16, LIVE,
            "dynamic sampling draws at most max_draw_factor * prompts_per_step prompts per step"),
    ROW_FLOAT(grpo, entropy_top_fraction, 0.01, 1, LIVE,
              "only the highest-entropy share of the batch's loss tokens is learned from (0.2: 80/20); 1 = all"),
    ROW_INT(grpo, ref_refresh_every, 0, 100000000, LIVE,
            "every N steps the reference moves to ref_mix * policy + (1 - ref_mix) * reference; 0 = never"),
    ROW_FLOAT(grpo, ref_mix, 0, 1, LIVE, "share of the policy in the reference after a refresh; 1 = replace"),
    /* [sampling] */
    ROW_FLOAT(sampling, temperature, 0.01, 10, LIVE, "sampling temperature; 1 samples the model's distribution"),
    ROW_FLOAT(sampling, top_p, 0.01, 1, LIVE, "nucleus sampling mass; 1 = off"),
    ROW_INT(sampling, top_k, 0, 100000, LIVE, "sample among the k likeliest tokens; 0 = off"),
    ROW_INT(sampling, max_new_tokens, 1, 16384, LIVE, "longest completion (must stay below model.max_seq)"),
    /* [optim] */
    ROW_FLOAT(optim, lr, 1e-7, 1e-1, LIVE, "peak learning rate"),
    ROW_FLOAT(optim, weight_decay, 0, 1, LIVE, "AdamW decoupled weight decay"),
    ROW_FLOAT(optim, beta1, 0, 0.9999, FIXED, "AdamW first-moment decay"),
    ROW_FLOAT(optim, beta2, 0, 0.99999, FIXED, "AdamW second-moment decay"),
    ROW_FLOAT(optim, eps, 1e-12, 1e-3, FIXED, "AdamW epsilon"),
    ROW_FLOAT(optim, grad_clip, 0, 1000, LIVE, "clip the global gradient norm to this; 0 = off"),
    ROW_FLOAT(optim, min_lr_ratio, 0, 1, FIXED, "schedule floor as a fraction of the peak learning rate"),
    ROW_INT(optim, warmup_steps, 0, 10000000, FIXED, "linear warmup steps"),
    ROW_ENUM(optim, schedule, "constant|cosine|linear", FIXED, "learning-rate schedule after warmup"),
    /* [run] */
    ROW_STRING(run, name, NULL, "run name: database <out_dir>/<name>.db, checkpoints beside it in <name>/run-<id>"),
    ROW_INT(run, steps, 0, 100000000, LIVE, "training steps"),
    ROW_INT(run, seed, 0, 2147483647, FIXED, "random seed (problems, sampling, initialisation)"),
    ROW_INT(run, threads, 1, 64, FIXED, "threads of the kernels' pool (results depend on seed and thread count)"),
    ROW_INT(run, checkpoint_every, 0, 100000000, LIVE, "save a checkpoint every N steps; 0 = only at the end"),
    ROW_INT(run, eval_every, 0, 100000000, LIVE, "evaluate on held-out problems every N steps; 0 = off"),
    ROW_INT(run, eval_samples, 1, 64, FIXED, "k: samples per problem for pass@1 and cons@k"),
    ROW_INT(run, eval_problems, 1, 1000000, FIXED, "held-out problems per evaluation (<= task.eval_size)"),
    ROW_INT(run, max_batch, 1, 65536, FIXED, "the most prompts_per_step * group_size may reach while the run lives"),
    ROW_INT(run, activation_mb, 0, 16777216, FIXED,
            "MB for the policy update's activations (micro-batches fit it); 0 = a quarter of free memory, <= 512"),
    ROW_STRING(run, db, NULL, "run database; \"\" = runs/<name>.db, \"none\" = no database"),
    ROW_STRING(run, out_dir, NULL, "where runs go: <out_dir>/<name>.db and <out_dir>/<name>/run-<id>/step-N"),
    /* [pretrain] */
    ROW_INT(pretrain, steps, 0, 100000000, FIXED, "pretraining steps"),
    ROW_INT(pretrain, batch_size, 1, 4096, FIXED, "sequences per pretraining step"),
    ROW_INT(pretrain, seq_len, 8, 16384, FIXED, "tokens per pretraining sequence (<= model.max_seq)"),
    ROW_INT(pretrain, warmup_steps, 0, 10000000, FIXED, "pretraining warmup steps"),
    ROW_FLOAT(pretrain, lr, 1e-7, 1, FIXED, "pretraining peak learning rate"),
    ROW_FLOAT(pretrain, style_direct, 0, 1, FIXED, "corpus share of direct answers"),
    ROW_FLOAT(pretrain, style_scratchpad, 0, 1, FIXED, "corpus share of step-by-step scratchpads"),
    ROW_FLOAT(pretrain, style_check, 0, 1, FIXED, "corpus share of scratchpads with a check"),
    ROW_FLOAT(pretrain, style_wait, 0, 1, FIXED, "corpus share of a mistake, \"wait\", and a correction"),
    ROW_INT(pretrain, corpus_problems, 1, 100000000, FIXED, "problems written into the synthetic corpus"),
    ROW_INT(pretrain, phase2_start, 0, 100000000, FIXED,
            "step where the second corpus mixture (phase2_style_*) takes over; 0 = one mixture throughout"),
    ROW_FLOAT(pretrain, phase2_style_direct, 0, 1, FIXED, "second phase: share of direct answers"),
    ROW_FLOAT(pretrain, phase2_style_scratchpad, 0, 1, FIXED, "second phase: share of scratchpads"),
    ROW_FLOAT(pretrain, phase2_style_check, 0, 1, FIXED, "second phase: share of scratchpads with a check"),
    ROW_FLOAT(pretrain, phase2_style_wait, 0, 1, FIXED, "second phase: share of mistake, \"wait\", correction"),
    /* [sft] */
    ROW_STRING(sft, data, NULL, "SFT data: a JSON-lines file of prompt/completion pairs"),
    ROW_INT(sft, steps, 0, 100000000, FIXED, "SFT steps"),
    ROW_INT(sft, batch_size, 1, 4096, FIXED, "sequences per SFT step"),
    ROW_FLOAT(sft, lr, 1e-7, 1, FIXED, "SFT peak learning rate"),
};

const int CONFIG_N_KEYS = (int)(sizeof(CONFIG_KEYS) / sizeof(CONFIG_KEYS[0]));
