/*-------------------------------------------------------------------------
 *
 * settings.c
 *	  Every aura_migrate.* setting: its variable, its definition, its
 *	  parsing, in one place.
 *
 * am_settings_init() defines them all and only then reserves the prefix, so
 * a value stored with ALTER DATABASE ... SET or ALTER ROLE ... SET before the
 * library was loaded is kept.  List settings are parsed here once, with
 * accessors for the parts that read them.  aura_migrate.environment has a
 * check hook: a session may make it stricter than the database's value,
 * never weaker (see environment.c for set_environment()).
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/settings.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/dependency.h"
#include "catalog/pg_db_role_setting.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/varlena.h"

#include "owner.h"
#include "compat.h"
#include "settings.h"

#define ENV_SETTING "aura_migrate.environment"

static const char *const env_names[] = {"development", "staging", "production"};

int			am_environment = AM_ENV_DEVELOPMENT;
int			am_max_sql_size_kb = 8 * 1024;
int			am_lock_timeout_ms = -1;
int			am_statement_timeout_ms = 0;
int			am_lock_retries = 3;
int			am_lock_retry_delay_ms = 500;
bool		am_record_failures = true;
static char *am_checked_schemas = NULL;
bool		am_record_ddl = true;
bool		am_rls_gate = true;
static char *am_zero_knowledge_roles_setting = NULL;
int			am_log_worker_timeout_ms = 10000;

static const struct config_enum_entry environment_options[] = {
	{"development", AM_ENV_DEVELOPMENT, false},
	{"staging", AM_ENV_STAGING, false},
	{"production", AM_ENV_PRODUCTION, false},
	{NULL, 0, false}
};

/*
 * am_environment_from_name
 *		The environment called name, or -1.
 */
int
am_environment_from_name(const char *name)
{
	int			i;

	for (i = 0; i < lengthof(env_names); i++)
		if (pg_strcasecmp(name, env_names[i]) == 0)
			return i;
	return -1;
}

/*
 * am_environment_name_of
 *		The name of environment env.
 */
const char *
am_environment_name_of(int env)
{
	if (env < 0 || env >= lengthof(env_names))
		return "development";
	return env_names[env];
}

/*
 * am_environment_name
 *		The current environment's name, as recorded in history and log.
 */
const char *
am_environment_name(void)
{
	return am_environment_name_of(am_effective_environment());
}

/*
 * am_effective_environment
 *		The environment the engine acts on: the setting, or the database's
 *		own value when that is stricter.  The check hook keeps the setting
 *		from being weaker already; this holds even where the hook could not
 *		read the catalogs (a library preloaded at connection, outside any
 *		transaction).  The database's value is read once per transaction.
 */
int
am_effective_environment(void)
{
	static LocalTransactionId cached_lxid = InvalidLocalTransactionId;
	static int	cached_dbenv = -1;

	if (!IsTransactionState() || !OidIsValid(MyDatabaseId))
		return am_environment;
	if (cached_lxid != AM_MY_LXID())
	{
		cached_dbenv = am_database_environment();
		cached_lxid = AM_MY_LXID();
	}
	return Max(am_environment, cached_dbenv);
}

/*
 * am_database_environment
 *		The environment stored for the current database (set_environment()
 *		or ALTER DATABASE ... SET), or -1 when none is stored.  Reads
 *		pg_db_role_setting directly; needs a transaction.
 */
int
am_database_environment(void)
{
	Relation	rel;
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tup;
	int			result = -1;
	size_t		plen = strlen(ENV_SETTING "=");

	rel = table_open(DbRoleSettingRelationId, AccessShareLock);
	ScanKeyInit(&keys[0], Anum_pg_db_role_setting_setdatabase,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(MyDatabaseId));
	ScanKeyInit(&keys[1], Anum_pg_db_role_setting_setrole,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(InvalidOid));
	scan = systable_beginscan(rel, DbRoleSettingDatidRolidIndexId, true,
							  NULL, 2, keys);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, Anum_pg_db_role_setting_setconfig,
									 RelationGetDescr(rel), &isnull);

		if (!isnull)
		{
			ArrayType  *arr = DatumGetArrayTypeP(d);
			Datum	   *elems;
			bool	   *nulls;
			int			n,
						i;

			deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT,
							  &elems, &nulls, &n);
			for (i = 0; i < n; i++)
			{
				char	   *item;

				if (nulls[i])
					continue;
				item = TextDatumGetCString(elems[i]);
				if (pg_strncasecmp(item, ENV_SETTING "=", plen) == 0)
					result = am_environment_from_name(item + plen);
			}
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

/*
 * am_check_environment
 *		Check hook of aura_migrate.environment: a value weaker than the
 *		database's own, from any source above the database's setting, is
 *		refused when a session SETs it, and replaced by the database's when
 *		it comes with the connection (PGOPTIONS, a role's setting).
 *
 * Outside a transaction (reading postgresql.conf, a preloaded library)
 * the catalogs cannot be read; am_effective_environment() covers that.
 * When the library is loaded after a session already SET the variable,
 * the value is re-applied through this hook, so it is refused then.
 */
bool
am_check_environment(int *newval, void **extra, GucSource source)
{
	int			dbenv;

	if (source <= PGC_S_DATABASE || source == PGC_S_TEST ||
		!IsTransactionState() || !OidIsValid(MyDatabaseId))
		return true;

	dbenv = am_database_environment();
	if (dbenv < 0 || *newval >= dbenv)
		return true;

	/*
	 * A value from the connection (PGOPTIONS, a role's setting) would
	 * otherwise leave the built-in default, development, in force: take
	 * the database's own instead.  Only an interactive SET is refused.
	 */
	if (source != PGC_S_SESSION && source != PGC_S_INTERACTIVE)
	{
		*newval = dbenv;
		return true;
	}

	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("a session cannot weaken the environment of its database");
	GUC_check_errdetail("The database's environment is \"%s\"; a session may choose a stricter one, not \"%s\".",
						am_environment_name_of(dbenv), am_environment_name_of(*newval));
	GUC_check_errhint("The database owner changes it with SELECT aura_migrate.set_environment('%s').",
					  am_environment_name_of(*newval));
	return false;
}

/*
 * The schemas the API serves when aura_migrate.checked_schemas is empty (its
 * default): public, and every schema where anon or authenticated hold USAGE
 * (PostgREST can serve only those), less the system's, those of extensions,
 * and those Supabase and the engine manage themselves.  $1 and $2 are the
 * Oids of anon and authenticated (0 when missing).
 */
/* Supabase's own schemas: not checked when Supabase's roles (or a superuser) own them */
static const char *const supabase_schemas[] = {
	"auth", "storage", "realtime", "_realtime", "extensions", "graphql",
	"graphql_public", "vault", "pgsodium", "pgsodium_masks", "supabase_functions",
	"supabase_migrations", "net", "cron", "pgbouncer", "_analytics", "pgmq", NULL
};

/*
 * api_schema
 *		Whether schema nsp (named name, owned by owner) is one the API
 *		serves: public, or one anon or authenticated (when they exist) has
 *		USAGE on, other than the system's, aura_migrate, Supabase's own
 *		(owned by a superuser or a supabase_* role) and an extension's
 *		schema when a superuser owns the extension or the schema.
 */
static bool
api_schema(Oid nsp, const char *name, Oid owner, Oid anon, Oid authenticated)
{
	Oid			ext;
	int			i;

	if (strcmp(name, "public") == 0)
		return true;
	if (!((OidIsValid(anon) &&
		   AM_NAMESPACE_ACLCHECK(nsp, anon, ACL_USAGE) == ACLCHECK_OK) ||
		  (OidIsValid(authenticated) &&
		   AM_NAMESPACE_ACLCHECK(nsp, authenticated, ACL_USAGE) == ACLCHECK_OK)))
		return false;
	if (strncmp(name, "pg_", 3) == 0 || strcmp(name, "information_schema") == 0 ||
		strcmp(name, "aura_migrate") == 0)
		return false;
	for (i = 0; supabase_schemas[i] != NULL; i++)
	{
		if (strcmp(name, supabase_schemas[i]) == 0)
		{
			char	   *rolname = GetUserNameFromId(owner, true);

			if (superuser_arg(owner) ||
				(rolname != NULL && strncmp(rolname, "supabase_", 9) == 0))
				return false;
			break;
		}
	}
	ext = getExtensionOfObject(NamespaceRelationId, nsp);
	if (OidIsValid(ext) &&
		(superuser_arg(am_owner_of_extension(ext)) || superuser_arg(owner)))
		return false;
	return true;
}

/* qsort comparator of name Datums */
static int
name_datum_cmp(const void *a, const void *b)
{
	return strcmp(NameStr(*DatumGetName(*(const Datum *) a)),
				  NameStr(*DatumGetName(*(const Datum *) b)));
}

/*
 * api_schemas
 *		The schemas api_schema() accepts, by name, as name Datums in the
 *		caller's memory context; *n gets their number.  Read from the
 *		catalogs directly, without SPI: the post-migration checks ask for
 *		them after every migration.
 */
static Datum *
api_schemas(int *n)
{
	Oid			anon = get_role_oid("anon", true);
	Oid			authenticated = get_role_oid("authenticated", true);
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tup;
	Datum	   *elems;
	int			cap = 16;

	*n = 0;
	elems = palloc(sizeof(Datum) * cap);
	rel = table_open(NamespaceRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_namespace nsp = (Form_pg_namespace) GETSTRUCT(tup);
		Name		copy;

		if (!api_schema(nsp->oid, NameStr(nsp->nspname), nsp->nspowner,
						anon, authenticated))
			continue;
		if (*n == cap)
		{
			cap *= 2;
			elems = repalloc(elems, sizeof(Datum) * cap);
		}
		copy = palloc(NAMEDATALEN);
		memcpy(copy, &nsp->nspname, NAMEDATALEN);
		elems[(*n)++] = NameGetDatum(copy);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	qsort(elems, *n, sizeof(Datum), name_datum_cmp);
	return elems;
}

/*
 * am_checked_schemas_array
 *		aura_migrate.checked_schemas as a name[] Datum, for lint() at
 *		registration, for the row level security gate and for check_rls()
 *		without schemas.  Empty (the default) means the schemas the API
 *		serves: api_schemas().
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
	if (names == NIL)
		elems = api_schemas(&n);
	else
	{
		elems = palloc(sizeof(Datum) * list_length(names));
		foreach(lc, names)
			elems[n++] = DirectFunctionCall1(namein, CStringGetDatum((char *) lfirst(lc)));
	}
	return PointerGetDatum(construct_array(elems, n, NAMEOID, NAMEDATALEN,
										   false, TYPALIGN_CHAR));
}

/*
 * am_zero_knowledge_roles
 *		The roles that must hold no privilege on user data, for lint() and
 *		check_rls(): those aura_migrate.zero_knowledge_roles lists (the one
 *		parser of the setting; empty by default) and the rows of
 *		aura_migrate.zero_knowledge_role, which an application fills
 *		(aura_schema adds service_role).  The list and its names are
 *		allocated in the caller's memory context, which outlives SPI's.
 */
List *
am_zero_knowledge_roles(void)
{
	char	   *copy = pstrdup(am_zero_knowledge_roles_setting ?
							   am_zero_knowledge_roles_setting : "");	/* empty: none */
	MemoryContext callercxt = CurrentMemoryContext;
	List	   *names = NIL;
	List	   *result = NIL;
	ListCell   *lc;
	uint64		i;

	if (!SplitIdentifierString(copy, ',', &names))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid list syntax in \"aura_migrate.zero_knowledge_roles\"")));
	foreach(lc, names)
		result = lappend(result, pstrdup((char *) lfirst(lc)));

	/*
	 * and the application's, from aura_migrate.zero_knowledge_role (which
	 * an extension version before 0.2 does not have)
	 */
	if (!OidIsValid(get_relname_relid("zero_knowledge_role",
									  get_namespace_oid("aura_migrate", true))))
		return result;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (am_spi_owner("SELECT z.role_name::pg_catalog.text FROM aura_migrate.zero_knowledge_role z "
					 "ORDER BY 1", 0, NULL, NULL, NULL, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read aura_migrate.zero_knowledge_role");
	for (i = 0; i < SPI_processed; i++)
	{
		char	   *name = am_spi_getstr((int) i, 1);
		bool		seen = false;

		foreach(lc, result)
			if (strcmp((char *) lfirst(lc), name) == 0)
				seen = true;
		if (!seen)
		{
			MemoryContext spicxt = MemoryContextSwitchTo(callercxt);

			result = lappend(result, name);
			MemoryContextSwitchTo(spicxt);
		}
	}
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	return result;
}

/*
 * define_run_settings
 *		The settings of a run: environment, limits, timeouts, retries, and
 *		the durable record of failures.
 */
static void
define_run_settings(void)
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

	DefineCustomIntVariable("aura_migrate.log_worker_timeout",
							"Sets how long a failed apply() waits for the failure to be logged durably.",
							"The failure is written by a background worker in its own transaction; "
							"past this time apply() warns and raises its error without it.",
							&am_log_worker_timeout_ms,
							10000,
							100,
							600000,
							PGC_SUSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);
}

/*
 * define_check_settings
 *		The settings of the checks: checked schemas, the DDL record, the row
 *		level security gate, the zero-knowledge roles.
 */
static void
define_check_settings(void)
{
	DefineCustomStringVariable("aura_migrate.checked_schemas",
							   "Sets the schemas whose new tables must have row level security.",
							   "A comma-separated list, used by lint() at registration and by "
							   "the checks after each migration.  Empty: public and every "
							   "schema where anon or authenticated hold USAGE.",
							   &am_checked_schemas,
							   "",
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

	DefineCustomStringVariable("aura_migrate.zero_knowledge_roles",
							   "Sets the roles that must never reach per-user rows.",
							   "A comma-separated list of role names.  check_rls() "
							   "reports an error when one of these roles holds any "
							   "privilege on a table with an owner column, directly, "
							   "through role membership or through PUBLIC, and probes "
							   "them as it probes anon.  Roles that do not exist "
							   "are ignored.",
							   &am_zero_knowledge_roles_setting,
							   "",
							   PGC_SUSET,
							   GUC_LIST_INPUT,
							   NULL, NULL, NULL);
}

/*
 * am_settings_init
 *		Define every aura_migrate.* setting, then reserve the prefix.
 *		Called from _PG_init.
 */
void
am_settings_init(void)
{
	define_run_settings();
	define_check_settings();
	MarkGUCPrefixReserved("aura_migrate");
}
