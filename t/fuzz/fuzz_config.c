/*
 * fuzz_config - libFuzzer target for the two YAML readers: each input is
 * loaded as metrics.yaml and as an objects file.  Both take a path, so the
 * input is written to one scratch file first.  Built and run by "make fuzz".
 */
#include "config.h"
#include "objects.h"
#include "fuzz_file.h"

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
    (void)argc;
    (void)argv;
    cm_fuzz_path(path, sizeof(path), "config");
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cm_config *cfg;
    struct cm_objects *objs;
    struct cm_diag d;
    size_t skipped;

    cm_fuzz_write(path, data, size);
    cm_diag_init(&d);
    if (cm_config_load(&cfg, path, &d) == 0)
        cm_config_free(cfg);
    if (cm_objects_load_file(&objs, path, &skipped, &d) == 0)
        cm_objects_free(objs);
    cm_diag_free(&d);
    return 0;
}
