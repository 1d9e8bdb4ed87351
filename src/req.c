/* req.c: parse and match pip-style requirements: name, extras, version specifiers. */
#include "req.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "str.h"

static const struct {
    const char *name;
    enum ge_pkg pkg;
} known[] = {
    {"torch", GE_PKG_TORCH},       {"torchvision", GE_PKG_TORCHVISION},
    {"torchaudio", GE_PKG_TORCHAUDIO}, {"tensorflow", GE_PKG_TENSORFLOW},
    {"jax", GE_PKG_JAX},           {"cuda-toolkit", GE_PKG_CUDA},
    {"cuda", GE_PKG_CUDA},         {"cudnn", GE_PKG_CUDNN},
    {"numpy", GE_PKG_NUMPY},       {"python", GE_PKG_PYTHON},
};

static void normalise(char *s)
{
    for (; *s; s++) {
        *s = (char)tolower((unsigned char)*s);
        if (*s == '_' || *s == '.')
            *s = '-';
    }
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static int usage(struct ge_err *err, const char *text, const char *why)
{
    ge_err_set(err, GE_EXIT_USAGE, "invalid requirement '%s': %s", text, why);
    ge_err_hint(err, "write requirements as pip does: torch, torch==2.4.*, 'torch>=2.1,<2.6', "
                     "'jax[cuda13]', cuda-toolkit==12.4.*");
    return -1;
}

int ge_req_parse(struct ge_req *r, const char *text, struct ge_err *err)
{
    memset(r, 0, sizeof *r);
    if (ge_strlcpy(r->text, text, sizeof r->text) >= sizeof r->text)
        return usage(err, text, "too long");
    const char *semi = strchr(text, ';');
    if (semi) {
        ge_err_set(err, GE_EXIT_USAGE, "invalid requirement '%s': environment markers ('%s') are not evaluated",
                   text, skip_ws(semi + 1));
        ge_err_hint(err, "give the requirement as it applies to this machine, and describe the machine with "
                         "--python, --platform and --arch");
        return -1;
    }
    if (strchr(text, '@'))
        return usage(err, text, "direct references (name @ url) name a file, not a release to resolve");
    const char *p = skip_ws(text);
    size_t n = 0;
    while (isalnum((unsigned char)p[n]) || p[n] == '-' || p[n] == '_' || p[n] == '.')
        n++;
    if (n == 0)
        return usage(err, text, "no package name");
    if (n >= sizeof r->name || !isalnum((unsigned char)p[0]) || !isalnum((unsigned char)p[n - 1]))
        return usage(err, text, "malformed package name");
    memcpy(r->name, p, n);
    r->name[n] = '\0';
    normalise(r->name);
    p = skip_ws(p + n);
    r->pkg = GE_PKG_UNKNOWN;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(r->name, known[i].name) == 0)
            r->pkg = known[i].pkg;
    if (r->pkg == GE_PKG_CUDA)
        ge_strlcpy(r->name, "cuda-toolkit", sizeof r->name);

    if (*p == '[') {
        p++;
        for (;;) {
            p = skip_ws(p);
            size_t k = 0;
            while (isalnum((unsigned char)p[k]) || p[k] == '-' || p[k] == '_' || p[k] == '.')
                k++;
            if (k == 0 || k >= sizeof r->extras[0])
                return usage(err, text, "malformed extra");
            if (r->nextras >= GE_REQ_MAX_EXTRAS)
                return usage(err, text, "too many extras");
            memcpy(r->extras[r->nextras], p, k);
            r->extras[r->nextras][k] = '\0';
            normalise(r->extras[r->nextras]);
            r->nextras++;
            p = skip_ws(p + k);
            if (*p == ',') {
                p++;
                continue;
            }
            if (*p == ']') {
                p = skip_ws(p + 1);
                break;
            }
            return usage(err, text, "unclosed '[' of extras");
        }
    }
    if (*p == '\0')
        return 0;
    for (;;) {
        if (r->nspecs >= GE_REQ_MAX_SPECS)
            return usage(err, text, "too many version specifiers");
        struct ge_spec *s = &r->specs[r->nspecs];
        p = skip_ws(p);
        static const struct {
            const char *tok;
            enum ge_req_op op;
        } ops[] = {{"===", GE_OP_EQ}, {"==", GE_OP_EQ}, {"!=", GE_OP_NE}, {">=", GE_OP_GE},
                   {"<=", GE_OP_LE}, {"~=", GE_OP_COMPAT}, {">", GE_OP_GT}, {"<", GE_OP_LT}};
        size_t oplen = 0;
        for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
            if (strncmp(p, ops[i].tok, strlen(ops[i].tok)) == 0) {
                s->op = ops[i].op;
                oplen = strlen(ops[i].tok);
                break;
            }
        if (!oplen)
            return usage(err, text, p[0] == '=' ? "'=' is not an operator: use '=='"
                                                : "expected a version operator (==, !=, >=, <=, >, <, ~=)");
        p = skip_ws(p + oplen);
        char ver[40];
        size_t k = 0;
        while (p[k] && p[k] != ',' && p[k] != ' ' && p[k] != '\t' && k + 1 < sizeof ver) {
            ver[k] = p[k];
            k++;
        }
        ver[k] = '\0';
        p += k;
        if (k == 0)
            return usage(err, text, "an operator without a version");
        size_t vl = strlen(ver);
        if (vl >= 2 && strcmp(ver + vl - 2, ".*") == 0) {
            if (s->op != GE_OP_EQ && s->op != GE_OP_NE)
                return usage(err, text, "'.*' only goes with == and !=");
            s->wildcard = true;
            ver[vl - 2] = '\0';
        }
        /* a local label: "+cu121" (PEP 440: with == and === alone) */
        char *plus = strchr(ver, '+');
        if (plus) {
            if (s->op != GE_OP_EQ || s->wildcard)
                return usage(err, text, "a local label ('+cu121') goes only with ==, as pip allows");
            if (r->local[0])
                return usage(err, text, "more than one local label");
            if (!plus[1] || strlen(plus + 1) >= sizeof r->local)
                return usage(err, text, "malformed local label");
            for (const char *c = plus + 1; *c; c++)
                if (!isalnum((unsigned char)*c) && *c != '.')
                    return usage(err, text, "malformed local label");
            ge_strlcpy(r->local, plus + 1, sizeof r->local);
            for (char *c = r->local; *c; c++)
                *c = (char)tolower((unsigned char)*c);
            *plus = '\0';
        }
        /* a pre-, dev- or post-release suffix (rc1, a1, b2, .dev3, .post1) */
        size_t num = strspn(ver, "0123456789.");
        if (ver[num]) {
            char *suf = ver + num;
            if (suf > ver && suf[-1] == '.')
                suf[-1] = '\0';
            const char *t = suf;
            while (*t == '-' || *t == '_')
                t++;
            if (strncmp(t, "rc", 2) == 0 || strncmp(t, "c", 1) == 0 || strncmp(t, "a", 1) == 0 ||
                strncmp(t, "b", 1) == 0 || strncmp(t, "dev", 3) == 0 || strncmp(t, "pre", 3) == 0)
                s->suffix = GE_SUFFIX_PRE; /* alpha, beta, preview start with a, b, pre */
            else if (strncmp(t, "post", 4) == 0 || strncmp(t, "rev", 3) == 0 || strncmp(t, "r", 1) == 0)
                s->suffix = GE_SUFFIX_POST;
            else
                return usage(err, text, "malformed version (gpuenv compares release numbers such as 2.4.1)");
            if (s->wildcard)
                return usage(err, text, "'.*' cannot follow a pre- or post-release");
            if (ge_strlcpy(s->suffix_text, t, sizeof s->suffix_text) >= sizeof s->suffix_text)
                return usage(err, text, "malformed version");
            for (const char *c = t; *c; c++)
                if (!isalnum((unsigned char)*c) && *c != '.')
                    return usage(err, text, "malformed version (gpuenv compares release numbers such as 2.4.1)");
            *suf = '\0';
        }
        if (ge_version_parse(&s->v, ver, 1, 4) < 0)
            return usage(err, text, "malformed version (gpuenv compares release numbers such as 2.4.1)");
        if (s->op == GE_OP_COMPAT && s->v.n < 2)
            return usage(err, text, "'~=' needs at least two version parts, as in ~=2.4");
        r->nspecs++;
        p = skip_ws(p);
        if (*p == '\0')
            return 0;
        if (*p != ',')
            return usage(err, text, "specifiers must be separated by ','");
        p++;
    }
}

/* Compare only the first n parts of v with w (for wildcards and ~=). */
static int prefix_cmp(const struct ge_version *v, const struct ge_version *w, int n)
{
    for (int i = 0; i < n; i++) {
        uint32_t a = i < v->n ? v->part[i] : 0, b = i < w->n ? w->part[i] : 0;
        if (a != b)
            return a < b ? -1 : 1;
    }
    return 0;
}

static bool spec_match(const struct ge_spec *s, const struct ge_version *v)
{
    int c = (int)ge_version_cmp(v, &s->v);
    if (s->suffix != GE_SUFFIX_NONE) {
        /* a final release f against v-minus (pre) or v-plus (post): never equal to it */
        bool pre = s->suffix == GE_SUFFIX_PRE;
        switch (s->op) {
        case GE_OP_EQ: return false;
        case GE_OP_NE: return true;
        case GE_OP_GE:
        case GE_OP_GT: return pre ? c >= 0 : c > 0;
        case GE_OP_LE:
        case GE_OP_LT: return pre ? c < 0 : c <= 0;
        case GE_OP_COMPAT: return (pre ? c >= 0 : c > 0) && prefix_cmp(v, &s->v, s->v.n - 1) == 0;
        }
        return false;
    }
    switch (s->op) {
    case GE_OP_EQ: return s->wildcard ? prefix_cmp(v, &s->v, s->v.n) == 0 : c == 0;
    case GE_OP_NE: return s->wildcard ? prefix_cmp(v, &s->v, s->v.n) != 0 : c != 0;
    case GE_OP_GE: return c >= 0;
    case GE_OP_LE: return c <= 0;
    case GE_OP_GT: return c > 0;
    case GE_OP_LT: return c < 0;
    case GE_OP_COMPAT: return c >= 0 && prefix_cmp(v, &s->v, s->v.n - 1) == 0;
    }
    return false;
}

bool ge_req_match(const struct ge_req *r, const struct ge_version *v)
{
    for (int i = 0; i < r->nspecs; i++)
        if (!spec_match(&r->specs[i], v))
            return false;
    return true;
}

void ge_req_format(const struct ge_req *r, char *buf, size_t size)
{
    static const char *const opnames[] = {"==", "!=", ">=", "<=", ">", "<", "~="};
    struct ge_buf b;
    ge_buf_init(&b);
    ge_buf_adds(&b, r->name);
    for (int i = 0; i < r->nextras; i++)
        ge_buf_addf(&b, "%s%s", i ? "," : "[", r->extras[i]);
    if (r->nextras)
        ge_buf_adds(&b, "]");
    for (int i = 0; i < r->nspecs; i++) {
        char v[40];
        ge_buf_addf(&b, "%s%s%s%s%s%s", i ? "," : "", opnames[r->specs[i].op],
                    ge_version_format(&r->specs[i].v, v, sizeof v), r->specs[i].wildcard ? ".*" : "",
                    r->specs[i].suffix == GE_SUFFIX_POST ? "." : "", r->specs[i].suffix_text);
        if (r->specs[i].op == GE_OP_EQ && r->local[0])
            ge_buf_addf(&b, "+%s", r->local);
    }
    ge_strlcpy(buf, ge_buf_str(&b), size);
    ge_buf_fini(&b);
}
