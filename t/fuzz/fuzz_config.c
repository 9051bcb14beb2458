/*
 * fuzz_config - libFuzzer target for the two YAML readers: each input is
 * loaded as metrics.yaml and as an objects file.  Both take a path, so the
 * input is written to one scratch file first.  Built and run by "make fuzz".
 */
#include "config.h"
#include "objects.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char path[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("TMPDIR");

    (void)argc;
    (void)argv;
    snprintf(path, sizeof(path), "%s/cm-fuzz-config.%ld.yaml", dir ? dir : "/tmp", (long)getpid());
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cm_config *cfg;
    struct cm_objects *objs;
    struct cm_diag d;
    size_t skipped;
    FILE *f = fopen(path, "wb");

    if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    cm_diag_init(&d);
    if (cm_config_load(&cfg, path, &d) == 0)
        cm_config_free(cfg);
    if (cm_objects_load_file(&objs, path, &skipped, &d) == 0)
        cm_objects_free(objs);
    cm_diag_free(&d);
    return 0;
}
