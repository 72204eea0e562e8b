/* text_fit.c - text cut to a number of terminal columns (text_fit.h). */
#include "ui/text_fit.h"
#include <string.h>
#include <utf8proc.h>

int text_fit(const char *s, int width, char *out, size_t cap) {
    int cols = 0;
    size_t k = 0, n = s ? strlen(s) : 0;
    if (cap == 0) return 0;
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t len = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
        const char *bytes = s + i;
        char sub;
        int w;
        if (len <= 0) {              /* not UTF-8: one byte, shown as '?' */
            sub = '?', bytes = &sub, len = 1, w = 1;
            i += 1;
        } else {
            i += (size_t)len;
            if (cp < 32 || cp == 127 || (cp >= 0x80 && cp < 0xA0)) {
                sub = ' ', bytes = &sub, len = 1, w = 1;
            } else {
                w = utf8proc_charwidth(cp);
                if (w < 0) w = 0;
                if (w == 0 && k == 0) continue; /* nothing to combine with */
            }
        }
        if (cols + w > width || k + (size_t)len >= cap) break;
        memcpy(out + k, bytes, (size_t)len);
        k += (size_t)len;
        cols += w;
    }
    out[k] = 0;
    return cols;
}
