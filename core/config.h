/* config.h - the experiment configuration: INI sections model, task, reward, grpo, sampling, optim, run,
 * pretrain, sft; one table (CONFIG_KEYS) describes every key once - its type, allowed range, whether it may change
 * while a run lives, and a line of help - and serves the INI parser, `--set section.key=value`, the trainer's
 * live `set`, the studio's editor and the text stored in the run database. */
#ifndef GRPO_CONFIG_H
#define GRPO_CONFIG_H
#include <stddef.h>

enum { AGG_SEQUENCE = 0, AGG_TOKEN = 1, AGG_DR_GRPO = 2 };            /* grpo.aggregation */
enum { IS_TOKEN = 0, IS_SEQUENCE = 1 };                               /* grpo.importance_sampling */
enum { LOSS_GRPO = 0, LOSS_CISPO = 1 };                               /* grpo.loss_type */
enum { ADV_SCALE_GROUP = 0, ADV_SCALE_BATCH = 1, ADV_SCALE_NONE = 2 }; /* grpo.advantage_scaling */
enum { SCHED_CONSTANT = 0, SCHED_COSINE = 1, SCHED_LINEAR = 2 };       /* optim.schedule */
enum { MATCH_EXACT = 0, MATCH_NUMERIC = 1 };                          /* task.match */

typedef struct {
    struct {
        char preset[16];     /* tiny | small | custom: preset fills the sizes unless set explicitly */
        int d_model, n_layers, n_heads, ffn_hidden, max_seq;
        float rope_theta, norm_eps;
        int tied;
        char init[256];      /* checkpoint directory to start from, or "random" */
        char tokenizer[256]; /* a random model's: "" = the character tokenizer, or a Hugging Face tokenizer.json */
    } model;
    struct {
        char name[16];       /* add | mul | countdown | letters | jsonl | gsm8k | math */
        int digits_min, digits_max;   /* add, mul: operand digits */
        int numbers;         /* countdown: the most numbers given */
        int numbers_min;     /* countdown: the fewest (0 = numbers) */
        int number_max;      /* countdown: given numbers are 1..number_max */
        int target_max;      /* countdown: targets and every intermediate are 1..target_max */
        int train_half;      /* 0: every train problem; 1, 2: one half of them (pretraining one, GRPO the other) */
        char path[256];      /* jsonl, gsm8k, math: the data file */
        int match;           /* jsonl: MATCH_* */
        int eval_size;       /* held-out problems */
        char prompt_template[1024]; /* {question} is replaced by the problem */
    } task;
    struct { float accuracy, format, language; } reward;
    struct {
        int group_size, prompts_per_step, num_iterations;
        float beta, eps_low, eps_high;
        int scale_std;       /* 0: Dr. GRPO advantages r - mean, whatever advantage_scaling says */
        int aggregation;     /* AGG_* */
        int importance_sampling; /* IS_* */
        int loss_type;       /* LOSS_* */
        float delta;         /* ratio cap for negative advantages (dual clip); 0 = off */
        int advantage_scaling; /* ADV_SCALE_*: whose std divides r - mean (when scale_std is 1) */
        int mask_truncated;  /* 1: completions cut at max_new_tokens are left out of the loss */
        int overlong_buffer; /* tokens before max_new_tokens over which the overlong penalty ramps; 0 = off */
        float overlong_penalty; /* the reward taken from a completion that reaches max_new_tokens */
        int dynamic_sampling; /* 1: groups whose rewards are all equal are dropped and more prompts drawn (DAPO) */
        int max_draw_factor;  /* dynamic sampling draws at most max_draw_factor * prompts_per_step prompts a step */
        float entropy_top_fraction; /* only this highest-entropy share of loss tokens is learned from; 1 = all */
        int ref_refresh_every; /* every N steps the reference moves towards the policy; 0 = never */
        float ref_mix;        /* at a refresh: reference = ref_mix * policy + (1 - ref_mix) * reference */
    } grpo;
    struct { float temperature, top_p; int top_k, max_new_tokens; } sampling;
    struct {
        float lr, weight_decay, beta1, beta2, eps, grad_clip, min_lr_ratio;
        int warmup_steps, schedule;   /* SCHED_* */
    } optim;
    struct {
        char name[64];
        int steps, seed, threads;
        int checkpoint_every, eval_every, eval_samples, eval_problems;
        int max_batch;       /* the most prompts_per_step * group_size may reach while the run lives */
        int activation_mb;   /* memory for the policy update's activations (micro-batches fit it); 0 = automatic */
        char db[256];        /* run database; "" = runs/<name>.db; "none" = no database */
        char out_dir[512];   /* train: <out_dir>/<name>/run-<id>/step-N (ui/cmd_train.c); longer is refused at load */
    } run;
    struct {
        int steps, batch_size, seq_len, warmup_steps;
        float lr;
        float style_direct, style_scratchpad, style_check, style_wait; /* corpus mixture weights */
        int corpus_problems;  /* problems written into the synthetic corpus */
        int phase2_start;     /* from this step on the phase2_style_* mixture applies; 0 = one phase only */
        float phase2_style_direct, phase2_style_scratchpad, phase2_style_check, phase2_style_wait;
    } pretrain;
    struct { char data[256]; int steps, batch_size; float lr; } sft;
} Config;

typedef enum { CFG_INT, CFG_FLOAT, CFG_BOOL, CFG_STRING, CFG_ENUM } ConfigType;

typedef struct {
    const char *section;
    const char *key;
    ConfigType type;
    size_t offset;           /* into Config */
    size_t size;             /* CFG_STRING: buffer size */
    double min, max;         /* CFG_INT / CFG_FLOAT: inclusive range */
    const char *choices;     /* CFG_ENUM: "a|b|c", value stored as the index; CFG_STRING: the only words allowed
                              * (stored as text), NULL for any text */
    int live;                /* may change while a run lives (trainer set, studio editor) */
    const char *help;
} ConfigKey;

extern const ConfigKey CONFIG_KEYS[];
extern const int CONFIG_N_KEYS;

/* The key "section.key" (or section and key apart); NULL when there is none. */
const ConfigKey *config_key(const char *section, const char *key);
const ConfigKey *config_key_dotted(const char *dotted);

/* Every key's default: the default experiment. */
void config_defaults(Config *c);
/* Reads an INI file over the values already in c. Returns 0, or -1 with err naming file, line, key and value and
 * what was expected (unknown section, unknown key, malformed or out-of-range value). */
int config_load_file(Config *c, const char *path, char *err, size_t errlen);
/* The same from text; `name` stands for the file in messages. */
int config_load_string(Config *c, const char *text, const char *name, char *err, size_t errlen);
/* Applies "section.key=value" (the --set form). Returns 0 or -1 with err. */
int config_set(Config *c, const char *assignment, char *err, size_t errlen);
/* Parses and range-checks `value` for key k and stores it. Returns 0 or -1 with err naming key, value and range. */
int config_set_value(Config *c, const ConfigKey *k, const char *value, char *err, size_t errlen);
/* Writes k's current value as text (the form config_set_value accepts). */
void config_get_value(const Config *c, const ConfigKey *k, char *buf, size_t n);
/* The allowed values of k as text, e.g. "1e-07 .. 0.1" or "sequence|token|dr_grpo". */
void config_describe_range(const ConfigKey *k, char *buf, size_t n);
/* Checks cross-key constraints (d_model % n_heads, prompts * group <= max_batch, ...) after loading and resolves
 * the model preset into sizes. Returns 0 or -1 with err. */
int config_finish(Config *c, char *err, size_t errlen);
/* The whole config as INI text; malloc'd, the caller frees. */
char *config_to_ini(const Config *c);

#endif
