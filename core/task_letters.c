/* task_letters.c - count a letter in a word, "count r in strawberry" (answer 3). Words come from a built-in list
 * rich in doubled letters (where people and small models miscount); the letter is one of the word's letters
 * three times in four, else a letter it lacks (answer 0).
 *
 * Worked solutions spell the word with a running count after each match ("s t r1 a w b e r2 r3 y"), then "=3".
 * The check counts again another way: the word masked to the letter ("..r....rr.") and its count, compared with
 * the first: "verify ..r....rr.=3 ok". STYLE_WAIT skips a match in the spelling (the second of a double letter when
 * there is one) or, when there is none to skip, counts a wrong letter; the mask disagrees ("=3 no"), then "wait"
 * and the spelling redone. */
#include "core/task_impl.h"
#include <stdio.h>
#include <string.h>

static const char *const WORDS[] = {
    "strawberry", "banana", "mississippi", "bookkeeper", "committee", "balloon", "coffee", "letter", "apple",
    "parallel", "raspberry", "blueberry", "cherry", "pepper", "butter", "tomorrow", "success", "address", "possess",
    "assessment", "accommodate", "necessary", "embarrass", "occurrence", "millennium", "referee", "giraffe",
    "hippopotamus", "llama", "alpaca", "cinnamon", "broccoli", "zucchini", "spaghetti", "vanilla", "chocolate",
    "pineapple", "watermelon", "grapefruit", "lemonade", "tennessee", "massachusetts", "alabama", "hawaii",
    "missouri", "connecticut", "banner", "mammal", "summer", "winter", "yellow", "purple", "orange", "rabbit",
    "kitten", "puppy", "squirrel", "penguin", "kangaroo", "elephant", "gorilla", "buffalo", "mosquito", "bubble",
    "puzzle", "dazzle", "fizzle", "jazz", "pizza", "ladder", "hammer", "scissors", "bottle", "kettle", "teeth",
    "toffee", "needle", "freedom", "keeper", "sheep", "street", "three", "queen", "green", "moon", "spoon",
    "school", "cookie", "google", "noodle", "poodle", "door", "floor", "book", "attention", "intention",
    "tradition", "education", "papaya", "cassava", "avocado", "potato", "tomato", "onion", "garlic", "carrot",
    "celery", "lettuce", "radish", "turnip", "cabbage", "spinach", "engineer", "reference", "difference",
    "interference", "experience", "excellence", "independence", "programming", "grammar", "hello", "world",
    "language", "model", "reasoning", "thinking", "answer", "reward", "assess", "access", "princess", "business",
    "happiness", "kindness", "illness", "goodness", "wilderness", "umbrella", "cappuccino", "espresso", "macaroni",
    "lasagna", "ravioli", "risotto", "tortilla", "burrito", "quesadilla", "guacamole", "mozzarella", "parmesan",
    "cheddar", "marshmallow", "caramel", "waffle", "muffin", "biscuit", "pretzel", "popcorn", "peppermint",
    "bubblegum", "lollipop", "sherbet", "sorbet",
};
#define N_WORDS ((int)(sizeof WORDS / sizeof WORDS[0]))

/* Word and letter of a question "count L in WORD". Returns 0, or -1 when q is not in that form. */
static int parse_question(const char *q, char *letter, char *word, size_t n) {
    if (strncmp(q, "count ", 6) != 0 || !q[6] || strncmp(q + 7, " in ", 4) != 0) return -1;
    *letter = q[6];
    snprintf(word, n, "%s", q + 11);
    return 0;
}

static int count_of(const char *word, char letter) {
    int k = 0;
    for (const char *w = word; *w; w++) k += *w == letter;
    return k;
}

static void letters_draw(const Task *t, Rng *rng, Problem *out) {
    const char *word = WORDS[rng_below(rng, N_WORDS)];
    size_t len = strlen(word);
    char letter;
    if (rng_below(rng, 4) != 0) {
        letter = word[rng_below(rng, (uint32_t)len)];
    } else {
        do letter = (char)('a' + rng_below(rng, 26));
        while (strchr(word, letter));
    }
    int k = count_of(word, letter);
    snprintf(out->question, sizeof out->question, "count %c in %s", letter, word);
    snprintf(out->answer, sizeof out->answer, "%d", k);
    out->operands[0] = letter;
    out->n_operands = 1;
    out->target = k;
}

static int letters_check(const Task *t, const Problem *p, const char *answer) {
    long long v, want;
    if (task_parse_uint(answer, &v) != 0 || task_parse_uint(p->answer, &want) != 0) return 0;
    return v == want;
}

/* The spelling with running counts; `skip` is the position of a match left uncounted, `extra` a non-match
 * counted (-1: none). Returns the count it reaches. */
static int write_spelling(const char *word, char letter, int skip, int extra, TaskText *out) {
    int k = 0;
    for (int i = 0; word[i]; i++) {
        int counted = (word[i] == letter && i != skip) || i == extra;
        if (counted) task_text_printf(out, "%s%c%d", i ? " " : "", word[i], ++k);
        else task_text_printf(out, "%s%c", i ? " " : "", word[i]);
    }
    task_text_puts(out, "\n");
    return k;
}

static void write_mask(const char *word, char letter, int counted, TaskText *out) {
    task_text_puts(out, "verify ");
    int k = 0;
    for (int i = 0; word[i]; i++) {
        task_text_printf(out, "%c", word[i] == letter ? letter : '.');
        k += word[i] == letter;
    }
    task_text_printf(out, "=%d %s\n", k, k == counted ? "ok" : "no");
}

static void letters_write(const Task *t, const Problem *p, SolutionStyle style, Rng *rng, TaskText *out) {
    char letter, word[TASK_QUESTION_MAX];
    if (style == STYLE_DIRECT || parse_question(p->question, &letter, word, sizeof word) != 0) {
        task_text_answer(out, p->answer);
        return;
    }
    int len = (int)strlen(word), skip = -1, extra = -1;
    if (style == STYLE_WAIT) {
        int matches[TASK_QUESTION_MAX], nm = 0, doubled = -1;
        for (int i = 0; i < len; i++) {
            if (word[i] != letter) continue;
            matches[nm++] = i;
            if (i > 0 && word[i - 1] == letter) doubled = i;
        }
        if (doubled >= 0 && rng_below(rng, 4) != 0) skip = doubled;
        else if (nm > 0) skip = matches[rng_below(rng, (uint32_t)nm)];
        else extra = (int)rng_below(rng, (uint32_t)len);
    }
    int counted = write_spelling(word, letter, skip, extra, out);
    task_text_printf(out, "=%d\n", counted);
    if (style == STYLE_CHECK || style == STYLE_WAIT) write_mask(word, letter, counted, out);
    if (style == STYLE_WAIT) {
        task_text_puts(out, "wait\n");
        int k = write_spelling(word, letter, -1, -1, out);
        task_text_printf(out, "=%d\n", k);
    }
    task_text_answer(out, p->answer);
}

const TaskOps TASK_OPS_LETTERS = {
    .name = "letters",
    .draw = letters_draw,
    .check = letters_check,
    .write_solution = letters_write,
    .alphabet = TASK_TEXT_ALPHABET,
};
