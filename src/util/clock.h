/*
 * clock.h - monotonic milliseconds, for timeouts and backoff (never for the
 * timestamps the API reports: those are wall-clock time).
 */
#ifndef CM_CLOCK_H
#define CM_CLOCK_H

#include <time.h>

static inline long long
cm_clock_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
