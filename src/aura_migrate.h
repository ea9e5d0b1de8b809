/*-------------------------------------------------------------------------
 *
 * aura_migrate.h
 *	  Settings and module-wide declarations of the aura_migrate engine.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/aura_migrate.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_H
#define AURA_MIGRATE_H

#include "nodes/nodes.h"
#include "utils/guc.h"

/* aura_migrate.environment */
typedef enum AmEnvironment
{
	AM_ENV_DEVELOPMENT,
	AM_ENV_STAGING,
	AM_ENV_PRODUCTION
} AmEnvironment;

extern int	am_environment;
extern int	am_max_sql_size_kb;
extern int	am_lock_timeout_ms;
extern int	am_statement_timeout_ms;
extern int	am_lock_retries;
extern int	am_lock_retry_delay_ms;
extern bool am_record_failures;
extern char *am_checked_schemas;
extern bool am_record_ddl;
extern bool am_rls_gate;

/* apply.c: the migration being applied, if any */
extern const char *am_current_version;
extern int64 am_current_run_id;

extern const char *am_environment_name(void);
extern Datum am_checked_schemas_array(void);

/* environment.c */
extern int	am_environment_from_name(const char *name);
extern const char *am_environment_name_of(int env);
extern int	am_database_environment(void);
extern bool am_check_environment(int *newval, void **extra, GucSource source);

/* the advisory lock every apply(), migrate() and rollback() takes */
#define AM_ADVISORY_LOCK_KEY	INT64CONST(0x417572614d696772)	/* "AuraMigr" */

/* checksum.c */
extern char *am_sha256_hex(const char *data, size_t len);

/* guard.c */
extern void am_guard_init(void);
extern void am_guard_enter(void);
extern void am_guard_leave(void);
extern bool am_guard_suspend(void);
extern void am_guard_resume(bool was);
extern const char *am_guard_statement_target(Node *stmt, bool resolve);

/* the extension's sequences, as the guard compares them around a migration */
typedef struct AmSequenceState
{
	int64		run_last;
	bool		run_called;
	int64		log_last;
	bool		log_called;
	int64		change_last;
} AmSequenceState;

extern void am_guard_sequences(AmSequenceState *state);
extern void am_guard_check_sequences(const AmSequenceState *before);

/* eventlog.c */
extern void am_worker_init(void);

/* objects.c */
extern void am_post_check(const char *version, int64 run_id);

#endif							/* AURA_MIGRATE_H */
