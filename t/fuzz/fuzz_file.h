/*
 * fuzz_file.h - the temporary file a fuzz target writes each input to, for
 * loaders that take a path.
 */
#ifndef CM_FUZZ_FILE_H
#define CM_FUZZ_FILE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* "$TMPDIR/cm-fuzz-WHAT.PID.yaml" into buf. */
static inline void
cm_fuzz_path(char *buf, size_t size, const char *what)
{
    const char *dir = getenv("TMPDIR");

    snprintf(buf, size, "%s/cm-fuzz-%s.%ld.yaml", dir ? dir : "/tmp", what, (long)getpid());
}

/* Writes the input to path; aborts when it cannot. */
static inline void
cm_fuzz_write(const char *path, const unsigned char *data, size_t size)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
}

#endif
