/*
 * version.c -- the library's own version, for a program to compare with
 * the header it was compiled against (OT_VERSION, OT_VERSION_NUMBER): a
 * shared library can be replaced under a program without recompiling it.
 */
#include "onetrip.h"

const char *ot_version(void)
{
	return OT_VERSION;
}

int ot_version_number(void)
{
	return OT_VERSION_NUMBER;
}
