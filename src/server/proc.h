/*
 * proc.h - what the decision cache (src/auth/authcache.h) asks about
 * processes: the caller's id, and whether another process still holds
 * anything.  Linux: kill(2) and /proc.
 */
#ifndef CM_PROC_H
#define CM_PROC_H

/* The calling process's id (never 0). */
int cm_proc_self(void);

/*
 * 0 once process pid is gone, or is a zombie (dead, not yet reaped: it
 * holds nothing any more, though the master may not have reaped it yet);
 * else 1, a process that may not be signalled included.
 */
int cm_proc_alive(int pid);

#endif
