/* bpg_upname: what an upload's name and folder may be, and how folders nest (pure). */
#ifndef BPG_UPNAME_H
#define BPG_UPNAME_H

#include <stddef.h>
#include "bpg_err.h"

#define BPG_UPNAME_NAME_MAX    255     /* an upload's name, in bytes */
#define BPG_UPNAME_FOLDER_MAX  512     /* a folder, in bytes */
#define BPG_UPNAME_FOLDER_SEGS 16      /* '/'-separated segments of a folder */

/*
 * 1 when n bytes of s are one name or folder segment: 1 or more of A-Z a-z 0-9 . _ - + = @ ,
 * not starting with '.' (so never "." or ".."); 0 otherwise (empty, '/', '%', space, any
 * byte outside ASCII).
 */
int bpg_upname_segment_ok(const char *s, size_t n);

/*
 * Checks folder f (its query value, decoded once) and writes it with its trailing '/'
 * stripped into out: at most BPG_UPNAME_FOLDER_SEGS segments, each bpg_upname_segment_ok,
 * no leading '/' (not even "/") and no empty segment ("a//b"); "" gives "". BPG_EINVAL
 * with a reason in why otherwise; out is written only on success.
 */
enum bpg_err bpg_upname_folder(const char *f, char out[BPG_UPNAME_FOLDER_MAX + 1],
    struct bpg_why *why);

/*
 * 1 when folder (checked, no trailing '/') is prefix or lies below it, comparing whole
 * segments bytewise ("demo/x" is within "demo", "demo2" and "Demo" are not); an empty
 * prefix holds nothing.
 */
int bpg_upname_within(const char *folder, const char *prefix);

/* 1 when the first segment of folder is exactly user (bytewise, a whole segment). */
int bpg_upname_first_is(const char *folder, const char *user);

#endif
