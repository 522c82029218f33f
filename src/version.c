/* version.c - the version slim reports.
 *
 * The builds pass SLIM_VERSION_STRING (scripts/version: `git describe` in a
 * checkout, else the VERSION file, as "0.1.0", "0.1.0-3-gabc1234" or
 * "0.1.0-dev+gabc1234").  It is given to this file alone, so a new commit
 * rebuilds one object, not all.  A build that gives none (the fuzz targets)
 * says "unknown".
 */
#include "slim.h"

#ifndef SLIM_VERSION_STRING
#define SLIM_VERSION_STRING "unknown"
#endif

const char slim_version[] = SLIM_VERSION_STRING;
