/* token_view.h - the per-token view of a transcript, as pure functions (tests/test_token_view.c): which colour
 * bucket a token's log-prob, entropy or importance ratio falls in, the legend's words for the buckets, and a
 * completion's tokens as display pieces wrapped into rows. ui/screen_tokens.c draws them.
 *
 * A piece is one token's text made safe to print: a newline shows as a return mark and ends the row, a tab as an
 * arrow, other control bytes as '?', and without a UTF-8 locale every non-ASCII character as '?'. A byte-level BPE
 * token can end inside a UTF-8 character: the character is shown once, on the token that completes it (the run's
 * TokenizerStream holds incomplete UTF-8 back), and the tokens before it show as a one-column dot, so each token
 * still has a box of its colour. */
#ifndef GRPO_UI_TOKEN_VIEW_H
#define GRPO_UI_TOKEN_VIEW_H
#include "core/tokenizer.h"
#include <stddef.h>

typedef enum { TV_LOGPROB = 0, TV_ENTROPY, TV_RATIO, TV_MEASURES } TokenMeasure;
enum { TV_BUCKETS = 5 };

/* "log-prob", "entropy" or "ratio". */
const char *token_view_measure_name(TokenMeasure m);
/* What bucket 0 .. TV_BUCKETS-1 of the colour scale v falls in: log-prob from sure (>= -0.1, p >= 0.90) to unsure
 * (< -2.3, p < 0.10); entropy (nats) from < 0.1 to >= 1.5; ratio from pushed down (< 0.8) through unchanged
 * (0.95 .. 1.05, bucket 2) to pushed up (> 1.2). -1 for NaN. */
int token_view_bucket(TokenMeasure m, float v);
/* The bucket's range as the legend writes it, e.g. ">=-0.1", "0.1-0.4", "<0.8". */
const char *token_view_bucket_label(TokenMeasure m, int bucket);

typedef struct {
    int start, len;   /* bytes of the view's text */
    int cols;         /* terminal columns (at least 1) */
    int newline;      /* the token held a newline: the row ends after it */
} TokenPiece;

/* Decodes ids[0..n) one at a time with tok's stream into display pieces: pieces[i] is token i's text in out (cap
 * bytes). utf8: the terminal takes UTF-8. Returns 0, or -1 when out is too small or memory runs out. */
int token_view_pieces(const Tokenizer *tok, const int *ids, int n, int utf8, char *out, size_t cap,
                      TokenPiece *pieces);
/* Wraps pieces[0..n) into rows of at most width columns, never splitting a piece (one wider than the row gets a row
 * of its own); row r starts at piece row_start[r] (row_start may be NULL to count, max bounds what is written).
 * Returns the number of rows. */
int token_view_wrap(const TokenPiece *pieces, int n, int width, int *row_start, int max);

#endif
