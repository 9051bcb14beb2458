#include "duration.h"

int
cm_duration_parse(const char *s, size_t n, int64_t *out, const char **err_out)
{
    int64_t total = 0;
    size_t i = 0;

    *err_out = NULL;
    if (n == 0) {
        *err_out = "a duration must not be empty (examples: 30s, 1m, 1h30m)";
        return -1;
    }
    while (i < n) {
        int64_t v = 0, unit;
        size_t start = i;

        while (i < n && s[i] >= '0' && s[i] <= '9') {
            v = v * 10 + (s[i] - '0');
            if (v > CM_DURATION_MAX_SECONDS) {
                *err_out = "the duration is longer than a year";
                return -1;
            }
            i++;
        }
        if (i == start || i == n) {
            *err_out = "a duration is a sequence of <integer><unit> with units "
                       "s, m, h and d (examples: 30s, 1m, 1h30m)";
            return -1;
        }
        switch (s[i++]) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        default:
            *err_out = "a duration is a sequence of <integer><unit> with units "
                       "s, m, h and d (examples: 30s, 1m, 1h30m)";
            return -1;
        }
        total += v * unit;
        if (total > CM_DURATION_MAX_SECONDS) {
            *err_out = "the duration is longer than a year";
            return -1;
        }
    }
    if (total == 0) {
        *err_out = "the duration must be positive";
        return -1;
    }
    *out = total;
    return 0;
}
