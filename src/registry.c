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
#include "validate.h"

PG_FUNCTION_INFO_V1(aura_migrate_register);
PG_FUNCTION_INFO_V1(aura_migrate_register_file);
PG_FUNCTION_INFO_V1(aura_migrate_register_bundled);

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
	const char *source;			/* "user" or "bundled" */
} AmMigrationInput;


static const char *register_migration(AmMigrationInput *in);
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
		if (strcmp(dep, version) >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("migration %s cannot depend on %s", version, dep),
					 errdetail("Migrations apply in version order, so a dependency must have an earlier version.")));
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
 * store_migration
 *		Store one validated migration (values and nulls in the order of
 *		register_argtypes): "registered", "unchanged" for identical content, or
 *		"replaced" for a pending one with replace; an applied one cannot
 *		change.  Called connected to SPI, holding the registry lock.
 */
static const char *
store_migration(AmMigrationInput *in, Datum *values, char *nulls)
{
	const char *result;

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
					 "       m.checksum = $6 "
					 "FROM (SELECT $1::text AS v) arg "
					 "LEFT JOIN aura_migrate.migration m ON m.version = arg.v "
					 "LEFT JOIN aura_migrate.history h ON h.version = arg.v",
					 15, register_argtypes, values, nulls, 0) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not look up migration %s", in->version);
	else
	{
		TupleDesc	td = SPI_tuptable->tupdesc;
		HeapTuple	tup = SPI_tuptable->vals[0];
		bool		isnull;
		bool		registered = DatumGetBool(SPI_getbinval(tup, td, 1, &isnull));
		bool		same = DatumGetBool(SPI_getbinval(tup, td, 2, &isnull));
		bool		applied = DatumGetBool(SPI_getbinval(tup, td, 3, &isnull));
		bool		applied_same = DatumGetBool(SPI_getbinval(tup, td, 4, &isnull));

		if (registered && same)
			result = "unchanged";
		else if (applied && !(applied_same && !registered))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("migration %s is already applied and cannot be changed", in->version),
					 errdetail("Changing an applied migration would make the registry disagree with the schema it built (drift)."),
					 errhint("Write a new migration with a later version for the change.")));
		else if (registered && !in->replace)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("migration %s is already registered with other content", in->version),
					 DatumGetBool(SPI_getbinval(tup, td, 8, &isnull)) ?
					 errdetail("It is registered as \"%s\" by %s at %s UTC, with the same SQL and other details (name, description, down SQL, environments or dependencies).",
							   SPI_getvalue(tup, td, 5), SPI_getvalue(tup, td, 6),
							   SPI_getvalue(tup, td, 7)) :
					 errdetail("It is registered as \"%s\" by %s at %s UTC, with other SQL.",
							   SPI_getvalue(tup, td, 5), SPI_getvalue(tup, td, 6),
							   SPI_getvalue(tup, td, 7)),
					 errhint("If this is another migration, give it a later version; to replace the pending one, pass replace => true.")));
		else if (registered)
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
			result = "replaced";
		}
		else
		{
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
			result = "registered";
		}
	}
	return result;
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
	am_check_name(in->name);
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
	in.source = "user";

	PG_RETURN_TEXT_P(cstring_to_text(register_migration(&in)));
}

/*
 * register_file_common
 *		Register a migration file: the name YYYYMMDDNNN_description.sql gives
 *		version and name, and the template header (Migration, Description,
 *		Author, Created) must be there and agree with the file name.
 */
static const char *
register_file_common(FunctionCallInfo fcinfo, const char *source, bool replace)
{
	AmMigrationInput in;
	AmHeader	hdr;
	char	   *filename = arg_text(fcinfo, 0, "filename", true);
	char	   *base = strrchr(filename, '/');
	size_t		blen;
	int			i;
	bool		ok;

	base = base ? base + 1 : filename;
	blen = strlen(base);

	/* YYYYMMDDNNN_name.sql */
	ok = blen > 16 && base[11] == '_' && strcmp(base + blen - 4, ".sql") == 0 &&
		!(blen > 9 && strcmp(base + blen - 9, ".down.sql") == 0);
	for (i = 0; ok && i < 11; i++)
		if (!isdigit((unsigned char) base[i]))
			ok = false;
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid migration file name \"%s\"", base),
				 errhint("Name migration files YYYYMMDDNNN_description.sql, for example 20250909001_initial_schema.sql.")));

	memset(&in, 0, sizeof(in));
	in.version = pnstrdup(base, 11);
	in.name = pnstrdup(base + 12, blen - 16);
	in.sql = arg_text(fcinfo, 1, "sql", true);
	in.down_sql = arg_text(fcinfo, 2, "down_sql", false);
	in.replace = replace;
	in.source = source;

	am_check_version(in.version, "version");
	am_check_name(in.name);

	am_parse_header(in.sql, &hdr);
	if (hdr.migration == NULL || hdr.description == NULL || hdr.description[0] == '\0' ||
		hdr.author == NULL || hdr.author[0] == '\0' || hdr.created == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("migration file \"%s\" lacks the template header", base),
				 errdetail("Missing:%s%s%s%s",
						   hdr.migration ? "" : " Migration",
						   hdr.description && hdr.description[0] ? "" : " Description",
						   hdr.author && hdr.author[0] ? "" : " Author",
						   hdr.created ? "" : " Created"),
				 errhint("Start the file with the lines \"-- Migration: %s\", \"-- Description: ...\", \"-- Author: ...\" and \"-- Created: YYYY-MM-DD\".", base)));
	if (strcmp(hdr.migration, base) != 0 &&
		!(strlen(hdr.migration) == blen - 4 && strncmp(hdr.migration, base, blen - 4) == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("migration header names \"%s\" but the file is \"%s\"",
						hdr.migration, base),
				 errhint("Make the \"-- Migration:\" line match the file name.")));
	am_check_created(hdr.created, base);

	in.description = hdr.description;
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
	PG_RETURN_TEXT_P(cstring_to_text(register_file_common(fcinfo, "user",
														  PG_GETARG_BOOL(3))));
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
	PG_RETURN_TEXT_P(cstring_to_text(register_file_common(fcinfo, "bundled", true)));
}
