/* path.c: validation of names and relative paths that come from outside. */
#include "path.h"

#include <string.h>

bool ge_path_stays_inside(const char *rel)
{
    if (!rel[0] || rel[0] == '/')
        return false;
    int depth = 0;
    for (const char *s = rel; *s;) {
        size_t n = strcspn(s, "/");
        if (n == 2 && s[0] == '.' && s[1] == '.') {
            if (--depth < 0)
                return false;
        } else if (!(n == 0 || (n == 1 && s[0] == '.'))) {
            depth++;
        }
        s += n;
        while (*s == '/')
            s++;
    }
    return true;
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '+' || c == '-';
}

bool ge_name_safe(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || s[0] == '.' || s[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!name_char(s[i]))
            return false;
    return true;
}

bool ge_url_path_safe(const char *s)
{
    if (!s[0] || s[0] == '/')
        return false;
    for (const char *p = s; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false; /* "//", "/./", "/../", or a trailing '/' */
        for (size_t i = 0; i < n; i++)
            if (!name_char(p[i]) && p[i] != '~')
                return false;
        p += n;
        if (*p == '/' && !*++p)
            return false;
    }
    return true;
}

bool ge_has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}
