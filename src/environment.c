/*-------------------------------------------------------------------------
 *
 * environment.c
 *	  The environment belongs to the database, not to the session.
 *
 * aura_migrate.environment (development, staging, production) decides
 * whether rollback() and reset() may run, how much detail the log keeps,
 * and how strict the checks are.  The database's value is stored as a
 * per-database setting (pg_db_role_setting, as ALTER DATABASE ... SET
 * stores it) by set_environment(), which the database owner and
 * superusers may call.  A session may choose a stricter environment than
 * its database's, never a weaker one: the setting's check hook (settings.c)
 * refuses a SET or SET LOCAL below the database's value and replaces a
 * weaker value from the connection (PGOPTIONS, a role's setting) with the
 * database's, and the engine acts on the stricter of the setting and the
 * database's value.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/environment.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/pg_database.h"
#include "catalog/pg_db_role_setting.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"

#include "settings.h"
#include "run.h"
#include "compat.h"
#include "eventlog.h"

PG_FUNCTION_INFO_V1(aura_migrate_set_environment);
PG_FUNCTION_INFO_V1(aura_migrate_environment);
PG_FUNCTION_INFO_V1(aura_migrate_checked_schemas);

#define ENV_SETTING "aura_migrate.environment"

static const char *const env_names[] = {"development", "staging", "production"};

/*
 * aura_migrate_set_environment
 *		SQL: aura_migrate.set_environment(environment text) RETURNS text
 *
 * Stores the database's environment (as ALTER DATABASE ... SET would),
 * applies it to the calling session, and records the change in the log
 * (event environment_set).  Callable by the database's owner and by
 * superusers, who may also weaken it; on Supabase the database owner is
 * not a superuser.  Returns the environment now in force.
 */
Datum
aura_migrate_set_environment(PG_FUNCTION_ARGS)
{
	char	   *name;
	int			env;
	int			old;
	VariableSetStmt *stmt;
	A_Const    *value;
	AmLogEntry	e;
	char	   *dbname;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("environment must not be null")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	env = am_environment_from_name(name);
	if (env < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown environment \"%s\"", name),
				 errhint("The environments are development, staging and production.")));

	dbname = get_database_name(MyDatabaseId);
	shdepLockAndCheckObject(DatabaseRelationId, MyDatabaseId);
	if (!superuser() && !AM_DATABASE_OWNERCHECK(MyDatabaseId, GetUserId()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to set the environment of database \"%s\"", dbname),
				 errdetail("Only the database's owner and superusers can set its environment."),
				 errhint("Ask the owner of database \"%s\" to run SELECT aura_migrate.set_environment('%s').",
						 dbname, env_names[env])));

	/* one writer of the log's sequence at a time, as apply() does */
	DirectFunctionCall1(pg_advisory_xact_lock_int8,
						Int64GetDatum(AM_ADVISORY_LOCK_KEY));
	old = am_database_environment();

	/* ALTER DATABASE <this one> SET aura_migrate.environment = <env> */
	stmt = makeNode(VariableSetStmt);
	stmt->kind = VAR_SET_VALUE;
	stmt->name = ENV_SETTING;
	value = makeNode(A_Const);
	value->val.sval.type = T_String;
	value->val.sval.sval = pstrdup(env_names[env]);
	value->location = -1;
	stmt->args = list_make1(value);
	AlterSetting(MyDatabaseId, InvalidOid, stmt);
	CommandCounterIncrement();

	/*
	 * This session follows at once, as a new one would: as the database's
	 * value, so that RESET returns to it.  A stricter value the session SET
	 * itself stays in force.
	 */
	(void) set_config_option(ENV_SETTING, env_names[env], PGC_USERSET,
							 PGC_S_DATABASE, GUC_ACTION_SET, true, 0, false);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	memset(&e, 0, sizeof(e));
	e.event = "environment_set";
	e.duration_ms = -1;
	e.message = psprintf("environment of database \"%s\" set to %s (was %s)", dbname,
						 env_names[env], old < 0 ? "not set" : env_names[old]);
	e.environment = env_names[env];
	e.username = GetUserNameFromId(GetUserId(), false);
	am_log_insert(&e);
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");

	PG_RETURN_TEXT_P(cstring_to_text(env_names[env]));
}

/*
 * aura_migrate_environment
 *		SQL: aura_migrate._environment() RETURNS text
 *
 * The environment in force, as the engine sees it.  Calling it loads the
 * library, so a weaker value a session SET before the library was loaded
 * is refused (with a WARNING) before the answer is given.
 */
Datum
aura_migrate_environment(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(am_environment_name()));
}

/*
 * aura_migrate_checked_schemas
 *		SQL: aura_migrate._checked_schemas() RETURNS name[]
 *
 * aura_migrate.checked_schemas as the engine parses it (quoted names keep
 * their spaces and case), for verify().
 */
Datum
aura_migrate_checked_schemas(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(am_checked_schemas_array());
}
