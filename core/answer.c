/* answer.c - final answers out of free text (answer.h). */
#include "core/answer.h"
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* s[0..*n) without surrounding whitespace */
static const char *trim(const char *s, size_t *n) {
    while (*n && is_space(*s)) s++, (*n)--;
    while (*n && is_space(s[*n - 1])) (*n)--;
    return s;
}

static int starts(const char *s, size_t n, const char *w) {
    size_t k = strlen(w);
    return n >= k && memcmp(s, w, k) == 0;
}

/* A plain number at s (n bytes): sign, digits with optional comma groups of three, decimals, exponent. Returns the
 * bytes it took (0: none) and the value in *v. */
static size_t plain_number(const char *s, size_t n, double *v) {
    char buf[96];
    size_t i = 0, k = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) buf[k++] = s[i++];
    size_t digits = 0;
    while (i < n && isdigit((unsigned char)s[i]) && k < 60) buf[k++] = s[i++], digits++;
    /* thousands separators: only after a first group of 1..3 digits, each followed by exactly three digits */
    if (digits >= 1 && digits <= 3)
        while (i + 3 < n && s[i] == ',' && isdigit((unsigned char)s[i + 1]) && isdigit((unsigned char)s[i + 2]) &&
               isdigit((unsigned char)s[i + 3]) && (i + 4 >= n || !isdigit((unsigned char)s[i + 4])) && k < 60) {
            memcpy(buf + k, s + i + 1, 3);
            k += 3, i += 4, digits += 3;
        }
    if (i + 1 < n && s[i] == '.' && isdigit((unsigned char)s[i + 1])) {
        buf[k++] = s[i++];
        while (i < n && isdigit((unsigned char)s[i]) && k < 80) buf[k++] = s[i++], digits++;
    }
    if (digits == 0) return 0;
    if (i + 1 < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < n && (s[j] == '-' || s[j] == '+')) j++;
        if (j < n && isdigit((unsigned char)s[j])) {
            while (i < j) buf[k++] = s[i++];
            while (i < n && isdigit((unsigned char)s[i]) && k < 94) buf[k++] = s[i++];
        }
    }
    buf[k] = '\0';
    char *end;
    double x = strtod(buf, &end);
    if (*end || !isfinite(x)) return 0;
    *v = x;
    return i;
}

/* "{number}" at s: returns the bytes taken (0: none) */
static size_t braced_number(const char *s, size_t n, double *v) {
    if (n < 3 || s[0] != '{') return 0;
    size_t m = plain_number(s + 1, n - 1, v);
    return m && 1 + m < n && s[1 + m] == '}' ? m + 2 : 0;
}

/* A number at s in any of the written forms: \frac{a}{b}, a/b, a plain number. Returns the bytes taken. */
static size_t any_number(const char *s, size_t n, double *v) {
    size_t i = 0;
    int neg = 0;
    if (n > 1 && s[0] == '-' && s[1] == '\\') neg = 1, i = 1;
    static const char *const fracs[] = {"\\frac", "\\dfrac", "\\tfrac"};
    for (int f = 0; f < 3; f++) {
        if (!starts(s + i, n - i, fracs[f])) continue;
        size_t j = i + strlen(fracs[f]);
        double a, b;
        size_t ma = braced_number(s + j, n - j, &a);
        if (!ma) return 0;
        size_t mb = braced_number(s + j + ma, n - j - ma, &b);
        if (!mb || b == 0) return 0;
        *v = (neg ? -a : a) / b;
        return j + ma + mb;
    }
    if (neg) return 0;
    double a, b;
    size_t ma = plain_number(s, n, &a);
    if (!ma) return 0;
    if (ma + 1 < n && s[ma] == '/') {
        size_t mb = plain_number(s + ma + 1, n - ma - 1, &b);
        if (mb && b != 0 && s[ma + 1] != '-' && s[ma + 1] != '+') {
            *v = a / b;
            return ma + 1 + mb;
        }
    }
    *v = a;
    return ma;
}

int answer_number(const char *text, double *v) {
    size_t n = strlen(text);
    const char *s = trim(text, &n);
    if (n && s[n - 1] == '.') n--;
    if (starts(s, n, "\\$")) s += 2, n -= 2;
    else if (n && s[0] == '$') s++, n--;
    if (n && s[n - 1] == '$') n--;
    if (n >= 2 && s[n - 2] == '\\' && s[n - 1] == '%') n -= 2;
    else if (n && s[n - 1] == '%') n--;
    s = trim(s, &n);
    double x;
    if (n == 0 || any_number(s, n, &x) != n) return -1;
    *v = x;
    return 0;
}

int answer_last_number(const char *text, double *v) {
    size_t n = strlen(text);
    int found = 0;
    for (size_t i = 0; i < n;) {
        int can = isdigit((unsigned char)text[i]) || text[i] == '\\' ||
                  (text[i] == '-' && i + 1 < n && (isdigit((unsigned char)text[i + 1]) || text[i + 1] == '\\') &&
                   (i == 0 || !isalnum((unsigned char)text[i - 1])));
        double x;
        size_t m = can && (i == 0 || !isdigit((unsigned char)text[i - 1])) ? any_number(text + i, n - i, &x) : 0;
        if (m) {
            *v = x;
            found = 1;
            i += m;
        } else {
            i++;
        }
    }
    return found ? 0 : -1;
}

int answer_numbers_equal(double a, double b) {
    double scale = fabs(a) > 1 ? fabs(a) : 1;
    return fabs(a - b) <= 1e-6 * scale;
}

int answer_after_hashes(const char *solution, char *out, size_t n) {
    const char *p = NULL;
    for (const char *q = strstr(solution, "####"); q; q = strstr(q + 4, "####")) p = q;
    if (!p) return -1;
    p += 4;
    size_t len = strlen(p);
    const char *s = trim(p, &len);
    if (len == 0) return -1;
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == ',' && i > 0 && isdigit((unsigned char)s[i - 1]) && i + 1 < len &&
            isdigit((unsigned char)s[i + 1]))
            continue;
        if (k + 1 >= n) return -1;
        out[k++] = s[i];
    }
    out[k] = '\0';
    return 0;
}

int answer_boxed(const char *text, char *out, size_t n) {
    const char *last = NULL;
    size_t skip = 0;
    static const char *const boxes[] = {"\\boxed{", "\\fbox{"};
    for (int b = 0; b < 2; b++)
        for (const char *q = strstr(text, boxes[b]); q; q = strstr(q + 1, boxes[b]))
            if (!last || q > last) last = q, skip = strlen(boxes[b]);
    if (!last) return -1;
    const char *s = last + skip;
    int depth = 1;
    size_t i = 0;
    for (; s[i]; i++) {
        if (s[i] == '{') depth++;
        else if (s[i] == '}' && --depth == 0) break;
    }
    if (depth != 0 || i + 1 > n) return -1;
    memcpy(out, s, i);
    out[i] = '\0';
    return 0;
}

int answer_normalize_latex(const char *text, char *out, size_t n) {
    static const char *const drop[] = {"\\left", "\\right", "\\!", "\\,", "\\;", "\\:", "$"};
    size_t k = 0, len = strlen(text);
    int text_depth = 0, inner = 0; /* \text{ ... } being unwrapped; braces opened inside one */
    for (size_t i = 0; i < len;) {
        const char *s = text + i;
        size_t m = 0;
        for (int d = 0; d < 7 && !m; d++)
            if (starts(s, len - i, drop[d]) && !(d < 2 && isalpha((unsigned char)s[strlen(drop[d])])))
                m = strlen(drop[d]); /* \left and \right, not \leftarrow */
        if (m) {
            i += m;
            continue;
        }
        if (starts(s, len - i, "\\dfrac") || starts(s, len - i, "\\tfrac")) {
            if (k + 5 >= n) return -1;
            memcpy(out + k, "\\frac", 5);
            k += 5, i += 6;
            continue;
        }
        if (starts(s, len - i, "\\text{") || starts(s, len - i, "\\mbox{")) {
            i += 6;
            text_depth++;
            continue;
        }
        if (text_depth > 0 && *s == '{') inner++;
        if (text_depth > 0 && *s == '}') {
            if (inner == 0) {
                text_depth--;
                i++;
                continue;
            }
            inner--;
        }
        if (is_space(*s)) {
            i++;
            continue;
        }
        if (k + 1 >= n) return -1;
        out[k++] = *s;
        i++;
    }
    while (k && out[k - 1] == '.') k--;
    out[k] = '\0';
    return (int)k;
}
