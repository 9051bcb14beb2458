/*
 * cm-trivial - the benchmark's baseline: a prefork FastCGI responder that
 * writes a fixed file's bytes for every request and does nothing else.  It is
 * the architecture's limit: nginx plus one FastCGI hop with zero work.
 *
 *   cm-trivial SOCKET BODY_FILE WORKERS
 */
#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
    FCGX_Request r;
    char head[256], *body;
    long len;
    FILE *f;
    int fd, i, n, hlen;

    if (argc != 4) {
        fprintf(stderr, "usage: cm-trivial SOCKET BODY_FILE WORKERS\n");
        return 2;
    }
    f = fopen(argv[2], "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0) {
        perror(argv[2]);
        return 1;
    }
    rewind(f);
    body = malloc((size_t)len + 1);
    if (body == NULL || fread(body, 1, (size_t)len, f) != (size_t)len) {
        perror(argv[2]);
        return 1;
    }
    fclose(f);
    hlen = snprintf(head, sizeof(head), "Status: 200 OK\r\nContent-Type: application/json\r\n"
                    "Cache-Control: no-cache, private\r\nContent-Length: %ld\r\n\r\n", len);
    n = atoi(argv[3]);
    FCGX_Init();
    umask(0117);
    fd = FCGX_OpenSocket(argv[1], 1024);
    if (fd < 0)
        return 1;
    for (i = 0; i < n; i++) {
        if (fork() == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);   /* die with the parent */
            if (getppid() == 1)
                _exit(0);
            FCGX_InitRequest(&r, fd, 0);
            while (FCGX_Accept_r(&r) >= 0) {
                FCGX_PutStr(head, hlen, r.out);
                FCGX_PutStr(body, (int)len, r.out);
                FCGX_Finish_r(&r);
            }
            _exit(0);
        }
    }
    while (wait(NULL) > 0)
        ;
    return 0;
}
