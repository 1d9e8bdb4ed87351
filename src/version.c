/* version.c: parse and compare dotted versions and compute capabilities without allocating. */
#include "version.h"

#include <stdio.h>
#include <string.h>

int ge_version_parse(struct ge_version *v, const char *s, int min_parts, int max_parts)
{
    memset(v, 0, sizeof *v);
    if (!s || max_parts > GE_VERSION_PARTS)
        return -1;
    const char *p = s;
    int n = 0;
    for (;;) {
        if (n == max_parts)
            return -1;
        int digits = 0;
        uint32_t val = 0;
        while (*p >= '0' && *p <= '9') {
            if (++digits > 9)
                return -1;
            val = val * 10 + (uint32_t)(*p - '0');
            p++;
        }
        if (digits == 0)
            return -1;
        v->part[n++] = val;
        if (*p == '\0')
            break;
        if (*p != '.')
            return -1;
        p++;
    }
    if (n < min_parts)
        return -1;
    v->n = (uint8_t)n;
    return 0;
}

enum ge_cmp ge_version_cmp(const struct ge_version *a, const struct ge_version *b)
{
    for (int i = 0; i < GE_VERSION_PARTS; i++) {
        uint32_t x = i < a->n ? a->part[i] : 0;
        uint32_t y = i < b->n ? b->part[i] : 0;
        if (x != y)
            return x < y ? GE_CMP_LESS : GE_CMP_GREATER;
    }
    return GE_CMP_EQUAL;
}

char *ge_version_format(const struct ge_version *v, char *buf, size_t size)
{
    size_t off = 0;
    if (size)
        buf[0] = '\0';
    for (int i = 0; i < v->n && off < size; i++) {
        int w = snprintf(buf + off, size - off, i ? ".%u" : "%u", (unsigned)v->part[i]);
        if (w < 0)
            break;
        off += (size_t)w;
    }
    return buf;
}

int ge_driver_version_parse(struct ge_version *v, const char *s)
{
    return ge_version_parse(v, s, 2, 3);
}

struct ge_version ge_cuda_version_from_int(int iv)
{
    struct ge_version v = {{0}, 2};
    if (iv < 0)
        iv = 0;
    v.part[0] = (uint32_t)(iv / 1000);
    v.part[1] = (uint32_t)((iv % 1000) / 10);
    return v;
}

int ge_cc_parse(struct ge_cc *cc, const char *s)
{
    cc->major = cc->minor = 0;
    if (!s)
        return -1;
    const char *p = s;
    if (strncmp(p, "sm_", 3) == 0 || strncmp(p, "compute_", 8) == 0) {
        p += p[0] == 's' ? 3 : 8;
        size_t nd = strspn(p, "0123456789");
        if (nd < 2 || nd > 3 || p[0] == '0')
            return -1;
        const char *rest = p + nd;
        if (!(rest[0] == '\0' || ((rest[0] == 'a' || rest[0] == 'f') && rest[1] == '\0')))
            return -1;
        unsigned major = 0;
        for (size_t i = 0; i + 1 < nd; i++)
            major = major * 10 + (unsigned)(p[i] - '0');
        cc->major = (uint8_t)major;
        cc->minor = (uint8_t)(p[nd - 1] - '0');
        return 0;
    }
    size_t nd = strspn(p, "0123456789");
    if (nd < 1 || nd > 2 || p[0] == '0' || p[nd] != '.')
        return -1;
    const char *q = p + nd + 1;
    if (!(q[0] >= '0' && q[0] <= '9') || q[1] != '\0')
        return -1;
    unsigned major = (unsigned)(p[0] - '0');
    if (nd == 2)
        major = major * 10 + (unsigned)(p[1] - '0');
    cc->major = (uint8_t)major;
    cc->minor = (uint8_t)(q[0] - '0');
    return 0;
}

char *ge_cc_format(struct ge_cc cc, char *buf, size_t size)
{
    snprintf(buf, size, "%u.%u", (unsigned)cc.major, (unsigned)cc.minor);
    return buf;
}

int ge_cc_cmp(struct ge_cc a, struct ge_cc b)
{
    if (a.major != b.major)
        return a.major < b.major ? -1 : 1;
    if (a.minor != b.minor)
        return a.minor < b.minor ? -1 : 1;
    return 0;
}
