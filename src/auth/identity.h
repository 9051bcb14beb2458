/*
 * identity.h - who a request is from, and how that was established: the
 * user.Info of the Go generic apiserver (name, uid, groups, extra).
 *
 * The front proxy (the kube-aggregator) vouches for a user with identity
 * headers; nginx hands them to the worker as FastCGI params (HTTP_X_REMOTE_USER
 * ...).  This module reads them the way the generic apiserver's
 * headerrequest authenticator does (hpa-aggregator.md §3.7, §3.8), and is
 * pure: no I/O.  Whether the headers may be read at all (a verified
 * front-proxy certificate) is the caller's decision (auth.h).
 */
#ifndef CM_IDENTITY_H
#define CM_IDENTITY_H

#include <stddef.h>

#include "arena.h"

#define CM_IDENTITY_MAX_GROUPS 64
#define CM_IDENTITY_MAX_EXTRA 32          /* extra keys */
#define CM_IDENTITY_MAX_VALUES 16         /* values of one extra key */
#define CM_IDENTITY_MAX_HEADERS 8         /* names per --requestheader-*-headers flag */

#define CM_USER_ANONYMOUS "system:anonymous"
#define CM_GROUP_UNAUTHENTICATED "system:unauthenticated"
#define CM_GROUP_AUTHENTICATED "system:authenticated"
#define CM_GROUP_MASTERS "system:masters"

enum cm_authn {
    CM_AUTHN_ANONYMOUS,        /* no credentials: system:anonymous */
    CM_AUTHN_FRONT_PROXY,      /* a verified front-proxy certificate and its headers */
    CM_AUTHN_TOKEN,            /* a bearer token a TokenReview accepted */
    CM_AUTHN_INSECURE,         /* --insecure-serve-anyone: nobody was asked */
};

struct cm_identity_extra {
    const char *key;           /* lower-case, unescaped */
    const char **values;
    size_t nvalues;
};

/* Every string is borrowed (from the request's arena or its params). */
struct cm_identity {
    enum cm_authn how;
    const char *user;          /* "" never: a user always has a name */
    const char *uid;           /* "" when unknown */
    const char **groups;
    size_t ngroups;
    struct cm_identity_extra *extra;
    size_t nextra;
};

/*
 * The header names to read, as the --requestheader-*-headers flags (or the
 * extension-apiserver-authentication ConfigMap) give them: HTTP names such as
 * "X-Remote-User", matched without regard to case.  Owned by whoever fills it.
 */
struct cm_identity_headers {
    const char *user[CM_IDENTITY_MAX_HEADERS];
    size_t nuser;
    const char *group[CM_IDENTITY_MAX_HEADERS];
    size_t ngroup;
    const char *extra_prefix[CM_IDENTITY_MAX_HEADERS];
    size_t nextra_prefix;
    const char *uid[CM_IDENTITY_MAX_HEADERS];
    size_t nuid;
};

/* The Go defaults: X-Remote-User, X-Remote-Group, X-Remote-Extra-, X-Remote-Uid. */
void cm_identity_headers_default(struct cm_identity_headers *h);

/* system:anonymous in group system:unauthenticated. */
void cm_identity_anonymous(struct cm_identity *id);

/*
 * Reads the identity from params, a NULL-terminated array of FastCGI
 * "NAME=value" strings (borrowed; the worker's envp): the user is the first
 * non-empty value of the first user header that has one; the groups are every
 * non-blank value of every group param (a param may occur several times:
 * nginx 1.22 passes each header line as its own param); extras are every
 * value of the params with an extra prefix, the key lower-cased, '_' made
 * '-' and then percent-unescaped; the uid is the first non-empty uid header.
 * A value is never split: each param is exactly one group or extra value, as
 * Go keeps each header line whole, so "a, b" is one group named "a, b" (an
 * nginx that joins repeated lines with ", ", 1.23+, thus yields one odd
 * group, never an extra one).
 * system:authenticated is added as the generic server's AuthenticatedGroupAdder
 * adds it.  Returns 1 with *out filled (how = CM_AUTHN_FRONT_PROXY), 0 when no
 * user header has a value (not authenticated this way), or -1 with the reason
 * in err when the headers carry more than this server takes.
 */
int cm_identity_from_params(struct cm_identity *out, const char *const *params,
                            const struct cm_identity_headers *h, struct cm_arena *a,
                            char *err, size_t errlen);

/*
 * Appends system:authenticated unless the user is system:anonymous or the
 * groups already hold system:authenticated or system:unauthenticated.
 * The groups array is reallocated in a.
 */
void cm_identity_add_authenticated(struct cm_identity *id, struct cm_arena *a);

/* 1 if id is in group g. */
int cm_identity_in_group(const struct cm_identity *id, const char *g);

/*
 * The FastCGI param name of an HTTP header name ("X-Remote-User" ->
 * "HTTP_X_REMOTE_USER"), as nginx makes it, into out.  Returns its length,
 * or 0 if it does not fit.
 */
size_t cm_identity_param_name(const char *header, char *out, size_t cap);

/*
 * A flat encoding of id (for the shared decision cache): fields separated by
 * NUL bytes.  Returns the length written, or 0 if it does not fit in cap.
 */
size_t cm_identity_encode(const struct cm_identity *id, char *out, size_t cap);

/* Decodes cm_identity_encode()'s bytes into *out (strings copied into a). Returns 0 or -1. */
int cm_identity_decode(struct cm_identity *out, const char *in, size_t len, struct cm_arena *a);

/*
 * Appends s and its NUL at out + *o (cap bytes in all) and moves *o past
 * them: the flat encodings of identities and attributes are such strings
 * one after another.  Returns 0, or -1 when s does not fit.
 */
int cm_identity_put(char *out, size_t cap, size_t *o, const char *s);

#endif
