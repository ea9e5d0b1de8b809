/*-------------------------------------------------------------------------
 *
 * aura_migrate.c
 *	  Module entry point and settings of the aura_migrate engine.
 *
 * _PG_init only defines the settings and calls each part's init function.
 * The library needs no shared_preload_libraries entry: it is loaded the
 * first time one of its functions runs.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/aura_migrate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "aura_migrate.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

int			am_environment = AM_ENV_DEVELOPMENT;
int			am_max_sql_size_kb = 8 * 1024;

static const struct config_enum_entry environment_options[] = {
	{"development", AM_ENV_DEVELOPMENT, false},
	{"staging", AM_ENV_STAGING, false},
	{"production", AM_ENV_PRODUCTION, false},
	{NULL, 0, false}
};

/*
 * am_environment_name
 *		The current environment's name, as recorded in history and log.
 */
const char *
am_environment_name(void)
{
	switch ((AmEnvironment) am_environment)
	{
		case AM_ENV_DEVELOPMENT:
			return "development";
		case AM_ENV_STAGING:
			return "staging";
		case AM_ENV_PRODUCTION:
			return "production";
	}
	return "development";		/* keep compiler quiet */
}

/*
 * _PG_init
 *		Define the aura_migrate.* settings and initialise each part.
 */
void
_PG_init(void)
{
	DefineCustomEnumVariable("aura_migrate.environment",
							 "Sets the environment migrations run in.",
							 "development, staging or production.  It decides which "
							 "migrations apply, whether rollback() is allowed and how "
							 "much detail the log keeps.  Set it per database with "
							 "ALTER DATABASE ... SET.",
							 &am_environment,
							 AM_ENV_DEVELOPMENT,
							 environment_options,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("aura_migrate.max_sql_size",
							"Sets the largest migration SQL that register() accepts.",
							"Larger migrations are refused before they are parsed.",
							&am_max_sql_size_kb,
							8 * 1024,
							1,
							1024 * 1024,
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("aura_migrate");

	am_guard_init();
	am_worker_init();
}
