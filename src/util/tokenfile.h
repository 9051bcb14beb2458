/*
 * tokenfile.h - bearer tokens kept in files (a mounted Secret), read afresh
 * each time they are used so that a rotated token takes effect at once.
 */
#ifndef CM_TOKENFILE_H
#define CM_TOKENFILE_H

#include <stddef.h>

/*
 * The most bytes a token file may hold, white space included; a larger file
 * is refused whole, never cut.  (A write token also has to fit nginx's
 * 16 KiB request header line: "Authorization: Bearer " and the token.)
 */
#define CM_TOKEN_MAX 8192

/*
 * Reads path into buf (size bytes, NUL-terminated) without the white space
 * around it.  Returns the token's length (0 for an empty file), or -1 with
 * errno set when the file cannot be read, and EFBIG when it holds more than
 * size - 1 bytes (callers pass CM_TOKEN_MAX + 1).  The token itself is never
 * logged by this module or its callers.
 */
long cm_token_read(const char *path, char *buf, size_t size);

/* strerror(e), with EFBIG worded for a token file over CM_TOKEN_MAX bytes. */
const char *cm_token_strerror(int e);

#endif
