/* store_internal.h - what store.c, store_writer.c, query.c and export.c share and nobody else should see:
 * opening a connection with the run database's pragmas and schema, and error messages naming the file. */
#ifndef GRPO_STORE_INTERNAL_H
#define GRPO_STORE_INTERNAL_H
#include <sqlite3.h>
#include <stddef.h>

/* Opens path with the run database's settings (WAL, synchronous=NORMAL, busy_timeout, foreign keys) and brings its
 * schema to STORE_SCHEMA_VERSION: creates it when the file is new (or empty, with create), migrates an older one in
 * one transaction, refuses a newer one and a file that is not a run database. create: 1 to create a missing file
 * and give an empty one its schema; 0 refuses an empty file without touching it.
 * Returns 0 with *out set, or -1 with err (and *out NULL). */
int store_db_open(const char *path, int create, sqlite3 **out, char *err, size_t errlen);

/* Formats "<what>: <path>: <sqlite message>" into err. db may be NULL (then only what and path). */
void store_db_error(char *err, size_t errlen, const char *path, sqlite3 *db, const char *what);

/* The schema version of an open database (PRAGMA user_version), -1 on error. */
int store_db_version(sqlite3 *db);

/* Runs the migrations that take db from version `from` to version `to` (both <= STORE_SCHEMA_VERSION) inside the
 * caller's transaction. Exposed for tests. Returns SQLITE_OK or an SQLite error code (message in db). */
int store_db_migrate(sqlite3 *db, int from, int to);

/* query.c: how many matches make a text search "dense" (walk the sort index instead of sorting the matches).
 * Only tests change it. */
extern int query_search_dense;

#endif
