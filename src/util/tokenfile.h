/*
 * tokenfile.h - bearer tokens kept in files (a mounted Secret), read afresh
 * each time they are used so that a rotated token takes effect at once.
 */
#ifndef CM_TOKENFILE_H
#define CM_TOKENFILE_H

#include <stddef.h>

/*
 * Reads path into buf (size bytes, NUL-terminated) without the white space
 * around it.  Returns the token's length (0 for an empty file), or -1 with
 * errno set when the file cannot be read.
 */
long cm_token_read(const char *path, char *buf, size_t size);

#endif
