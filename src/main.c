/* main.c: the program entry; everything else is linked into the unit tests too. */
#include "cli.h"

int main(int argc, char **argv)
{
    return ge_main(argc, argv);
}
