/* python.h: which Python version the user's python3 is, found without starting it when possible. */
#ifndef GE_PYTHON_H
#define GE_PYTHON_H

#include <stddef.h>

/* The X.Y of the python3 a shell would run: an active virtual environment's pyvenv.cfg, the
 * name python3 resolves to (python3.12), pyenv's selected version, a venv's pyvenv.cfg, and only
 * then running it (with a timeout). 0 with version ("3.12") and source (how it was found), or -1
 * when there is no python3. */
int ge_python_detect(char *version, size_t vsize, char *source, size_t ssize);

/* The first executable regular file 'name' in PATH's folders, into out; -1 when there is none. */
int ge_python_find_on_path(const char *name, char *out, size_t size);

/* Ask the interpreter exe for its X.Y, killing it after five seconds; -1 when it does not tell. */
int ge_python_version_of(const char *exe, char *out, size_t size);

/* "3.12.1" or "3.12" -> "3.12"; -1 when it is not a Python version. */
int ge_python_xy(const char *text, char *out, size_t size);

#endif
