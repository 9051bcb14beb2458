/*
 * hex.h - one hexadecimal digit's value, for the percent-decoders (the
 * request path, identity header extras, the client certificate nginx
 * passes escaped).  Header only.
 */
#ifndef CM_HEX_H
#define CM_HEX_H

/* 0-15 for 0-9, a-f, A-F; -1 for any other byte. */
static inline int
cm_hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif
