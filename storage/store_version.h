/* store_version.h - the version of the run database schema this build writes (PRAGMA user_version).
 * The one place it is defined; storage/store_schema.c holds one migration per version step:
 *   1: runs, metrics, rollouts, events, checkpoints
 *   2: texts split into rollout_texts (rollouts stays narrow), rollouts_fts (FTS5 over completions, kept by
 *      triggers), evals, cached run counters, browse indexes
 *   3: rollout_tokens (per-token ids, log-probs, entropies, ratios as blobs, storage/token_blob.h) */
#ifndef GRPO_STORE_VERSION_H
#define GRPO_STORE_VERSION_H
#define STORE_SCHEMA_VERSION 4
int store_schema_version(void);
#endif
