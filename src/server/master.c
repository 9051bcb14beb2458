#include "master.h"
#include "alloc.h"
#include "clock.h"
#include "counters.h"
#include "listener.h"
#include "log.h"
#include "worker.h"

#include <stdio.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define YOUNG_MS       2000       /* a worker dying younger than this backs off */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

enum role { ROLE_WORKER, ROLE_HEALTH, ROLE_HELPER };

struct slot {
    enum role role;
    pid_t pid;                    /* 0 when not running */
    long long started_ms;
    long long respawn_at_ms;      /* when pid == 0: when to start again */
    int fails;                    /* consecutive young deaths */
    int helper;                   /* ROLE_HELPER: its index in opts->helpers */
};

static const char *
role_name(const struct slot *s, const struct cm_master_opts *o)
{
    return s->role == ROLE_HELPER ? o->helpers[s->helper].name : s->role == ROLE_HEALTH ? "health worker" :
           "worker";
}

static void
spawn(struct slot *s, const struct cm_master_opts *o, const sigset_t *oldmask)
{
    pid_t master = getpid(), pid = fork();

    if (pid < 0) {
        cm_log(CM_LOG_ERROR, "fork: %s; retrying", strerror(errno));
        s->respawn_at_ms = cm_clock_ms() + BACKOFF_MAX_MS;
        return;
    }
    if (pid == 0) {
        signal(SIGCHLD, SIG_DFL);
        sigprocmask(SIG_SETMASK, oldmask, NULL);
        if (o->reload != NULL && o->reload->watch_fd >= 0)
            close(o->reload->watch_fd);
        if (s->role == ROLE_HELPER) {
            close(o->listen_fd);
            if (o->health_fd >= 0)
                close(o->health_fd);
            _exit(o->helpers[s->helper].main(o->helpers[s->helper].arg));
        }
        if (s->role == ROLE_HEALTH) {    /* health only: never the workers' socket */
            close(o->listen_fd);
            _exit(cm_worker_run(o->health_fd, master, o->health_api));
        }
        if (o->health_fd >= 0)
            close(o->health_fd);
        _exit(cm_worker_run(o->listen_fd, master, o->api));
    }
    s->pid = pid;
    s->started_ms = cm_clock_ms();
}

static void
describe_exit(int status, char *buf, size_t len)
{
    if (WIFSIGNALED(status))
        snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
}

/* Processes of past generations, told to stop: reaped, never respawned. */
struct retiring {
    pid_t *pid;
    size_t n, cap;
};

static void
retire(struct retiring *r, pid_t pid)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->pid = cm_xrealloc(r->pid, r->cap * sizeof(*r->pid));
    }
    r->pid[r->n++] = pid;
    kill(pid, SIGTERM);
}

/* 1 if pid was a retiring process (now forgotten). */
static int
retired(struct retiring *r, pid_t pid)
{
    size_t i;

    for (i = 0; i < r->n; i++) {
        if (r->pid[i] == pid) {
            r->pid[i] = r->pid[--r->n];
            return 1;
        }
    }
    return 0;
}

/* Reaps pid within ms; 1 when it is gone (and forgotten in r), else 0. */
static int
reap_within(struct retiring *r, pid_t pid, long long ms)
{
    long long deadline = cm_clock_ms() + ms;
    struct timespec ts = { 0, 10 * 1000000 };

    for (;;) {
        pid_t got = waitpid(pid, NULL, WNOHANG);

        if (got == pid || (got < 0 && errno == ECHILD)) {
            retired(r, pid);
            return 1;
        }
        if (cm_clock_ms() >= deadline)
            return 0;
        nanosleep(&ts, NULL);
    }
}

/*
 * Waits (at most ms) for the retiring process pid to exit, then kills it
 * (SIGKILL) and waits as long again, so that a helper and its successor do
 * not run side by side; only a process the kernel cannot kill at once (in
 * uninterruptible sleep) outlives that, which is logged.
 */
static void
await_retired(struct retiring *r, pid_t pid, long long ms)
{
    if (reap_within(r, pid, ms))
        return;
    cm_log(CM_LOG_WARN, "process %ld did not stop within %lld ms of SIGTERM: killing it",
           (long)pid, ms);
    kill(pid, SIGKILL);
    if (!reap_within(r, pid, ms))
        cm_log(CM_LOG_ERROR, "process %ld outlives SIGKILL (uninterruptible sleep?): its "
               "successor starts beside it", (long)pid);
}

/* Reaps exited workers (and the helper); schedules respawns unless stopping. */
static int
reap(struct slot *slots, int n, int stopping, const struct cm_master_opts *o,
     struct retiring *old)
{
    int status, alive = 0, i;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (retired(old, pid))
            continue;
        for (i = 0; i < n; i++) {
            struct slot *s = &slots[i];
            long long t = cm_clock_ms(), delay;
            char how[96];

            if (s->pid != pid)
                continue;
            s->pid = 0;
            if (stopping)
                break;
            describe_exit(status, how, sizeof(how));
            cm_counters_worker_restart();
            s->fails = t - s->started_ms < YOUNG_MS ? s->fails + 1 : 0;
            delay = 0;
            if (s->fails > 0) {
                delay = (long long)BACKOFF_MIN_MS << (s->fails > 6 ? 6 : s->fails - 1);
                if (delay > BACKOFF_MAX_MS)
                    delay = BACKOFF_MAX_MS;
            }
            s->respawn_at_ms = t + delay;
            cm_log(CM_LOG_WARN, "%s %ld %s; respawning in %lld ms",
                   role_name(s, o), (long)pid, how, delay);
            break;
        }
    }
    for (i = 0; i < n; i++)
        alive += slots[i].pid != 0;
    return alive + (int)old->n;
}

static void
stop_pool(struct slot *slots, int n, const struct cm_master_opts *o, sigset_t *set,
          struct retiring *old)
{
    size_t k;

    long long deadline = cm_clock_ms() + (long long)o->shutdown_timeout * 1000;
    int i, alive;

    /* Idle workers return from accept(); busy ones finish their request. */
    shutdown(o->listen_fd, SHUT_RDWR);
    if (o->health_fd >= 0)
        shutdown(o->health_fd, SHUT_RDWR);
    for (i = 0; i < n; i++)
        if (slots[i].pid > 0)
            kill(slots[i].pid, SIGTERM);
    for (k = 0; k < old->n; k++)
        kill(old->pid[k], SIGTERM);
    while ((alive = reap(slots, n, 1, o, old)) > 0) {
        struct timespec ts = { 0, 50 * 1000000 };
        long long t = cm_clock_ms();

        if (t >= deadline) {
            cm_log(CM_LOG_WARN, "%d worker(s) still busy after %d s; killing them",
                   alive, o->shutdown_timeout);
            for (i = 0; i < n; i++)
                if (slots[i].pid > 0)
                    kill(slots[i].pid, SIGKILL);
            for (k = 0; k < old->n; k++)
                kill(old->pid[k], SIGKILL);
            deadline = t + 5000;
        }
        sigtimedwait(set, NULL, &ts);
    }
}

/* 1 if slot s may run now: a worker, or a helper its configuration wants. */
static int
wanted(const struct slot *s, const struct cm_master_opts *o)
{
    const struct cm_master_helper *h;

    if (s->role != ROLE_HELPER)
        return 1;
    h = &o->helpers[s->helper];
    return h->wanted == NULL || h->wanted(h->arg);
}

/*
 * The helpers restarted with every generation: each stops (SIGTERM; waited
 * for, at most 2 s, so that two never run side by side) and starts again
 * from its arg, which the commit just pointed at the new configuration, if
 * that configuration wants it.
 */
static void
restart_helpers(struct slot *slots, int n, const struct cm_master_opts *o,
                const sigset_t *oldmask, struct retiring *old, unsigned long long gen)
{
    int i;

    for (i = 0; i < n; i++) {
        struct slot *s = &slots[i];
        pid_t was = s->pid;

        if (s->role != ROLE_HELPER || !o->helpers[s->helper].restart_per_generation)
            continue;
        if (s->pid > 0) {
            retire(old, s->pid);
            await_retired(old, s->pid, 2000);
        }
        s->pid = 0;
        s->fails = 0;
        s->respawn_at_ms = 0;
        if (wanted(s, o))
            spawn(s, o, oldmask);
        if (s->pid > 0)
            cm_log(CM_LOG_INFO, "%s %s for configuration generation %llu", role_name(s, o),
                   was > 0 ? "restarted" : "started", gen);
        else if (was > 0)
            cm_log(CM_LOG_INFO, "%s stopped: configuration generation %llu has no use for it",
                   role_name(s, o), gen);
    }
}

/*
 * Starts a generation of workers and health worker from the opts' api (the
 * configuration just committed), then retires the old ones: they get
 * SIGTERM, finish the request they serve, and exit.  New first, so that
 * some worker always waits on the socket.  The helpers that follow each
 * generation restart before its workers start.
 */
static void
new_generation(struct slot *slots, int n, const struct cm_master_opts *o,
               const sigset_t *oldmask, struct retiring *old, unsigned long long gen)
{
    pid_t *prev = cm_xcalloc((size_t)n, sizeof(*prev));
    int i, started = 0, retiring = 0;

    restart_helpers(slots, n, o, oldmask, old, gen);
    for (i = 0; i < n; i++) {
        prev[i] = 0;
        if (slots[i].role == ROLE_HELPER)
            continue;
        prev[i] = slots[i].pid;
        slots[i].pid = 0;
        slots[i].fails = 0;
        spawn(&slots[i], o, oldmask);
        started += slots[i].pid != 0;
    }
    for (i = 0; i < n; i++) {
        if (prev[i] > 0) {
            retire(old, prev[i]);
            retiring++;
        }
    }
    free(prev);
    cm_log(CM_LOG_INFO, "configuration generation %llu: %d new processes serve it, %d of the "
           "previous generation finish their requests and exit", gen, started, retiring);
}

/* The slot of helpers[0] (the watch cache, which a reload may restart), or NULL. */
static struct slot *
helper_slot(struct slot *slots, int n)
{
    int i;

    for (i = 0; i < n; i++)
        if (slots[i].role == ROLE_HELPER && slots[i].helper == 0)
            return &slots[i];
    return NULL;
}

int
cm_master_run(const struct cm_master_opts *o)
{
    int nslots = o->workers + (o->health_fd >= 0) + o->nhelpers;
    struct slot *slots = cm_xcalloc((size_t)nslots, sizeof(*slots));
    const struct cm_master_reload *rl = o->reload;
    struct retiring old = { NULL, 0, 0 };
    long long reload_at = 0, first_change = 0, helper_deadline = 0;
    unsigned long long gen = 1;
    sigset_t set, oldmask;
    int i, stopping = 0, pending = 0, forced = 0;   /* forced: a SIGHUP asked for the reload due */

    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGIO);
    sigprocmask(SIG_BLOCK, &set, &oldmask);
    signal(SIGPIPE, SIG_IGN);

    for (i = 0; i < nslots; i++) {
        slots[i].role = i < o->workers ? ROLE_WORKER :
                        i == o->workers && o->health_fd >= 0 ? ROLE_HEALTH : ROLE_HELPER;
        slots[i].helper = i - o->workers - (o->health_fd >= 0);
        if (wanted(&slots[i], o))
            spawn(&slots[i], o, &oldmask);
    }
    cm_log(CM_LOG_INFO, "serving on %s with %d workers%s%s", o->socket_path, o->workers,
           o->health_fd >= 0 ? "; health on " : "", o->health_fd >= 0 ? o->health_socket_path : "");

    while (!stopping) {
        long long t = cm_clock_ms(), next = t + 1000;
        struct timespec ts;
        int sig;

        if (rl != NULL && rl->watch_fd >= 0 && rl->drain(rl->arg)) {
            /* debounced: CM_MASTER_DEBOUNCE_MS after the last change of a burst */
            if (reload_at == 0)
                first_change = t;
            reload_at = t + CM_MASTER_DEBOUNCE_MS;
            if (reload_at > first_change + CM_MASTER_DEBOUNCE_MAX_MS)
                reload_at = first_change + CM_MASTER_DEBOUNCE_MAX_MS;
        }
        if (pending && (rl->helper_ready(rl->arg) || t >= helper_deadline)) {
            if (t >= helper_deadline)
                cm_log(CM_LOG_WARN, "the restarted %s is not ready after %d s; starting the "
                       "new generation anyway", o->helpers[0].name, CM_MASTER_HELPER_WAIT_MS / 1000);
            rl->commit(rl->arg);
            new_generation(slots, nslots, o, &oldmask, &old, ++gen);
            pending = 0;
        }
        if (reload_at != 0 && reload_at <= t && !pending) {
            int rc = rl->stage(rl->arg, forced);
            struct slot *h = helper_slot(slots, nslots);

            reload_at = 0;
            forced = 0;
            if (rc == CM_MASTER_STAGED_HELPER && h != NULL) {
                if (h->pid > 0) {
                    retire(&old, h->pid);
                    await_retired(&old, h->pid, 2000);
                }
                h->pid = 0;
                h->fails = 0;
                spawn(h, o, &oldmask);
                pending = 1;
                helper_deadline = t + CM_MASTER_HELPER_WAIT_MS;
            } else if (rc != CM_MASTER_REFUSED && rc != CM_MASTER_UNCHANGED) {
                rl->commit(rl->arg);
                new_generation(slots, nslots, o, &oldmask, &old, ++gen);
            }
            t = cm_clock_ms();
        }
        for (i = 0; i < nslots; i++) {
            if (slots[i].pid != 0 || !wanted(&slots[i], o))
                continue;
            if (slots[i].respawn_at_ms <= t)
                spawn(&slots[i], o, &oldmask);
            else if (slots[i].respawn_at_ms < next)
                next = slots[i].respawn_at_ms;
        }
        if (reload_at != 0 && reload_at < next)
            next = reload_at > t ? reload_at : t;
        if (pending && t + 50 < next)
            next = t + 50;           /* polls the helper's readiness */
        ts.tv_sec = (next - t) / 1000;
        ts.tv_nsec = ((next - t) % 1000) * 1000000;
        sig = sigtimedwait(&set, NULL, &ts);
        switch (sig) {
        case SIGTERM:
        case SIGINT:
            cm_log(CM_LOG_INFO, "%s: stopping", strsignal(sig));
            stopping = 1;
            break;
        case SIGHUP:
            if (rl == NULL) {
                cm_log(CM_LOG_INFO, "SIGHUP ignored: nothing to reload");
                break;
            }
            cm_log(CM_LOG_INFO, "SIGHUP: reloading the configuration");
            reload_at = cm_clock_ms();
            forced = 1;
            break;
        default:
            break;
        }
        reap(slots, nslots, stopping, o, &old);
    }
    stop_pool(slots, nslots, o, &set, &old);
    cm_listener_close(o->listen_fd, o->socket_path);
    if (o->health_fd >= 0)
        cm_listener_close(o->health_fd, o->health_socket_path);
    sigprocmask(SIG_SETMASK, &oldmask, NULL);
    free(old.pid);
    free(slots);
    cm_log(CM_LOG_INFO, "stopped");
    return 0;
}
