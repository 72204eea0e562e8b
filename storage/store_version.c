/* store_version.c - the run database's schema version, in one place. */
#include "storage/store_version.h"
int store_schema_version(void) { return STORE_SCHEMA_VERSION; }
