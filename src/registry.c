/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  The migration registry: register(), register_file() and the checks
 *	  every migration passes before it is stored.
 *
 * Nothing is stored until the version, the name, the dependencies and the
 * SQL have been checked (validate.c); the SQL is parsed by PostgreSQL's raw
 * parser and never executed here.  Registering identical content again changes
 * nothing; other content for a pending migration needs replace => true and
 * for an applied one is refused, since that would be drift.
 *
 * The registry's tables belong to the extension's owner.  Bookkeeping SPI
 * runs as that owner (owner.c), so that a migrator role needs EXECUTE on
 * the functions and no privilege on the tables, and so cannot forge history
 * by writing to them.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/registry.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "commands/extension.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"

#include "settings.h"
#include "run.h"
#include "guard.h"
#include "checksum.h"
#include "authority.h"
#include "compat.h"
#include "owner.h"
#include "validate.h"
#include "eventlog.h"
#include "registry.h"

PG_FUNCTION_INFO_V1(aura_migrate_register);
PG_FUNCTION_INFO_V1(aura_migrate_register_file);
PG_FUNCTION_INFO_V1(aura_migrate_register_bundled);
PG_FUNCTION_INFO_V1(aura_migrate_unregister);
PG_FUNCTION_INFO_V1(aura_migrate_repair);

/* What one call of register() or register_file() asks to store. */
typedef struct AmMigrationInput
{
	char	   *version;
	char	   *name;
	char	   *description;
	char	   *sql;
	char	   *down_sql;		/* NULL when none */
	ArrayType  *environments;	/* NULL = all */
	ArrayType  *depends_on;		/* NULL = none */
	bool		replace;
	bool		rename;			/* replace may change the name */
	bool		repairing;		/* repair(): an applied one may change */
	const char *source;			/* "user" or "bundled" */
	char	   *checksum;		/* set by register_migration */
} AmMigrationInput;


static const char *register_migration(AmMigrationInput *in);
static void update_migration(AmMigrationInput *in, Datum *values, char *nulls);
static void check_depends_on(const char *version, ArrayType *arr);
static char *arg_text(FunctionCallInfo fcinfo, int argno, const char *argname,
					  bool required);

/*
 * check_depends_on
 *		Every dependency is a valid version, earlier than the migration, and
 *		already registered.  Must be called while connected to SPI.
 */
static void
check_depends_on(const char *version, ArrayType *arr)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i;

	if (arr == NULL)
		return;
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("depends_on must be a one-dimensional array")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		char	   *dep;
		Oid			argtypes[1] = {TEXTOID};
		Datum		values[1];

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("depends_on must not contain NULL")));
		dep = TextDatumGetCString(elems[i]);
		am_check_version(dep, "dependency");
		if (am_version_cmp(dep, version) >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("migration %s cannot depend on %s", version, dep),
					 errdetail("Migrations apply in version order, so a dependency must have an earlier version (an 11-digit version counts as the start of its day).")));
		values[0] = CStringGetTextDatum(dep);
		if (am_spi_owner("SELECT 1 FROM aura_migrate.migration WHERE version = $1",
						 1, argtypes, values, NULL, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not look up migration %s", dep);
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("migration %s depends on unknown migration %s", version, dep),
					 errhint("Register %s first.", dep)));
	}
}

/* the parameters of the registry statements: $1 .. $15 */
static Oid	register_argtypes[15] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, INT4OID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
TEXTOID, BOOLOID, TEXTOID, OIDOID, NAMEARRAYOID};

/*
 * am_log_registry_event
 *		One log row about the registry (down_changed, repaired, unregistered,
 *		baselined), in the caller's transaction.  Connected to SPI.
 */
void
am_log_registry_event(const char *version, const char *event,
					  const char *checksum, const char *message)
{
	AmLogEntry	e;

	memset(&e, 0, sizeof(e));
	e.version = version;
	e.event = event;
	e.duration_ms = -1;
	e.message = message;
	e.environment = am_environment_name();
	e.username = GetUserNameFromId(GetUserId(), false);
	e.checksum = checksum;
	am_log_insert(&e);
}

/* column numbers of the lookup in store_migration */
enum
{
	SM_REGISTERED = 1, SM_SAME, SM_APPLIED, SM_APPLIED_SAME, SM_NAME,
	SM_REGISTRAR, SM_TIME, SM_SAME_SQL, SM_SAME_NAME, SM_SAME_DOWN,
	SM_SAME_PLACE
};

#define SM_BOOL(col) DatumGetBool(SPI_getbinval(tup, td, (col), &isnull))

/*
 * store_migration
 *		Store one validated migration (values and nulls in the order of
 *		register_argtypes).  Returns:
 *		- "registered": new;
 *		- "unchanged": identical content again;
 *		- "down_changed" (or "updated", when only the description differs):
 *		  the same SQL, name, environments and dependencies, another down SQL:
 *		  allowed without replace, even for an applied migration, since down
 *		  SQL is not in the checksum; logged;
 *		- "restored": an applied migration whose registered SQL had drifted
 *		  gets back the SQL that was applied; logged as repaired;
 *		- "replaced": a pending one with replace (and rename, for another
 *		  name), or an applied one being repaired (in->repairing).
 *		Anything else about an applied migration is refused.  Called
 *		connected to SPI, holding the registry lock.
 */
static const char *
store_migration(AmMigrationInput *in, Datum *values, char *nulls)
{
	TupleDesc	td;
	HeapTuple	tup;
	bool		isnull;
	bool		registered,
				applied;

	/* what is there already, and was it applied? */
	if (am_spi_owner("SELECT m.version IS NOT NULL AS registered, "
					 "       coalesce(m.checksum = $6 AND m.name = $2 "
					 "         AND m.description IS NOT DISTINCT FROM $3 "
					 "         AND m.down_sql IS NOT DISTINCT FROM $5 "
					 "         AND m.environments IS NOT DISTINCT FROM $8 "
					 "         AND m.depends_on IS NOT DISTINCT FROM $9, false) AS same, "
					 "       h.version IS NOT NULL AS applied, "
					 "       coalesce(h.checksum = $6, false) AS applied_same, "
					 "       m.name, coalesce(m.registered_by::text, 'an unknown role'), "
					 "       pg_catalog.to_char(m.registered_at AT TIME ZONE 'UTC', "
					 "                          'YYYY-MM-DD HH24:MI:SS'), "
					 "       coalesce(m.checksum = $6, false), "
					 "       coalesce(m.name = $2, false), "
					 "       coalesce(m.down_sql IS NOT DISTINCT FROM $5, false), "
					 "       coalesce(m.environments IS NOT DISTINCT FROM $8 "
					 "         AND m.depends_on IS NOT DISTINCT FROM $9, false) "
					 "FROM (SELECT $1::text AS v) arg "
					 "LEFT JOIN aura_migrate.migration m ON m.version = arg.v "
					 "LEFT JOIN aura_migrate.history h ON h.version = arg.v",
					 15, register_argtypes, values, nulls, 0) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not look up migration %s", in->version);
	td = SPI_tuptable->tupdesc;
	tup = SPI_tuptable->vals[0];
	registered = SM_BOOL(SM_REGISTERED);
	applied = SM_BOOL(SM_APPLIED);

	if (registered && SM_BOOL(SM_SAME))
		return "unchanged";

	/* only the down SQL or the description differs: never drift */
	if (registered && SM_BOOL(SM_SAME_SQL) && SM_BOOL(SM_SAME_NAME) &&
		SM_BOOL(SM_SAME_PLACE))
	{
		bool		down_changed = !SM_BOOL(SM_SAME_DOWN);

		/*
		 * Whoever sets down SQL becomes the registrar: rollback() and reset()
		 * run it bounded by that role, never by the role that wrote the up
		 * SQL (a weaker role's down SQL would otherwise run as a superuser).
		 */
		if (am_spi_owner(down_changed ?
						 "UPDATE aura_migrate.migration SET description = $3, "
						 "down_sql = $5, registered_at = pg_catalog.now(), "
						 "registered_by = (SELECT rolname FROM pg_catalog.pg_roles "
						 "WHERE oid = $14) WHERE version = $1" :
						 "UPDATE aura_migrate.migration SET description = $3 "
						 "WHERE version = $1",
						 15, register_argtypes, values, nulls, 0) != SPI_OK_UPDATE ||
			SPI_processed != 1)
			elog(ERROR, "could not update migration %s", in->version);
		if (down_changed)
			am_log_registry_event(in->version, "down_changed", in->checksum,
								  in->down_sql == NULL ?
								  pstrdup("down SQL removed") :
								  psprintf("down SQL set (SHA-256 %s)",
										   am_sha256_hex(in->down_sql, strlen(in->down_sql))));
		return down_changed ? "down_changed" : "updated";
	}

	if (applied && registered && SM_BOOL(SM_APPLIED_SAME) && !in->repairing)
	{
		/* the registry drifted, and this is what was applied: take it back */
		update_migration(in, values, nulls);
		am_log_registry_event(in->version, "repaired", in->checksum,
							  pstrdup("registered SQL restored to the SQL that was applied"));
		return "restored";
	}

	if (applied && !in->repairing && !(SM_BOOL(SM_APPLIED_SAME) && !registered))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration %s is already applied and cannot be changed", in->version),
				 errdetail("Changing an applied migration would make the registry disagree with the schema it built (drift).  Its down SQL and description may change; its SQL, name, environments and dependencies may not."),
				 errhint("Write a new migration with a later version for the change.  If the applied SQL was edited on purpose and the schema already matches it, accept it with aura_migrate.repair('%s', sql => ...).",
						 in->version)));

	if (registered && !in->replace && !in->repairing)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("migration %s is already registered with other content", in->version),
				 SM_BOOL(SM_SAME_SQL) ?
				 errdetail("It is registered as \"%s\" by %s at %s UTC, with the same SQL and other details (name, description, down SQL, environments or dependencies).",
						   SPI_getvalue(tup, td, SM_NAME), SPI_getvalue(tup, td, SM_REGISTRAR),
						   SPI_getvalue(tup, td, SM_TIME)) :
				 errdetail("It is registered as \"%s\" by %s at %s UTC, with other SQL.",
						   SPI_getvalue(tup, td, SM_NAME), SPI_getvalue(tup, td, SM_REGISTRAR),
						   SPI_getvalue(tup, td, SM_TIME)),
				 errhint("If this is another migration, give it a later version; to replace the pending one, pass replace => true.")));

	if (registered && !SM_BOOL(SM_SAME_NAME) && !in->rename && !in->repairing)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("migration %s is registered as \"%s\", not \"%s\"",
						in->version, SPI_getvalue(tup, td, SM_NAME), in->name),
				 errdetail("It was registered by %s at %s UTC.  Replacing it with a migration of another name is likely a different migration under the same version.",
						   SPI_getvalue(tup, td, SM_REGISTRAR), SPI_getvalue(tup, td, SM_TIME)),
				 errhint("If it is another migration, give it a later version; to rename the pending one, pass rename => true as well.")));

	if (registered)
	{
		update_migration(in, values, nulls);
		return "replaced";
	}

	if (am_spi_owner("INSERT INTO aura_migrate.migration (version, name, "
					 "description, up_sql, down_sql, checksum, statements, "
					 "environments, depends_on, requires, requires_hint, "
					 "no_transaction, source, registered_by, findings) "
					 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
					 "$12, $13, (SELECT rolname FROM pg_catalog.pg_roles "
					 "WHERE oid = $14), "
					 "ARRAY(SELECT f FROM aura_migrate.lint($4, $15) AS f))",
					 15, register_argtypes, values, nulls, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not register migration %s", in->version);
	return "registered";
}

/*
 * update_migration
 *		Overwrite a registered migration with new content.
 */
static void
update_migration(AmMigrationInput *in, Datum *values, char *nulls)
{
	if (am_spi_owner("UPDATE aura_migrate.migration SET name = $2, "
					 "description = $3, up_sql = $4, down_sql = $5, "
					 "checksum = $6, statements = $7, environments = $8, "
					 "depends_on = $9, requires = $10, requires_hint = $11, "
					 "no_transaction = $12, source = $13, "
					 "findings = ARRAY(SELECT f FROM aura_migrate.lint($4, $15) AS f), "
					 "registered_at = pg_catalog.now(), "
					 "registered_by = (SELECT rolname FROM pg_catalog.pg_roles "
					 "WHERE oid = $14) "
					 "WHERE version = $1",
					 15, register_argtypes, values, nulls, 0) != SPI_OK_UPDATE ||
		SPI_processed != 1)
		elog(ERROR, "could not replace migration %s", in->version);
}

/*
 * register_migration
 *		Validate and store one migration.  Returns "registered", "unchanged"
 *		or "replaced".
 */
static const char *
register_migration(AmMigrationInput *in)
{
	MemoryContext parsecxt;
	MemoryContext oldcxt;
	AmParsed   *parsed;
	AmHeader	hdr;
	int			nstmts;
	char	   *checksum;
	bool		no_tx;
	ArrayType  *requires;
	const char *result;
	Datum		values[15];
	char		nulls[15];

	am_check_version(in->version, "version");
	am_check_name(in->version, in->name);
	am_check_environments(in->environments);

	/* parse in a context of our own: the trees are ~14x the text */
	no_tx = am_sql_has_marker(in->sql, "aura:no-transaction");
	parsecxt = AllocSetContextCreate(CurrentMemoryContext,
									 "aura_migrate parse",
									 ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(parsecxt);
	parsed = am_validate_sql(in->version, in->sql, false, no_tx);
	nstmts = parsed->nstmts;
	if (in->down_sql != NULL)
		(void) am_validate_sql(in->version, in->down_sql, true, false);
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(parsecxt);

	am_parse_header(in->sql, &hdr);
	requires = hdr.requires ? am_parse_requires(in->version, hdr.requires) : NULL;
	checksum = am_sha256_hex(in->sql, strlen(in->sql));
	in->checksum = checksum;

	/* one registry writer at a time, and never beside a running apply() */
	DirectFunctionCall1(pg_advisory_xact_lock_int8,
						Int64GetDatum(AM_ADVISORY_LOCK_KEY));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	check_depends_on(in->version, in->depends_on);

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(in->version);
	values[1] = CStringGetTextDatum(in->name);
	values[2] = in->description ? CStringGetTextDatum(in->description) : (Datum) 0;
	nulls[2] = in->description ? ' ' : 'n';
	values[3] = CStringGetTextDatum(in->sql);
	values[4] = in->down_sql ? CStringGetTextDatum(in->down_sql) : (Datum) 0;
	nulls[4] = in->down_sql ? ' ' : 'n';
	values[5] = CStringGetTextDatum(checksum);
	values[6] = Int32GetDatum(nstmts);
	values[7] = PointerGetDatum(in->environments);
	nulls[7] = in->environments ? ' ' : 'n';
	values[8] = PointerGetDatum(in->depends_on);
	nulls[8] = in->depends_on ? ' ' : 'n';
	values[9] = PointerGetDatum(requires);
	nulls[9] = requires ? ' ' : 'n';
	values[10] = hdr.requires_hint ? CStringGetTextDatum(hdr.requires_hint) : (Datum) 0;
	nulls[10] = hdr.requires_hint ? ' ' : 'n';
	values[11] = BoolGetDatum(no_tx);
	values[12] = CStringGetTextDatum(in->source);
	values[13] = ObjectIdGetDatum(GetUserId());	/* the caller */
	values[14] = am_checked_schemas_array();	/* what lint() checks */

	result = store_migration(in, values, nulls);

	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	return result;
}

/*
 * arg_text
 *		A text argument as a C string; a clear error for NULL when required.
 */
static char *
arg_text(FunctionCallInfo fcinfo, int argno, const char *argname, bool required)
{
	if (PG_ARGISNULL(argno))
	{
		if (required)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not be null", argname)));
		return NULL;
	}
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/*
 * aura_migrate_register
 *		SQL: aura_migrate.register(version text, name text, sql text,
 *			 down_sql text DEFAULT NULL, environments text[] DEFAULT NULL,
 *			 depends_on text[] DEFAULT NULL, replace boolean DEFAULT false)
 *			 RETURNS text
 *
 * Validates and stores a migration; nothing is executed.  EXECUTE is
 * revoked from PUBLIC.
 */
Datum
aura_migrate_register(PG_FUNCTION_ARGS)
{
	AmMigrationInput in;

	memset(&in, 0, sizeof(in));
	in.version = arg_text(fcinfo, 0, "version", true);
	in.name = arg_text(fcinfo, 1, "name", true);
	in.sql = arg_text(fcinfo, 2, "sql", true);
	in.down_sql = arg_text(fcinfo, 3, "down_sql", false);
	in.environments = PG_ARGISNULL(4) ? NULL : PG_GETARG_ARRAYTYPE_P(4);
	in.depends_on = PG_ARGISNULL(5) ? NULL : PG_GETARG_ARRAYTYPE_P(5);
	if (PG_ARGISNULL(6))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("replace must not be null")));
	in.replace = PG_GETARG_BOOL(6);
	if (PG_ARGISNULL(7))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("rename must not be null")));
	in.rename = PG_GETARG_BOOL(7);
	in.source = "user";

	PG_RETURN_TEXT_P(cstring_to_text(register_migration(&in)));
}

/*
 * file_version_length
 *		11 or 14 when base is a migration file name of the engine's scheme
 *		(YYYYMMDDNNN_name.sql) or of the Supabase CLI's (YYYYMMDDHHMMSS_name.sql),
 *		else 0.  A down file (.down.sql) is not a migration.
 */
static int
file_version_length(const char *base)
{
	size_t		blen = strlen(base);
	int			digits = 0;

	while (isdigit((unsigned char) base[digits]))
		digits++;
	if ((digits != 11 && digits != 14) || base[digits] != '_' ||
		blen < (size_t) digits + 6 || strcmp(base + blen - 4, ".sql") != 0 ||
		(blen > 9 && strcmp(base + blen - 9, ".down.sql") == 0))
		return 0;
	return digits;
}

/*
 * register_file_common
 *		Register a migration file.  YYYYMMDDNNN_name.sql must start with the
 *		template header (Migration, Description, Author, Created), agreeing
 *		with the file name.  YYYYMMDDHHMMSS_name.sql, as the Supabase CLI
 *		names migrations, needs no header; the keys it has are read.
 */
static const char *
register_file_common(FunctionCallInfo fcinfo, const char *source,
					 bool replace, bool rename)
{
	AmMigrationInput in;
	AmHeader	hdr;
	char	   *filename = arg_text(fcinfo, 0, "filename", true);
	char	   *base = strrchr(filename, '/');
	size_t		blen;
	int			vlen;

	base = base ? base + 1 : filename;
	blen = strlen(base);
	vlen = file_version_length(base);
	if (vlen == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid migration file name \"%s\"", base),
				 errhint("Name migration files YYYYMMDDNNN_description.sql, for example 20250909001_initial_schema.sql, or YYYYMMDDHHMMSS_description.sql as the Supabase CLI does.")));

	memset(&in, 0, sizeof(in));
	in.version = pnstrdup(base, vlen);
	in.name = pnstrdup(base + vlen + 1, blen - vlen - 5);
	in.sql = arg_text(fcinfo, 1, "sql", true);
	in.down_sql = arg_text(fcinfo, 2, "down_sql", false);
	in.replace = replace;
	in.rename = rename;
	in.source = source;

	am_check_version(in.version, "version");
	am_check_name(in.version, in.name);

	am_parse_header(in.sql, &hdr);
	if (vlen == 11 &&
		(hdr.migration == NULL || hdr.description == NULL || hdr.description[0] == '\0' ||
		 hdr.author == NULL || hdr.author[0] == '\0' || hdr.created == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("migration file \"%s\" lacks the template header", base),
				 errdetail("Missing:%s%s%s%s",
						   hdr.migration ? "" : " Migration",
						   hdr.description && hdr.description[0] ? "" : " Description",
						   hdr.author && hdr.author[0] ? "" : " Author",
						   hdr.created ? "" : " Created"),
				 errhint("Start the file with the lines \"-- Migration: %s\", \"-- Description: ...\", \"-- Author: ...\" and \"-- Created: YYYY-MM-DD\".", base)));
	if (hdr.migration != NULL && strcmp(hdr.migration, base) != 0 &&
		!(strlen(hdr.migration) == blen - 4 && strncmp(hdr.migration, base, blen - 4) == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("migration header names \"%s\" but the file is \"%s\"",
						hdr.migration, base),
				 errhint("Make the \"-- Migration:\" line match the file name.")));
	if (hdr.created != NULL)
		am_check_created(hdr.created, base);

	in.description = hdr.description && hdr.description[0] ? hdr.description : NULL;
	if (hdr.environments)
		in.environments = am_split_list(hdr.environments);
	if (hdr.depends)
		in.depends_on = am_split_list(hdr.depends);

	return register_migration(&in);
}

/*
 * aura_migrate_register_file
 *		SQL: aura_migrate.register_file(filename text, sql text,
 *			 down_sql text DEFAULT NULL, replace boolean DEFAULT false)
 *			 RETURNS text
 *
 * Registers a migration file after checking its name and template header.
 * EXECUTE is revoked from PUBLIC.
 */
Datum
aura_migrate_register_file(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("replace must not be null")));
	if (PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("rename must not be null")));
	PG_RETURN_TEXT_P(cstring_to_text(register_file_common(fcinfo, "user",
														  PG_GETARG_BOOL(3),
														  PG_GETARG_BOOL(4))));
}

/*
 * aura_migrate_register_bundled
 *		SQL: aura_migrate._register_bundled(filename text, sql text,
 *			 down_sql text) RETURNS text
 *
 * Internal: the scripts of an extension that requires aura_migrate (such
 * as aura_schema) register the migrations they ship through this (source
 * "bundled"), and nothing else may.  EXECUTE is revoked from PUBLIC.
 */
Datum
aura_migrate_register_bundled(PG_FUNCTION_ARGS)
{
	/*
	 * Bundled migrations run as whoever applies them (they are shipped
	 * code), so only the extension's own install or update script may
	 * register one: never a role that can merely call this function.
	 */
	if (!am_may_register_bundled())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("bundled migrations can only be registered by the extension's install or update script"),
				 errhint("Register a migration of your own with aura_migrate.register() or aura_migrate.register_file().")));
	PG_RETURN_TEXT_P(cstring_to_text(register_file_common(fcinfo, "bundled", true, true)));
}

/*
 * lookup_state
 *		What the registry and the history hold for version: whether it is
 *		registered and applied, with both checksums, the name and source.
 *		Connected to SPI.
 */
typedef struct AmRegState
{
	bool		registered;
	bool		applied;
	char	   *name;
	char	   *source;
	char	   *checksum;		/* registered */
	char	   *applied_checksum;
	char	   *dependents;		/* registered migrations depending on it */
	char	   *registered_by;
} AmRegState;

static void
lookup_state(const char *version, AmRegState *st)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];

	values[0] = CStringGetTextDatum(version);
	if (am_spi_owner("SELECT m.version IS NOT NULL, h.version IS NOT NULL, "
					 "       coalesce(m.name, h.name), m.source, m.checksum, h.checksum, "
					 "       (SELECT pg_catalog.string_agg(d.version, ', ' ORDER BY d.version) "
					 "          FROM aura_migrate.migration d WHERE arg.v = ANY (d.depends_on)), "
					 "       m.registered_by "
					 "FROM (SELECT $1::text AS v) arg "
					 "LEFT JOIN aura_migrate.migration m ON m.version = arg.v "
					 "LEFT JOIN aura_migrate.history h ON h.version = arg.v",
					 1, argtypes, values, NULL, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not look up migration %s", version);
	st->registered = strcmp(am_spi_getstr(0, 1), "t") == 0;
	st->applied = strcmp(am_spi_getstr(0, 2), "t") == 0;
	st->name = am_spi_getstr(0, 3);
	st->source = am_spi_getstr(0, 4);
	st->checksum = am_spi_getstr(0, 5);
	st->applied_checksum = am_spi_getstr(0, 6);
	st->dependents = am_spi_getstr(0, 7);
	st->registered_by = am_spi_getstr(0, 8);
}

/*
 * begin_registry_change
 *		What unregister() and repair() do first: check the version, take
 *		the registry lock, connect to SPI and look the migration up; it must
 *		be registered.
 */
static void
begin_registry_change(const char *version, AmRegState *st)
{
	am_check_version(version, "version");
	am_require_current_version();
	am_lock_registry();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	lookup_state(version, st);
	if (!st->registered)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("migration %s is not registered", version),
				 st->applied ? errdetail("It is applied, and its registry entry was deleted.") : 0));
}

/*
 * aura_migrate_unregister
 *		SQL: aura_migrate.unregister(version text) RETURNS text
 *
 * Forgets a pending, failed or skipped migration: its file was deleted, or
 * it was registered by mistake.  An applied one is refused (its history
 * would lose its source), as is a bundled one (its extension owns it) and
 * one that registered migrations depend on.  Logged as unregistered.
 * EXECUTE is revoked from PUBLIC.
 */
Datum
aura_migrate_unregister(PG_FUNCTION_ARGS)
{
	char	   *version = arg_text(fcinfo, 0, "version", true);
	AmRegState st;
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];

	begin_registry_change(version, &st);
	if (st.applied)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration %s is applied and cannot be unregistered", version),
				 errdetail("The history of an applied migration keeps its registered SQL beside it."),
				 errhint("In development, take it back with aura_migrate.rollback(); elsewhere, write a new migration that undoes it.")));
	if (strcmp(st.source, "bundled") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration %s belongs to an extension and cannot be unregistered", version),
				 errhint("Its extension (such as aura_schema) registered it; leave it pending, or drop that extension.")));
	if (st.dependents != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("migration %s cannot be unregistered because other migrations depend on it", version),
				 errdetail("Registered migrations depending on it: %s.", st.dependents),
				 errhint("Unregister them first.")));
	am_require_registrar_privileges(version, st.registered_by, false);

	values[0] = CStringGetTextDatum(version);
	if (am_spi_owner("DELETE FROM aura_migrate.migration WHERE version = $1",
					 1, argtypes, values, NULL, 0) != SPI_OK_DELETE ||
		SPI_processed != 1)
		elog(ERROR, "could not unregister migration %s", version);
	am_log_registry_event(version, "unregistered", st.checksum,
						  psprintf("migration %s (%s) unregistered", version, st.name));
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	PG_RETURN_TEXT_P(cstring_to_text("unregistered"));
}

/*
 * replace_applied_sql
 *		For repair(version, sql => ...): store sql as the registered SQL of
 *		an applied migration, keeping its other registry details, after the
 *		checks register() makes.  Connected to SPI.
 */
static void
replace_applied_sql(const char *version, char *sql)
{
	AmMigrationInput in;
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	bool		isnull;
	Datum		d;

	values[0] = CStringGetTextDatum(version);
	if (am_spi_owner("SELECT name, description, down_sql, environments, depends_on, source "
					 "FROM aura_migrate.migration WHERE version = $1",
					 1, argtypes, values, NULL, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not look up migration %s", version);
	memset(&in, 0, sizeof(in));
	in.version = pstrdup(version);
	in.name = am_spi_getstr(0, 1);
	in.description = am_spi_getstr(0, 2);
	in.down_sql = am_spi_getstr(0, 3);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull);
	in.environments = isnull ? NULL : DatumGetArrayTypePCopy(d);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5, &isnull);
	in.depends_on = isnull ? NULL : DatumGetArrayTypePCopy(d);
	in.source = am_spi_getstr(0, 6);
	in.sql = sql;
	in.repairing = true;
	(void) register_migration(&in);
}

/*
 * aura_migrate_repair
 *		SQL: aura_migrate.repair(version text, force boolean DEFAULT false,
 *			 sql text DEFAULT NULL) RETURNS text
 *
 * Accepts the registered SQL of a drifted applied migration as the one that
 * was applied (or, given sql, registers that SQL first): history takes its
 * checksum, and the log keeps the old and the new checksum, who and when.
 * Nothing is executed: the caller vouches that the schema already matches.
 * Refused for a migration that is not applied or has not drifted, and in
 * production unless force.  EXECUTE is revoked from PUBLIC.
 */
Datum
aura_migrate_repair(PG_FUNCTION_ARGS)
{
	char	   *version = arg_text(fcinfo, 0, "version", true);
	char	   *sql = arg_text(fcinfo, 2, "sql", false);
	bool		force;
	AmRegState st;
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("force must not be null")));
	force = PG_GETARG_BOOL(1);
	begin_registry_change(version, &st);
	if (!st.applied)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration %s is not applied", version),
				 errdetail("Only an applied migration can drift from what was applied."),
				 errhint("Replace a pending migration with aura_migrate.register(..., replace => true).")));
	if (am_effective_environment() == AM_ENV_PRODUCTION && !force)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("repair of migration %s refused in production", version),
				 errdetail("Repair records SQL as applied without running it."),
				 errhint("Check that the schema matches the new SQL, then pass force => true.")));
	if (sql != NULL)
	{
		replace_applied_sql(version, sql);
		lookup_state(version, &st);
	}
	if (strcmp(st.checksum, st.applied_checksum) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration %s has not drifted", version),
				 errdetail("Its registered SQL is the SQL that was applied (SHA-256 %s).", st.checksum)));

	values[0] = CStringGetTextDatum(version);
	if (am_spi_owner("UPDATE aura_migrate.history h SET checksum = m.checksum, "
					 "name = m.name, statements = m.statements "
					 "FROM aura_migrate.migration m "
					 "WHERE h.version = $1 AND m.version = h.version",
					 1, argtypes, values, NULL, 0) != SPI_OK_UPDATE ||
		SPI_processed != 1)
		elog(ERROR, "could not repair migration %s", version);
	am_log_registry_event(version, "repaired", st.checksum,
						  psprintf("applied checksum %s replaced by %s",
								   st.applied_checksum, st.checksum));
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	PG_RETURN_TEXT_P(cstring_to_text("repaired"));
}
