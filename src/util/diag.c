#include "diag.h"

#include <stdarg.h>

#define DIAG_MAX_BYTES (1u << 20)

void
cm_diag_init(struct cm_diag *d)
{
    cm_buf_init(&d->text, DIAG_MAX_BYTES);
    d->count = 0;
}

void
cm_diag_free(struct cm_diag *d)
{
    cm_buf_free(&d->text);
    d->count = 0;
}

void
cm_diag_add(struct cm_diag *d, const char *file, size_t line, size_t col,
            const char *fmt, ...)
{
    va_list ap;

    if (line > 0)
        cm_buf_addf(&d->text, "%s:%zu:%zu: ", file, line, col);
    else
        cm_buf_addf(&d->text, "%s: ", file);
    va_start(ap, fmt);
    cm_buf_vaddf(&d->text, fmt, ap);
    va_end(ap);
    cm_buf_addc(&d->text, '\n');
    d->count++;
}

void
cm_diag_print(const struct cm_diag *d, FILE *f)
{
    if (d->text.len > 0)
        fwrite(d->text.data, 1, d->text.len, f);
}
