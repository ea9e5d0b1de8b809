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

#include <limits.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/varlena.h"

#include "aura_migrate.h"
#include "rls.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

int			am_environment = AM_ENV_DEVELOPMENT;
int			am_max_sql_size_kb = 8 * 1024;
int			am_lock_timeout_ms = -1;
int			am_statement_timeout_ms = 0;
int			am_lock_retries = 3;
int			am_lock_retry_delay_ms = 500;
bool		am_record_failures = true;
char	   *am_checked_schemas = NULL;
bool		am_record_ddl = true;
bool		am_rls_gate = true;

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
	return am_environment_name_of(am_environment);
}

/*
 * am_checked_schemas_array
 *		aura_migrate.checked_schemas as a name[] Datum, for lint() at
 *		registration and for the row level security gate.
 */
Datum
am_checked_schemas_array(void)
{
	char	   *raw = pstrdup(am_checked_schemas ? am_checked_schemas : "");
	List	   *names;
	ListCell   *lc;
	Datum	   *elems;
	int			n = 0;

	if (!SplitIdentifierString(raw, ',', &names))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid list syntax in \"aura_migrate.checked_schemas\"")));
	elems = palloc(sizeof(Datum) * Max(list_length(names), 1));
	foreach(lc, names)
		elems[n++] = DirectFunctionCall1(namein, CStringGetDatum((char *) lfirst(lc)));
	return PointerGetDatum(construct_array(elems, n, NAMEOID, NAMEDATALEN,
										   false, TYPALIGN_CHAR));
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
							 "much detail the log keeps.  The database's value is set "
							 "with aura_migrate.set_environment(); a session may make it "
							 "stricter, never weaker.",
							 &am_environment,
							 AM_ENV_DEVELOPMENT,
							 environment_options,
							 PGC_USERSET,
							 0,
							 am_check_environment, NULL, NULL);

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

	DefineCustomIntVariable("aura_migrate.lock_timeout",
							"Sets the lock_timeout each migration runs under.",
							"-1 (the default) means by environment: none in development, "
							"5s in staging and production.  0 turns it off.",
							&am_lock_timeout_ms,
							-1, -1, INT_MAX,
							PGC_SUSET, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("aura_migrate.statement_timeout",
							"Sets the statement_timeout of each statement of a migration.",
							"0 (the default) turns it off.",
							&am_statement_timeout_ms,
							0, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("aura_migrate.lock_retries",
							"Sets how often a migration that timed out waiting for a lock is tried again.",
							"Each retry waits twice as long as the one before, starting at "
							"aura_migrate.lock_retry_delay.",
							&am_lock_retries,
							3, 0, 100,
							PGC_SUSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("aura_migrate.lock_retry_delay",
							"Sets the wait before the first retry of a migration that could not take a lock.",
							NULL,
							&am_lock_retry_delay_ms,
							500, 0, 3600 * 1000,
							PGC_SUSET, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("aura_migrate.record_failures",
							 "Records failed migrations durably, beyond the caller's rollback.",
							 "Only a superuser can turn it off: the role whose migration "
							 "failed must not be able to hide it.  Dry runs use "
							 "apply(dry_run => true) instead.",
							 &am_record_failures,
							 true,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);

	DefineCustomStringVariable("aura_migrate.checked_schemas",
							   "Sets the schemas whose new tables must have row level security.",
							   "A comma-separated list, used by lint() at registration and by "
							   "the checks after each migration.",
							   &am_checked_schemas,
							   "public",
							   PGC_SUSET, GUC_LIST_INPUT,
							   NULL, NULL, NULL);

	DefineCustomBoolVariable("aura_migrate.record_ddl",
							 "Records every DDL command in aura_migrate.object_change.",
							 "Inside a migration the rows name it; outside they show changes "
							 "made outside migrations.  The post-migration checks and verify() "
							 "read them.",
							 &am_record_ddl,
							 true,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("aura_migrate.rls_gate",
							 "Runs the row level security checks around apply() and migrate().",
							 "Outside development a migration that adds an error finding of "
							 "check_rls() fails; in development the run reports what it added.",
							 &am_rls_gate,
							 true,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);

	am_rls_init();
	am_worker_init();
	MarkGUCPrefixReserved("aura_migrate");

	am_guard_init();
}
