/*-------------------------------------------------------------------------
 *
 * rls_rows.c
 *	  The rows the row level security probes make for their synthetic
 *	  users: synthesised from the column types (parent rows through NOT
 *	  NULL foreign keys included), or by a table's probe fixture, always as
 *	  the table's owner, inside the probe's subtransaction.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/rls_rows.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "compat.h"
#include "owner.h"
#include "rls.h"
#include "rls_probe.h"

static char *synth_insert(Oid relid, int nforced, int16 *forced, ProbeTable *pt,
						  Datum user, StringInfo reason);

/*
 * am_probe_synth_expr
 *		An expression for a NOT NULL column without default, from its type's
 *		category (and, for text, its name: an email, a URL), or NULL when
 *		there is nothing sensible to offer.  Integers
 *		are random, so that a key column gets distinct values for A and B.
 */
const char *
am_probe_synth_expr(Oid basetype, char category, const char *name)
{
	switch (basetype)
	{
		case UUIDOID:
			return "pg_catalog.gen_random_uuid()";
		case BYTEAOID:
			return "pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex')";
		case BOOLOID:
			return "false";
		case INT2OID:
		case INT4OID:
		case INT8OID:
			/* distinct for A and B, in case the column is a key */
			return "pg_catalog.floor(pg_catalog.random() * 30000) + 1";
		case JSONOID:
		case JSONBOID:
			return "'{}'";
		default:
			break;
	}
	switch (category)
	{
		case TYPCATEGORY_NUMERIC:
			return "1";
		case TYPCATEGORY_STRING:
			/* what a CHECK on such a column usually asks for */
			if (strstr(name, "email") != NULL)
				return "'probe-' || pg_catalog.left(pg_catalog.md5(pg_catalog.random()::pg_catalog.text), 8) || '@example.com'";
			if (strstr(name, "url") != NULL || strstr(name, "website") != NULL)
				return "'https://example.com/' || pg_catalog.left(pg_catalog.md5(pg_catalog.random()::pg_catalog.text), 8)";
			/* distinct for A and B too (a unique code, a slug) */
			return "pg_catalog.left(pg_catalog.md5(pg_catalog.random()::pg_catalog.text), 8)";
		case TYPCATEGORY_DATETIME:
			return "pg_catalog.now()";
		case TYPCATEGORY_TIMESPAN:
			return "'1 day'";
		case TYPCATEGORY_ARRAY:
			return "'{}'";
		case TYPCATEGORY_NETWORK:
			return "'127.0.0.1'";
		case TYPCATEGORY_BITSTRING:
			return "'0'";
		default:
			return NULL;
	}
}

/* One column of a table, as synth_insert() reads it. */
typedef struct SynthColumn
{
	int16		attnum;
	char	   *name;			/* quoted */
	char	   *type;			/* format_type() */
	bool		skip;			/* generated, or GENERATED ALWAYS identity */
	bool		forced;			/* gets the user's id */
	bool		hasdef;
	bool		notnull;
	Oid			base;			/* the type, through domains */
	char		category;
	bool		settable;		/* no key, not referenced, not a foreign key */
	Oid			parent;			/* the table a single-column foreign key references */
	char	   *parent_col;		/* ... and its column, quoted */
} SynthColumn;

/* how deep synth_insert() follows NOT NULL foreign keys to parent tables */
#define SYNTH_MAX_DEPTH 3


/*
 * parent_row
 *		Create a row of table parent (synthesised, as its owner, for user:
 *		its own user columns get the user's id) and return the value of its
 *		column col, to which a NOT NULL foreign key of the child points; NULL
 *		(with the reason in *reason) when it cannot.  The row goes with the
 *		probe's subtransaction.
 */
static char *
parent_row(Oid parent, const char *col, Datum user, int depth, StringInfo reason)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1];
	Oid			uuidtype = UUIDOID;
	Oid			owner;
	char	   *name;
	int16	   *forced;
	int			nforced = 0;
	char	   *sql;
	ExecResult	res;
	bool		isnull;
	uint64		i;

	if (depth > SYNTH_MAX_DEPTH)
	{
		appendStringInfoString(reason, "; foreign keys nest too deep to synthesise parent rows");
		return NULL;
	}
	args[0] = ObjectIdGetDatum(parent);
	if (SPI_execute_with_args("SELECT c.relowner, pg_catalog.format('%I.%I', n.nspname, c.relname),"
							  "       ARRAY(SELECT a.attnum FROM pg_catalog.pg_attribute a"
							  "              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
							  "                AND (a.attname = 'user_id' OR EXISTS ("
							  "                  SELECT 1 FROM pg_catalog.pg_constraint k"
							  "                    JOIN pg_catalog.pg_class r ON r.oid = k.confrelid"
							  "                   WHERE k.conrelid = c.oid AND k.contype = 'f'"
							  "                     AND k.conkey = ARRAY[a.attnum] AND r.relname = 'users'))"
							  "              ORDER BY 1)::pg_catalog.int2[]"
							  "  FROM pg_catalog.pg_class c"
							  "  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
							  " WHERE c.oid = $1",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not read parent table %u", parent);
	owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	name = pstrdup(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
	{
		Datum	   *elems;
		bool	   *enulls;

		deconstruct_array(DatumGetArrayTypePCopy(SPI_getbinval(SPI_tuptable->vals[0],
															   SPI_tuptable->tupdesc, 3,
															   &isnull)),
						  INT2OID, sizeof(int16), true, TYPALIGN_SHORT,
						  &elems, &enulls, &nforced);
		forced = palloc(sizeof(int16) * (nforced + 1));
		for (i = 0; i < (uint64) nforced; i++)
			forced[i] = DatumGetInt16(elems[i]);
	}
	if (!am_can_set_role(GetUserId(), owner))
	{
		appendStringInfo(reason, "; a row of parent table \"%s\" is created as its owner \"%s\", whom role \"%s\" cannot act as",
						 name, GetUserNameFromId(owner, false),
						 GetUserNameFromId(GetUserId(), false));
		return NULL;
	}
	sql = am_probe_synth_insert_at(parent, nforced, forced, NULL, user, depth, reason, 0, NULL);
	if (sql == NULL)
		return NULL;
	sql = psprintf("%s RETURNING %s::pg_catalog.text", sql, col);
	am_probe_exec(SPI_OK_INSERT, owner, true, NULL, NULL, NULL, sql, 1, &uuidtype,
				&user, true, &res);
	if (res.ok && res.value != NULL)
		return res.value;
	if (res.ok)
		appendStringInfo(reason, "; no row of parent table \"%s\" was inserted", name);
	else
		appendStringInfo(reason, "; a row of parent table \"%s\" could not be synthesised: the insert as its owner failed with SQLSTATE %s",
						 name, res.sqlstate);
	return NULL;
}

/*
 * read_synth_columns
 *		The columns of relid with what synth_insert() needs; *qualname gets
 *		the table's name.
 */
static SynthColumn *
read_synth_columns(Oid relid, int nforced, int16 *forced, int *ncols, char **qualname)
{
	Oid			argtypes[2] = {OIDOID, INT2ARRAYOID};
	Datum		args[2];
	Datum	   *fd;
	SynthColumn *cols;
	uint64		i;
	int			j;

	fd = palloc(sizeof(Datum) * (nforced + 1));
	for (j = 0; j < nforced; j++)
		fd[j] = Int16GetDatum(forced[j]);
	args[0] = ObjectIdGetDatum(relid);
	args[1] = PointerGetDatum(construct_array(fd, nforced, INT2OID, sizeof(int16),
											  true, TYPALIGN_SHORT));

	if (SPI_execute_with_args(
							  "SELECT pg_catalog.quote_ident(a.attname),"
							  "       pg_catalog.format_type(a.atttypid, a.atttypmod),"
							  "       a.attgenerated <> '' OR a.attidentity = 'a',"
							  "       a.attnum = ANY ($2),"
							  "       a.atthasdef OR a.attidentity <> '',"
							  "       a.attnotnull OR t.typnotnull,"
							  "       coalesce(bt.oid, t.oid),"
							  "       coalesce(bt.typcategory, t.typcategory)::text,"
							  "       pg_catalog.format('%I.%I', n.nspname, c.relname),"
							  "       NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i"
							  "                    WHERE i.indrelid = $1 AND i.indisunique"
							  "                      AND a.attnum = ANY (i.indkey))"
							  "   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k"
							  "                    WHERE k.contype = 'f'"
							  "                      AND ((k.confrelid = $1 AND a.attnum = ANY (k.confkey))"
							  "                        OR (k.conrelid = $1 AND a.attnum = ANY (k.conkey)))),"
							  "       fk.confrelid,"
							  "       pg_catalog.quote_ident(fa.attname), a.attnum"
							  "  FROM pg_catalog.pg_attribute a"
							  "  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
							  "  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
							  "  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
							  "  LEFT JOIN pg_catalog.pg_type bt"
							  "    ON t.typtype = 'd' AND bt.oid = t.typbasetype"
							  "  LEFT JOIN LATERAL (SELECT k.confrelid, k.confkey[1] AS confkey"
							  "                       FROM pg_catalog.pg_constraint k"
							  "                      WHERE k.conrelid = $1 AND k.contype = 'f'"
							  "                        AND k.conkey = ARRAY[a.attnum]"
							  "                      ORDER BY k.oid LIMIT 1) fk ON true"
							  "  LEFT JOIN pg_catalog.pg_attribute fa"
							  "    ON fa.attrelid = fk.confrelid AND fa.attnum = fk.confkey"
							  " WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped"
							  " ORDER BY a.attnum",
							  2, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed reading the columns of relation %u",
			 relid);

	*ncols = (int) SPI_processed;
	*qualname = SPI_processed > 0 ?
		pstrdup(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 9)) : "?";
	cols = palloc0(sizeof(SynthColumn) * (SPI_processed + 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		SynthColumn *sc = &cols[i];

		sc->name = pstrdup(SPI_getvalue(tup, td, 1));
		sc->type = pstrdup(SPI_getvalue(tup, td, 2));
		sc->skip = DatumGetBool(SPI_getbinval(tup, td, 3, &isnull));
		sc->forced = DatumGetBool(SPI_getbinval(tup, td, 4, &isnull));
		sc->hasdef = DatumGetBool(SPI_getbinval(tup, td, 5, &isnull));
		sc->notnull = DatumGetBool(SPI_getbinval(tup, td, 6, &isnull));
		sc->base = DatumGetObjectId(SPI_getbinval(tup, td, 7, &isnull));
		sc->category = SPI_getvalue(tup, td, 8)[0];
		sc->settable = DatumGetBool(SPI_getbinval(tup, td, 10, &isnull));
		sc->parent = DatumGetObjectId(SPI_getbinval(tup, td, 11, &isnull));
		if (isnull)
			sc->parent = InvalidOid;
		sc->parent_col = OidIsValid(sc->parent) ? pstrdup(SPI_getvalue(tup, td, 12)) : NULL;
		sc->attnum = DatumGetInt16(SPI_getbinval(tup, td, 13, &isnull));
	}
	return cols;
}

/*
 * synth_insert
 *		An INSERT of one row into relid synthesised from its column types:
 *		the forced columns get $1 (the user's id), columns with a default and
 *		nullable ones are left out, NOT NULL ones get a value of their type,
 *		and a NOT NULL foreign key the value of a parent row made for it
 *		(parent_row(), up to SYNTH_MAX_DEPTH tables deep).  When pt is given,
 *		fills in the columns the INSERT and UPDATE tries use: the UPDATE sets
 *		a column that no unique index holds, no foreign key points to or
 *		from, and that is not generated (setting a key would fail on the
 *		second row, not on the policies).  NULL, with the reason in *reason,
 *		when a parent row cannot be made.
 */
static char *
synth_insert(Oid relid, int nforced, int16 *forced, ProbeTable *pt, Datum user,
			 StringInfo reason)
{
	return am_probe_synth_insert_at(relid, nforced, forced, pt, user, 0, reason, 0, NULL);
}

char *
am_probe_synth_insert_at(Oid relid, int nforced, int16 *forced, ProbeTable *pt,
				Datum user, int depth, StringInfo reason,
				int16 fixed_attnum, const char *fixed_value)
{
	SynthColumn *cols;
	int			ncols;
	StringInfoData names;
	StringInfoData vals;
	StringInfoData insertable;
	char	   *qualname;
	SynthColumn *set_col = NULL;
	SynthColumn *owner_col = NULL;
	int			i;

	cols = read_synth_columns(relid, nforced, forced, &ncols, &qualname);
	initStringInfo(&names);
	initStringInfo(&vals);
	initStringInfo(&insertable);
	for (i = 0; i < ncols; i++)
	{
		SynthColumn *sc = &cols[i];
		const char *expr = NULL;

		if (sc->skip)
			continue;
		appendStringInfo(&insertable, "%s%s", insertable.len ? ", " : "", sc->name);
		if (fixed_value != NULL && sc->attnum == fixed_attnum)
		{
			appendStringInfo(&names, "%s%s", names.len ? ", " : "", sc->name);
			appendStringInfo(&vals, "%s(%s)::%s", vals.len ? ", " : "",
							 quote_literal_cstr(fixed_value), sc->type);
			continue;
		}
		if (sc->forced)
		{
			/* the UPDATE try sets a non-owner column where there is one */
			if (owner_col == NULL)
				owner_col = sc;
			expr = (sc->base == UUIDOID) ? "$1" : "$1::pg_catalog.text";
		}
		else if (set_col == NULL && sc->settable)
			set_col = sc;
		if (expr == NULL && (sc->hasdef || !sc->notnull))
			continue;
		if (expr == NULL && OidIsValid(sc->parent))
		{
			char	   *value = parent_row(sc->parent, sc->parent_col, user, depth + 1, reason);

			if (value == NULL)
				return NULL;
			expr = quote_literal_cstr(value);
		}
		if (expr == NULL && sc->category == TYPCATEGORY_ENUM)
			expr = psprintf("pg_catalog.enum_first(NULL::%s)", sc->type);
		if (expr == NULL)
			expr = am_probe_synth_expr(sc->base, sc->category, sc->name);
		if (expr == NULL)
			expr = "NULL";
		appendStringInfo(&names, "%s%s", names.len ? ", " : "", sc->name);
		appendStringInfo(&vals, "%s(%s)::%s", vals.len ? ", " : "", expr, sc->type);
	}
	if (pt != NULL)
	{
		SynthColumn *c = set_col ? set_col : owner_col;

		pt->insert_cols = insertable.len ? insertable.data : NULL;
		pt->set_col = c ? c->name : NULL;
		pt->set_type = c ? c->type : NULL;
	}

	if (names.len > 0)
		return psprintf("INSERT INTO %s (%s) VALUES (%s)", qualname, names.data, vals.data);
	return psprintf("INSERT INTO %s DEFAULT VALUES", qualname);
}

/*
 * insert_by_fixture
 *		Give user a row of relid with the table's probe fixture, as the
 *		table's owner.  On failure returns false with the reason appended to
 *		*reason.
 */
static bool
insert_by_fixture(Oid relid, Oid owner, Datum user, StringInfo reason)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1];
	Oid			uuidtype = UUIDOID;
	ExecResult	res;
	char	   *fixture;
	Oid			registrar;
	bool		isnull;

	args[0] = ObjectIdGetDatum(relid);
	if (am_spi_owner("SELECT f.insert_sql, r.oid FROM aura_migrate.probe_fixture f "
					 "LEFT JOIN pg_catalog.pg_roles r ON r.rolname = f.registered_by "
					 "WHERE pg_catalog.to_regclass(f.table_name) = $1",
					 1, argtypes, args, NULL, 1) != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed reading aura_migrate.probe_fixture");
	if (SPI_processed != 1)
	{
		appendStringInfoString(reason, "; no probe fixture is registered");
		return false;
	}
	fixture = pstrdup(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	registrar = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
											   SPI_tuptable->tupdesc, 2, &isnull));
	if (isnull)
		registrar = InvalidOid;

	/*
	 * A fixture runs as the table's owner: it is used only when the role
	 * that registered it could act as that owner itself, and so could the
	 * extension's owner, who can rewrite any row of the table.
	 */
	if (!OidIsValid(registrar) || !has_privs_of_role(registrar, owner) ||
		!has_privs_of_role(am_extension_owner(), owner))
	{
		appendStringInfoString(reason, "; the probe fixture was not used: it would run as the table's owner, whom the role that registered it (or the extension's owner) cannot act as");
		return false;
	}
	am_probe_exec(SPI_OK_INSERT, owner, true, NULL, NULL, NULL, fixture, 1,
				&uuidtype, &user, true, &res);
	if (res.ok && res.processed > 0)
		return true;
	if (res.ok)
		appendStringInfoString(reason, "; probe fixture: no row inserted");
	else
		appendStringInfo(reason, "; probe fixture: insert as the table owner failed with SQLSTATE %s",
						 res.sqlstate);
	return false;
}

/*
 * row_exists
 *		Whether relid already has a row whose column attnum is user: made by
 *		a trigger on auth.users (Supabase's "handle_new_user" creates the
 *		profile), or on a parent table.  Read as the table's owner.
 */
static bool
row_exists(Oid relid, Oid owner, int16 attnum, Datum user)
{
	Oid			uuidtype = UUIDOID;
	ExecResult	res;
	char	   *col = get_attname(relid, attnum, true);
	char	   *sql;

	if (col == NULL)
		return false;
	sql = psprintf("SELECT pg_catalog.count(*) FROM %s probe_t WHERE probe_t.%s::pg_catalog.text = $1::pg_catalog.text",
				   quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
											  get_rel_name(relid)),
				   quote_identifier(col));
	am_probe_exec(SPI_OK_SELECT, owner, true, NULL, NULL, NULL, sql, 1, &uuidtype, &user,
				false, &res);
	return res.ok && res.value != NULL && strcmp(res.value, "0") != 0;
}

/*
 * am_probe_create_row
 *		Give user (a uuid) a row of table relid, as the table's owner with
 *		FORCE ROW LEVEL SECURITY not applied: first synthesised from the
 *		column types (synth_insert()), then with the table's probe fixture.
 *		On failure returns false with the reasons in *reason.  When pt is
 *		given, fills in the columns the INSERT and UPDATE tries use.
 */
bool
am_probe_create_row(Oid relid, Oid owner, int nforced, int16 *forced,
		   Datum user, ProbeTable *pt, StringInfo reason)
{
	Oid			uuidtype = UUIDOID;
	ExecResult	res;

	StringInfoData why;
	char	   *sql;

	initStringInfo(&why);
	sql = synth_insert(relid, nforced, forced, pt, user, &why);
	if (nforced > 0 && row_exists(relid, owner, forced[0], user))
		return true;			/* a trigger on auth.users made it (handle_new_user) */
	if (sql == NULL)
	{
		appendStringInfo(reason, "synthesised row: not made%s", why.data);
		return insert_by_fixture(relid, owner, user, reason);
	}
	am_probe_exec(SPI_OK_INSERT, owner, true, NULL, NULL, NULL, sql, 1, &uuidtype,
				&user, true, &res);
	if (res.ok && res.processed > 0)
		return true;
	if (res.ok)
		appendStringInfoString(reason, "synthesised row: no row inserted");
	else
		appendStringInfo(reason, "synthesised row: insert as the table owner failed with SQLSTATE %s",
						 res.sqlstate);
	return insert_by_fixture(relid, owner, user, reason);
}
