/*-------------------------------------------------------------------------
 *
 * rls_probe_fn.c
 *	  The probes that go beyond one table's policies: memberships for
 *	  tables of teams, and SECURITY DEFINER functions called as one user
 *	  with another user's keys.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/rls_probe_fn.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "parser/parse_coerce.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "compat.h"
#include "owner.h"
#include "rls.h"
#include "rls_probe.h"

/*
 * read_arguments
 *		Fill in f's input arguments (types, names, how many have defaults)
 *		and the names of its output columns, from its pg_proc row.  False
 *		when the function is gone.
 */
static bool
read_arguments(AmRlsDefinerFn *f)
{
	HeapTuple	proctup;
	Oid		   *types;
	char	  **names;
	char	   *modes;
	int			nall;
	int			i;

	proctup = SearchSysCache1(PROCOID, ObjectIdGetDatum(f->oid));
	if (!HeapTupleIsValid(proctup))
		return false;
	f->ndefaults = ((Form_pg_proc) GETSTRUCT(proctup))->pronargdefaults;
	nall = get_func_arg_info(proctup, &types, &names, &modes);
	ReleaseSysCache(proctup);

	f->nargs = 0;
	f->outnames = NIL;
	for (i = 0; i < nall; i++)
	{
		char		mode = modes ? modes[i] : PROARGMODE_IN;
		const char *name = (names && names[i]) ? names[i] : "";

		if (mode == PROARGMODE_OUT || mode == PROARGMODE_INOUT ||
			mode == PROARGMODE_TABLE)
			f->outnames = lappend(f->outnames, pstrdup(quote_identifier(name)));
		if (mode == PROARGMODE_IN || mode == PROARGMODE_INOUT)
		{
			if (f->nargs >= AM_PROBE_MAX_ARGS)
				return false;
			f->argtypes[f->nargs] = types[i];
			f->argnames[f->nargs] = pstrdup(name);
			f->nargs++;
		}
	}
	return f->nargs > 0;
}

/*
 * am_probe_read_definer_functions
 *		The SECURITY DEFINER functions of the checked schemas that take one
 *		to AM_PROBE_MAX_ARGS arguments (not variadic) and that authenticated
 *		may execute: the probes call each as user B with the key or the
 *		user id of user A's row (am_probe_try_definer_functions()).
 *		Functions of a superuser's extension are left out, as everywhere.
 */
void
am_probe_read_definer_functions(AmRlsRun *run)
{
	Oid			argtypes[2] = {NAMEARRAYOID, OIDOID};
	Datum		values[2];
	MemoryContext oldcxt;
	uint64		i;

	run->definer_fns = NIL;
	if (!OidIsValid(run->authenticated))
		return;
	values[0] = run->schemas;
	values[1] = ObjectIdGetDatum(run->authenticated);
	if (SPI_execute_with_args("SELECT p.oid, pg_catalog.format('%I.%I(%s)', n.nspname, p.proname,"
							  "         pg_catalog.oidvectortypes(p.proargtypes)),"
							  "       pg_catalog.format('%I.%I', n.nspname, p.proname),"
							  "       p.prorettype, p.proretset"
							  "  FROM pg_catalog.pg_proc p"
							  "  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
							  " WHERE p.prosecdef AND p.prokind = 'f'"
							  "   AND p.pronargs BETWEEN 1 AND " CppAsString2(AM_PROBE_MAX_ARGS)
							  "   AND p.provariadic = 0"
							  "   AND n.nspname = ANY ($1)"
							  "   AND pg_catalog.has_function_privilege($2, p.oid, 'EXECUTE')"
							  "   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e"
							  "                     JOIN pg_catalog.pg_extension x ON x.oid = e.refobjid"
							  "                    WHERE e.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass"
							  "                      AND e.objid = p.oid AND e.deptype = 'e'"
							  "                      AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles su"
							  "                                   WHERE su.rolsuper"
							  "                                     AND su.oid IN (x.extowner, p.proowner)))"
							  " ORDER BY 2",
							  2, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the SECURITY DEFINER functions to probe");
	oldcxt = MemoryContextSwitchTo(run->cxt);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		AmRlsDefinerFn *f = palloc0(sizeof(AmRlsDefinerFn));

		f->oid = DatumGetObjectId(SPI_getbinval(tup, td, 1, &isnull));
		f->name = SPI_getvalue(tup, td, 2);
		f->call = SPI_getvalue(tup, td, 3);
		f->rettype = DatumGetObjectId(SPI_getbinval(tup, td, 4, &isnull));
		f->retset = DatumGetBool(SPI_getbinval(tup, td, 5, &isnull));
		if (!read_arguments(f))
			continue;
		run->definer_fns = lappend(run->definer_fns, f);
	}
	MemoryContextSwitchTo(oldcxt);
}

/*
 * am_probe_add_memberships
 *		For a table whose rows belong to teams (a scope column: a foreign key
 *		to a table a membership table also references), make each synthetic
 *		user a member of the team of their own row, as the membership
 *		table's owner: B then is a member of a team, only not of A's.  A
 *		policy that lets any member read every team's rows (a membership
 *		test that does not look at the row, a helper that ignores its
 *		argument) is then caught by the tries.  What cannot be made is left
 *		out; the tries run all the same.
 */
void
am_probe_add_memberships(AmRlsRun *run, AmRlsTable *t, Datum *users)
{
	Oid			argtypes[2] = {OIDOID, INT2OID};
	Datum		args[2];
	Oid			uuidtype = UUIDOID;
	Oid			mrel;
	Oid			mowner;
	int16		mteam;
	int16		muser;
	bool		isnull;
	int			u;

	if (t->scope_attnum == 0)
		return;
	args[0] = ObjectIdGetDatum(t->relid);
	args[1] = Int16GetDatum(t->scope_attnum);
	if (SPI_execute_with_args("SELECT m.conrelid, mc.relowner, m.conkey[1],"
							  "       (SELECT a.attnum FROM pg_catalog.pg_attribute a"
							  "         WHERE a.attrelid = m.conrelid AND a.attnum > 0 AND NOT a.attisdropped"
							  "           AND (a.attname = 'user_id' OR EXISTS ("
							  "                SELECT 1 FROM pg_catalog.pg_constraint uk"
							  "                  JOIN pg_catalog.pg_class ur ON ur.oid = uk.confrelid"
							  "                 WHERE uk.conrelid = m.conrelid AND uk.contype = 'f'"
							  "                   AND uk.conkey = ARRAY[a.attnum] AND ur.relname = 'users'))"
							  "         ORDER BY a.attname <> 'user_id', a.attnum LIMIT 1)"
							  "  FROM pg_catalog.pg_constraint k"
							  "  JOIN pg_catalog.pg_constraint m"
							  "    ON m.contype = 'f' AND m.confrelid = k.confrelid"
							  "   AND m.conrelid NOT IN (k.conrelid, k.confrelid)"
							  "   AND pg_catalog.array_length(m.conkey, 1) = 1"
							  "  JOIN pg_catalog.pg_class mc ON mc.oid = m.conrelid"
							  " WHERE k.conrelid = $1 AND k.contype = 'f' AND k.conkey = ARRAY[$2]"
							  " ORDER BY 4 IS NULL, m.conrelid LIMIT 1",
							  2, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the membership table of %s", t->qualname);
	if (SPI_processed != 1)
		return;
	mrel = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	mowner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	mteam = DatumGetInt16(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	muser = DatumGetInt16(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));
	if (isnull || !am_can_set_role(GetUserId(), mowner))
		return;

	for (u = 0; u < 2; u++)
	{
		ExecResult	res;
		StringInfoData why;
		char	   *team;
		char	   *sql;

		am_probe_exec(SPI_OK_SELECT, t->relowner, true, NULL, NULL, NULL,
					psprintf("SELECT probe_t.%s::pg_catalog.text FROM %s probe_t "
							 "WHERE probe_t.%s::pg_catalog.text = $1::pg_catalog.text LIMIT 1",
							 quote_identifier(get_attname(t->relid, t->scope_attnum, false)),
							 t->qualname, t->owner_col),
					1, &uuidtype, &users[u], false, &res);
		if (!res.ok || res.value == NULL)
			continue;
		team = res.value;
		initStringInfo(&why);
		sql = am_probe_synth_insert_at(mrel, 1, &muser, NULL, users[u], 1, &why, mteam, team);
		if (sql == NULL)
			continue;
		am_probe_exec(SPI_OK_INSERT, mowner, true, NULL, NULL, NULL, sql, 1, &uuidtype,
					&users[u], true, &res);
	}
}

/*
 * names_a_user
 *		Whether an argument's name says it takes a user's id: p_user_id,
 *		owner, member_id, profile_id, uid (not uuid).
 */
static bool
names_a_user(const char *name)
{
	size_t		len = strlen(name);

	if (strstr(name, "user") != NULL || strstr(name, "owner") != NULL ||
		strstr(name, "member") != NULL || strstr(name, "profile") != NULL)
		return true;
	return len >= 3 && strcmp(name + len - 3, "uid") == 0 &&
		!(len >= 4 && name[len - 4] == 'u');
}

/*
 * definer_call
 *		The call of f that passes user A's identity: each argument of the
 *		key's type gets A's key ($1), each argument named for a user (of a
 *		uuid or text type) A's user id, the others a synthesised value
 *		(am_probe_synth_expr()), or their default when no argument after
 *		them takes A's identity.  *passes gets what the call passes: 1 the
 *		key, 2 the user id, 3 both.  NULL when f takes neither A's key nor
 *		A's user id, or an argument has no value to offer.
 */
static char *
definer_call(AmRlsDefinerFn *f, Oid keytype, const char *user_a, int *passes)
{
	StringInfoData call;
	int			given[AM_PROBE_MAX_ARGS];
	int			last = -1;
	int			i;

	for (i = 0; i < f->nargs; i++)
	{
		Oid			base = getBaseType(f->argtypes[i]);

		given[i] = 0;
		if (names_a_user(f->argnames[i]) &&
			(base == UUIDOID || TypeCategory(base) == TYPCATEGORY_STRING))
			given[i] = 2;
		else if (f->argtypes[i] == keytype)
			given[i] = 1;
		if (given[i] != 0)
			last = i;
	}
	if (last < 0)
		return NULL;

	*passes = 0;
	initStringInfo(&call);
	appendStringInfo(&call, "%s(", f->call);
	for (i = 0; i < f->nargs; i++)
	{
		char	   *type = format_type_be(f->argtypes[i]);
		const char *expr;

		if (i > last && i >= f->nargs - f->ndefaults)
			break;
		*passes |= given[i];
		if (given[i] == 1)
			expr = "$1";
		else if (given[i] == 2)
			expr = quote_literal_cstr(user_a);
		else
		{
			Oid			base = getBaseType(f->argtypes[i]);

			if (TypeCategory(base) == TYPCATEGORY_ENUM)
				expr = psprintf("pg_catalog.enum_first(NULL::%s)", type);
			else
				expr = am_probe_synth_expr(base, TypeCategory(base), f->argnames[i]);
			if (expr == NULL)
				return NULL;
		}
		appendStringInfo(&call, "%s(%s)::pg_catalog.text::%s",
						 i > 0 ? ", " : "", expr, type);
	}
	appendStringInfoChar(&call, ')');
	return call.data;
}

/*
 * returns_rows_of
 *		Whether f returns rows of t, or rows with a column named like t's
 *		owner column (RETURNS TABLE, OUT arguments): the probe then counts
 *		those of user A among them.
 */
static bool
returns_rows_of(AmRlsDefinerFn *f, AmRlsTable *t)
{
	ListCell   *lc;

	if (f->rettype == get_rel_type_id(t->relid))
		return true;
	foreach(lc, f->outnames)
	{
		if (strcmp((char *) lfirst(lc), t->owner_col) == 0)
			return true;
	}
	return false;
}

/*
 * am_probe_try_definer_functions
 *		Call every SECURITY DEFINER function that takes the type of the
 *		table's single-column primary key, or a user's id
 *		(am_probe_read_definer_functions(), definer_call()), as
 *		authenticated with user B's claims, passing the key or the user id
 *		of user A's row, each call in a subtransaction rolled back.  A
 *		function that returns the table's rows (or rows with its owner
 *		column) and returns A's, or after which A's row is gone or changed
 *		(read back as the table's owner), is an isolation_breach: its body
 *		does not check who calls it, and PL/pgSQL bodies are not read
 *		structurally.  An error (a refusal, a RAISE) is not, nor a read of
 *		rows that are public anyway or through a function on allow_definer.
 */
void
am_probe_try_definer_functions(AmRlsRun *run, ProbeTable *pt, Datum *users, const char *row_json)
{
	AmRlsTable *t = pt->t;
	Oid			argtypes[2] = {UUIDOID, OIDOID};
	Datum		args[2];
	Oid			keytype;
	char	   *keycol;
	char	   *key_a;
	char	   *user_a;
	char	   *claims;
	char	   *sub;
	ExecResult	res;
	ListCell   *lc;
	bool		isnull;

	if (run->definer_fns == NIL || !OidIsValid(run->authenticated))
		return;

	/* the single-column primary key, and A's value of it */
	args[0] = ObjectIdGetDatum(t->relid);
	if (SPI_execute_with_args("SELECT a.atttypid, pg_catalog.quote_ident(a.attname)"
							  "  FROM pg_catalog.pg_index i"
							  "  JOIN pg_catalog.pg_attribute a"
							  "    ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
							  " WHERE i.indrelid = $1 AND i.indisprimary AND i.indnkeyatts = 1",
							  1, &argtypes[1], args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the primary key of %s", t->qualname);
	if (SPI_processed != 1)
		return;
	keytype = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	keycol = pstrdup(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
	am_probe_exec(SPI_OK_SELECT, t->relowner, true, NULL, NULL, NULL,
				  psprintf("SELECT probe_t.%s::pg_catalog.text FROM %s probe_t "
						   "WHERE probe_t.%s::pg_catalog.text = $1::pg_catalog.text LIMIT 1",
						   keycol, t->qualname, t->owner_col),
				  1, argtypes, &users[0], false, &res);
	if (!res.ok || res.value == NULL)
		return;
	key_a = res.value;
	user_a = am_probe_uuid_str(users[0]);

	sub = am_probe_uuid_str(users[1]);
	claims = psprintf("{\"sub\":\"%s\",\"role\":\"authenticated\",\"aud\":\"authenticated\"}",
					  sub);
	foreach(lc, run->definer_fns)
	{
		AmRlsDefinerFn *f = (AmRlsDefinerFn *) lfirst(lc);
		Oid			texttype = TEXTOID;
		Datum		key = CStringGetTextDatum(key_a);
		int			passes;
		char	   *call = definer_call(f, keytype, user_a, &passes);
		bool		returns_rows = returns_rows_of(f, t);
		SubXact		s;
		ExecResult	after;
		bool		reached = false;
		const char *how = NULL;
		char	   *hint;

		if (call == NULL)
			continue;
		CHECK_FOR_INTERRUPTS();
		am_probe_sub_begin(&s);
		if (returns_rows)
			am_probe_exec(SPI_OK_SELECT, run->authenticated, false, claims, sub, "authenticated",
						  psprintf("SELECT pg_catalog.count(*) FROM %s probe_r "
								   "WHERE probe_r.%s::pg_catalog.text = %s",
								   call, t->owner_col, quote_literal_cstr(user_a)),
						  1, &texttype, &key, true, &res);
		else
			am_probe_exec(SPI_OK_SELECT, run->authenticated, false, claims, sub, "authenticated",
						  f->retset ? psprintf("SELECT pg_catalog.count(*) FROM %s probe_r", call) :
						  psprintf("SELECT %s IS NULL", call),
						  1, &texttype, &key, true, &res);
		if (res.ok && returns_rows && res.value != NULL && strcmp(res.value, "0") != 0)
		{
			/*
			 * A read a policy declares public is policy_always_true's
			 * finding; one through a function the caller's allow_definer
			 * lists is meant (a public profile card, a share link).
			 */
			reached = !t->public_read_auth &&
				!list_member_oid(run->allowed_definers, f->oid);
			how = "read";
		}
		else if (res.ok)
		{
			/* what is left of A's row, read as the table's owner */
			am_probe_exec(SPI_OK_SELECT, t->relowner, true, NULL, NULL, NULL,
						  psprintf("SELECT pg_catalog.row_to_json(probe_t)::pg_catalog.text FROM %s probe_t "
								   "WHERE probe_t.%s::pg_catalog.text = $1::pg_catalog.text",
								   t->qualname, keycol),
						  1, &texttype, &key, false, &after);
			if (after.ok && after.value == NULL)
			{
				reached = true;
				how = "delete";
			}
			else if (after.ok && strcmp(after.value, row_json) != 0)
			{
				reached = true;
				how = "change";
			}
		}
		am_probe_sub_end(&s, false);
		if (!reached)
			continue;
		hint = psprintf("Filter by the caller in %s (AND %s = (select auth.uid())), or make it SECURITY INVOKER so that the policies of %s apply.",
						f->name, t->owner_col, t->qualname);
		if (passes == 1)
			am_rls_add_finding(run, "error", "isolation_breach", f->name, hint,
							   "role authenticated acting as one user could %s another user's row of table \"%s\" by calling SECURITY DEFINER function %s with that row's key",
							   how, t->qualname, f->name);
		else if (passes == 2)
			am_rls_add_finding(run, "error", "isolation_breach", f->name, hint,
							   "role authenticated acting as one user could %s another user's row of table \"%s\" by calling SECURITY DEFINER function %s with that user's id",
							   how, t->qualname, f->name);
		else
			am_rls_add_finding(run, "error", "isolation_breach", f->name, hint,
							   "role authenticated acting as one user could %s another user's row of table \"%s\" by calling SECURITY DEFINER function %s with that row's key and that user's id",
							   how, t->qualname, f->name);
	}
}
