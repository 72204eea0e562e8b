/* store_version.h - the version of the run database schema this build writes (PRAGMA user_version). */
#ifndef GRPO_STORE_VERSION_H
#define GRPO_STORE_VERSION_H
#define STORE_SCHEMA_VERSION 1
int store_schema_version(void);
#endif
