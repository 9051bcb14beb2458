/*
 * cli.h - the command line of custom-metrics-fcgi: "serve" and "check"
 * ("explain" has its own, src/explain/explain.h), their flags and usage.
 */
#ifndef CM_CLI_H
#define CM_CLI_H

#include <stdint.h>

/* The flags, as given (strings borrowed from argv). */
struct cm_cli {
    const char *command;
    const char *config;
    const char *socket;
    const char *health_socket;
    const char *objects;
    const char *kubeconfig;
    const char *kube_context;
    const char *master_url;
    const char *cache_dir;
    int watch_retry_max;
    const char *state_dir;
    const char *write_token_file;
    int push_capacity;
    int workers;
    int shutdown_timeout;
    const char *rh_ca_file, *rh_allowed_names, *rh_user_headers, *rh_group_headers;
    const char *rh_extra_prefix, *rh_uid_headers, *always_allow_paths;
    const char *static_users, *static_groups;
    int64_t allow_ttl_s, deny_ttl_s, review_timeout_s;
    int insecure;
};

/*
 * Parses argv into out.  Returns 0 to go on, or the exit status after
 * printing why (2 for a usage error); --help and --version print and exit 0.
 */
int cm_cli_parse(int argc, char **argv, struct cm_cli *out);

#endif
