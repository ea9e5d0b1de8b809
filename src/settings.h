/*-------------------------------------------------------------------------
 *
 * settings.h
 *	  Every aura_migrate.* setting (settings.c).
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/settings.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_SETTINGS_H
#define AURA_MIGRATE_SETTINGS_H

#include "nodes/pg_list.h"
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
extern bool am_record_ddl;
extern bool am_rls_gate;
extern int	am_log_worker_timeout_ms;

extern void am_settings_init(void);

extern const char *am_environment_name(void);
extern int	am_effective_environment(void);
extern int	am_environment_from_name(const char *name);
extern const char *am_environment_name_of(int env);
extern int	am_database_environment(void);
extern bool am_check_environment(int *newval, void **extra, GucSource source);

extern Datum am_checked_schemas_array(void);
extern List *am_zero_knowledge_roles(void);

#endif							/* AURA_MIGRATE_SETTINGS_H */
