/* path.h: the checks every name and path from outside (an archive, a manifest, a lock, the matrix
 * cache) passes before it becomes part of a file name or a URL. */
#ifndef GE_PATH_H
#define GE_PATH_H

#include <stdbool.h>

/* Whether a relative path stays inside its root when read as text: not empty, not absolute, no
 * ".." that climbs above the start ("a/../b" stays, "a/../../b" does not). Symbolic links along
 * the way are not considered: see ge_tree_check_links for that. */
bool ge_path_stays_inside(const char *rel);

/* Whether s is one safe path component: 1 to 63 characters of [A-Za-z0-9._+-], not starting
 * with '.' or '-' (so never "." or ".." nor a hidden name or an option). Component, package,
 * platform and variant names are such names. */
bool ge_name_safe(const char *s);

/* Whether s is a safe relative URL path: components of [A-Za-z0-9._+~-] joined by single '/',
 * none of them "." or "..", no leading or trailing '/'. Refuses every character a URL or curl
 * would decode or interpret: '%' escapes, '?', '#', '\\', white space and control characters. */
bool ge_url_path_safe(const char *s);

/* Whether s holds a control character (below 0x20, or 0x7f). */
bool ge_has_control(const char *s);

#endif
