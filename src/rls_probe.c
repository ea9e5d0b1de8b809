/*-------------------------------------------------------------------------
 *
 * rls_probe.c
 *	  The behavioural probes of check_rls(): act as the real API roles and
 *	  prove which rows of another user they can reach.
 *
 * For each table with an owner column, inside a subtransaction that is
 * always rolled back: two synthetic users A and B get an auth.users row
 * and a row in each user table the owner columns reference (public.users),
 * then a row of the table each, inserted as the table's owner (synthesised
 * from the column types, else from the table's probe fixture).  Then
 * authenticated with B's JWT claims, anon, and each zero-knowledge role
 * try to SELECT, INSERT (a copy of), UPDATE and DELETE A's row, each try
 * in a subtransaction of its own that is rolled back too.  A try that
 * succeeds is an isolation_breach.  Roles are never created.
 *
 * The probes run the table owner's code (triggers, defaults, functions in
 * policies) as the API roles, so they treat it as hostile: every statement
 * runs under SetUserIdAndSecContext with SECURITY_RESTRICTED_OPERATION, in
 * a GUC nest level that is always reverted, with search_path pinned to
 * "pg_catalog, pg_temp"; its errors are reported by SQLSTATE only, never by
 * their text, and its notices reach neither the client nor the server log.
 * What a rollback cannot undo is undone by hand after each table: session
 * advisory locks taken during the probe are released, and sequences it
 * advanced (all sequences are share-locked while it runs, so no other
 * session can) are set back to their value before.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/rls_probe.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "tcop/dest.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/uuid.h"

#include "compat.h"
#include "settings.h"
#include "owner.h"
#include "validate.h"
#include "rls.h"
#include "rls_probe.h"
#include "rls_undo.h"

static void probe_table(AmRlsRun *run, List *actors, List *held_before,
						AmRlsTable *t);
static ErrorData *probe_table_caught(AmRlsRun *run, List *actors, AmRlsTable *t);
static void probe_table_body(AmRlsRun *run, List *actors, AmRlsTable *t);
static void try_command(AmRlsRun *run, AmRlsTable *t, Actor *a, const char *cmd,
						const char *sql, int nargs, Datum *args, bool *argnulls,
						const char *prelude, Datum prelude_user, Datum user_b);
static void probe_emit_log(ErrorData *edata);
static bool inserting_runs_only_own_code(AmRlsRun *run, AmRlsTable *t, Oid relid);

/* emit_log_hook in place before am_rls_probe() installed its own */
static emit_log_hook_type prev_emit_log_hook = NULL;

/* set while am_rls_probe() runs: the probes never nest */
static bool probing = false;

/*
 * am_rls_probe_refusal
 *		NULL when the current user may run the probes: it can act, as SET
 *		ROLE would let it, as every role they act as (anon, authenticated
 *		and the zero-knowledge roles that exist).  Otherwise the name of the
 *		first role it cannot act as.  A superuser can act as anyone.
 */
const char *
am_rls_probe_refusal(void)
{
	Oid			me = GetUserId();
	List	   *names = list_make2("authenticated", "anon");
	ListCell   *lc;

	names = list_concat(names, am_zero_knowledge_roles());
	foreach(lc, names)
	{
		char	   *name = (char *) lfirst(lc);
		Oid			roleid = get_role_oid(name, true);

		if (OidIsValid(roleid) && !am_can_set_role(me, roleid))
			return name;
	}
	return NULL;
}

/*
 * am_rls_probe
 *		Probe every table rls.c queued (those with an owner column), in
 *		schema and name order.  Must be called connected to SPI, by a
 *		role am_rls_probe_refusal() lets probe.
 *
 * Everything the probes run resolves names with search_path pinned to
 * "pg_catalog, pg_temp", in a GUC nest level reverted at the end (on error,
 * the caller's (sub)transaction abort reverts it).  While the probes run,
 * messages below ERROR raised by the probed code reach neither the client
 * (whereToSendOutput is DestNone) nor the server log (probe_emit_log());
 * both are restored on every path.  The session's advisory locks are
 * snapshotted first, so that probe_table() can release what a probe took.
 */
void
am_rls_probe(AmRlsRun *run)
{
	List	   *actors = NIL;
	List	   *held_before;
	ListCell   *lc;
	ListCell   *lc2;
	Actor	   *a;
	int			nest;
	MemoryContext oldcxt = CurrentMemoryContext;
	CommandDest save_dest = whereToSendOutput;
	emit_log_hook_type save_hook = emit_log_hook;

	/*
	 * Code a probe runs (a trigger, a default) may call check_rls() again.
	 * Probes inside probes would stack the hooks and the saved client
	 * destination over each other: refuse them.  The error is caught by
	 * the probe that ran that code, like any error of probed code.
	 */
	if (probing)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("check_rls() cannot run its probes from code that a probe runs")));

	if (OidIsValid(run->authenticated))
	{
		a = palloc0(sizeof(Actor));
		a->role = "authenticated";
		a->roleid = run->authenticated;
		a->is_user = true;
		actors = lappend(actors, a);
	}
	if (OidIsValid(run->anon))
	{
		a = palloc0(sizeof(Actor));
		a->role = "anon";
		a->roleid = run->anon;
		actors = lappend(actors, a);
	}
	forboth(lc, run->zk_roles, lc2, run->zk_names)
	{
		a = palloc0(sizeof(Actor));
		a->role = (char *) lfirst(lc2);
		a->roleid = lfirst_oid(lc);
		actors = lappend(actors, a);
	}

	nest = NewGUCNestLevel();
	am_probe_set_saved("search_path", "pg_catalog, pg_temp");
	/* bounds the wait for the sequence locks too */
	am_probe_set_saved("lock_timeout", "5s");

	am_probe_read_definer_functions(run);

	held_before = am_rls_advisory_held();

	prev_emit_log_hook = save_hook;
	probing = true;
	PG_TRY();
	{
		whereToSendOutput = DestNone;
		emit_log_hook = probe_emit_log;
		foreach(lc, run->probe_tables)
		{
			CHECK_FOR_INTERRUPTS();
			probe_table(run, actors, held_before, (AmRlsTable *) lfirst(lc));
		}
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		/*
		 * Only our own errors get here (a cancel, or a can't-happen).  It
		 * was raised while the client was cut off, so it would reach nobody:
		 * raise it again now that it is not.
		 */
		probing = false;
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		if (whereToSendOutput == DestNone)
			whereToSendOutput = save_dest;
		emit_log_hook = save_hook;
		ThrowErrorData(edata);
	}
	PG_END_TRY();
	probing = false;

	/* a lost connection may have set DestNone meanwhile: keep that */
	if (whereToSendOutput == DestNone)
		whereToSendOutput = save_dest;
	emit_log_hook = save_hook;

	AtEOXact_GUC(false, nest);
}

/*
 * probe_emit_log
 *		emit_log_hook while the probes run: a message below ERROR comes from
 *		the probed code (the probes raise none), which may have put in it
 *		what its role can read.  It is not written to the server log (the
 *		client already gets nothing); errors are passed on.
 */
static void
probe_emit_log(ErrorData *edata)
{
	if (edata->elevel < ERROR)
	{
		edata->output_to_server = false;
		edata->output_to_client = false;
		return;
	}
	if (prev_emit_log_hook != NULL && prev_emit_log_hook != probe_emit_log)
		prev_emit_log_hook(edata);
}

/*
 * probe_table
 *		Probe one table and undo what a rollback cannot.
 *
 * A guard subtransaction share-locks every sequence and records its state
 * (am_rls_seq_snapshot() of rls_undo.c); the probe itself runs in a
 * subtransaction of its own inside it (probe_table_caught()), always rolled
 * back; then the sequences it advanced are set back (am_rls_seq_restore(),
 * as the caller, not as an API role), and the guard is rolled back, which
 * releases the sequence locks.
 * Last, session advisory locks that were not held before the probes are
 * released.  An unexpected error makes the table not_probed, reported by
 * its SQLSTATE only; a cancel is re-thrown after the clean-up.
 */
static void
probe_table(AmRlsRun *run, List *actors, List *held_before, AmRlsTable *t)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	int			level;
	ErrorData  *volatile probe_edata = NULL;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	level = GetCurrentTransactionNestLevel();

	PG_TRY();
	{
		SeqSnapshot snap;

		am_rls_seq_snapshot(&snap);
		probe_edata = probe_table_caught(run, actors, t);
		am_rls_seq_restore(&snap);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();

	while (GetCurrentTransactionNestLevel() > level)
		RollbackAndReleaseCurrentSubTransaction();
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;

	am_rls_advisory_release_new(held_before);

	if (edata == NULL)
		edata = probe_edata;
	if (edata != NULL)
	{
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
			am_probe_throw_cancel(edata->sqlerrcode);
		am_rls_add_finding(run, "warning", "not_probed", t->qualname,
						   "Fix the cause, or run check_rls(probes => false) to check the structure only.",
						   "table \"%s\" was not probed: the probe failed with SQLSTATE %s",
						   t->qualname, unpack_sql_state(edata->sqlerrcode));
		FreeErrorData(edata);
	}
}

/*
 * probe_table_caught
 *		Run probe_table_body() inside a subtransaction that is always rolled
 *		back, whatever happens inside.  Returns the error that ended it, or
 *		NULL.
 */
static ErrorData *
probe_table_caught(AmRlsRun *run, List *actors, AmRlsTable *t)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	int			level;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	level = GetCurrentTransactionNestLevel();

	PG_TRY();
	{
		probe_table_body(run, actors, t);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();

	/* roll back everything the probe did, however deep it got */
	while (GetCurrentTransactionNestLevel() > level)
		RollbackAndReleaseCurrentSubTransaction();
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;

	return edata;
}

/*
 * create_auth_users
 *		An auth.users row for each synthetic user, as that table's owner,
 *		when there is such a table.  False (with a not_probed finding) when
 *		the insert fails.
 */
static bool
create_auth_users(AmRlsRun *run, AmRlsTable *t, Datum *users)
{
	Oid			uuidtype = UUIDOID;
	Oid			relid;
	Oid			owner;
	Oid			as;
	bool		isnull;
	ExecResult	res;
	int			i;

	if (SPI_execute("SELECT c.oid, c.relowner FROM pg_catalog.pg_class c "
					"WHERE c.oid = pg_catalog.to_regclass('auth.users')",
					true, 1) != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed looking up auth.users");
	if (SPI_processed != 1)
		return true;
	relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 1, &isnull));
	owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 2, &isnull));

	/* as its owner, or else as the caller when it may insert there itself */
	as = owner;
	if (!am_can_set_role(GetUserId(), owner))
	{
		if (pg_class_aclcheck(relid, GetUserId(), ACL_INSERT) != ACLCHECK_OK)
		{
			am_rls_add_finding(run, "warning", "not_probed", t->qualname,
							   "Grant the role running check_rls() INSERT on auth.users, or membership in its owner.",
							   "table \"%s\" was not probed: role \"%s\" can neither act as the owner of auth.users nor insert into it, so no synthetic user can be created",
							   t->qualname, GetUserNameFromId(GetUserId(), false));
			return false;
		}
		if (!inserting_runs_only_own_code(run, t, relid))
			return false;
		as = GetUserId();
	}
	for (i = 0; i < 2; i++)
	{
		am_probe_exec(SPI_OK_INSERT, as, true, NULL, NULL, NULL,
					"INSERT INTO auth.users (id) VALUES ($1)",
					1, &uuidtype, &users[i], true, &res);
		if (!res.ok)
		{
			am_rls_add_finding(run, "warning", "not_probed", t->qualname,
							   "Make sure INSERT INTO auth.users (id) VALUES (...) works for the owner of auth.users.",
							   "table \"%s\" was not probed: no auth.users row could be created for a synthetic user: the insert failed with SQLSTATE %s",
							   t->qualname, res.sqlstate);
			return false;
		}
	}
	return true;
}

/*
 * inserting_runs_only_own_code
 *		An INSERT into auth.users as the caller (who cannot act as its
 *		owner) runs the triggers and the default and check expressions of
 *		that table with the caller's privileges: code its owner, or anyone,
 *		wrote.  Allowed only when each function they call is SECURITY
 *		DEFINER (it runs as its own owner) or belongs to a role that holds
 *		the caller's privileges already (nothing to gain), and the table has
 *		no rules.  Otherwise false, with a not_probed finding on t.
 */
static bool
inserting_runs_only_own_code(AmRlsRun *run, AmRlsTable *t, Oid relid)
{
	Oid			argtypes[2] = {OIDOID, OIDOID};
	Datum		values[2];

	values[0] = ObjectIdGetDatum(relid);
	values[1] = ObjectIdGetDatum(GetUserId());
	if (SPI_execute_with_args("SELECT p.oid::pg_catalog.regprocedure::pg_catalog.text, "
							  "       pg_catalog.pg_get_userbyid(p.proowner)::pg_catalog.text "
							  "FROM pg_catalog.pg_proc p "
							  "WHERE p.oid IN ("
							  "  SELECT g.tgfoid FROM pg_catalog.pg_trigger g "
							  "   WHERE g.tgrelid = $1 AND NOT g.tgisinternal AND g.tgenabled <> 'D' "
							  "  UNION "
							  "  SELECT d.refobjid FROM pg_catalog.pg_depend d "
							  "   WHERE d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass "
							  "     AND ((d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass "
							  "           AND d.objid IN (SELECT a.oid FROM pg_catalog.pg_attrdef a "
							  "                            WHERE a.adrelid = $1)) "
							  "       OR (d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass "
							  "           AND d.objid IN (SELECT k.oid FROM pg_catalog.pg_constraint k "
							  "                            WHERE k.conrelid = $1)))) "
							  "AND NOT p.prosecdef "
							  "AND NOT pg_catalog.pg_has_role(p.proowner, $2, 'USAGE') "
							  "UNION ALL "
							  "SELECT 'rules', NULL FROM pg_catalog.pg_class c "
							  " WHERE c.oid = $1 AND c.relhasrules "
							  "LIMIT 1",
							  2, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed reading the code auth.users runs");
	if (SPI_processed == 0)
		return true;
	if (SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2) == NULL)
		am_rls_add_finding(run, "warning", "not_probed", t->qualname,
						   "Grant the role running check_rls() membership in the owner of auth.users, or run it as a superuser.",
						   "table \"%s\" was not probed: auth.users has rules, which an insert as role \"%s\" would run with that role's privileges",
						   t->qualname, GetUserNameFromId(GetUserId(), false));
	else
		am_rls_add_finding(run, "warning", "not_probed", t->qualname,
						   "Grant the role running check_rls() membership in the owner of auth.users, or run it as a superuser.",
						   "table \"%s\" was not probed: an insert into auth.users as role \"%s\" would run function %s of role \"%s\" with the privileges of role \"%s\"",
						   t->qualname, GetUserNameFromId(GetUserId(), false),
						   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1),
						   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2),
						   GetUserNameFromId(GetUserId(), false));
	return false;
}

/*
 * can_act_as_owner
 *		The caller may act as owner, the role the probes create rows of
 *		table name as.  Otherwise false, with a not_probed finding on t.
 */
static bool
can_act_as_owner(AmRlsRun *run, AmRlsTable *t, const char *name, Oid owner)
{
	if (am_can_set_role(GetUserId(), owner))
		return true;
	am_rls_add_finding(run, "warning", "not_probed", t->qualname,
					   psprintf("GRANT %s TO %s, or run check_rls() as a superuser.",
								quote_identifier(GetUserNameFromId(owner, false)),
								quote_identifier(GetUserNameFromId(GetUserId(), false))),
					   "table \"%s\" was not probed: the probes create rows of table \"%s\" as its owner \"%s\", and role \"%s\" cannot act as that role",
					   t->qualname, name, GetUserNameFromId(owner, false),
					   GetUserNameFromId(GetUserId(), false));
	return false;
}

/*
 * read_parent_tables
 *		The user tables the owner columns of t reference (public.users, say),
 *		other than auth.users, each with the columns a row of it must get
 *		the user's id in.  Returns how many, in *parents.
 */
static int
read_parent_tables(AmRlsTable *t, ProbeParent **parents)
{
	Oid			argtypes[2] = {OIDOID, INT2ARRAYOID};
	Datum		args[2];
	Datum	   *owner_cols;
	ProbeParent *out;
	int			n;
	int			i;

	owner_cols = palloc(sizeof(Datum) * (t->nowner + 1));
	for (i = 0; i < t->nowner; i++)
		owner_cols[i] = Int16GetDatum(t->owner_attnums[i]);
	args[0] = ObjectIdGetDatum(t->relid);
	args[1] = PointerGetDatum(construct_array(owner_cols, t->nowner, INT2OID,
											  sizeof(int16), true, TYPALIGN_SHORT));
	if (SPI_execute_with_args(
							  "SELECT DISTINCT k.confrelid, rc.relowner,"
							  "       pg_catalog.format('%I.%I', rn.nspname, rc.relname),"
							  "       ARRAY(SELECT a.attnum FROM pg_catalog.pg_attribute a"
							  "              WHERE a.attrelid = k.confrelid AND a.attnum > 0"
							  "                AND NOT a.attisdropped"
							  "                AND (a.attnum = k.confkey[1] OR a.attname = 'user_id'"
							  "                  OR EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k2"
							  "                               JOIN pg_catalog.pg_class r2 ON r2.oid = k2.confrelid"
							  "                              WHERE k2.conrelid = k.confrelid"
							  "                                AND k2.contype = 'f'"
							  "                                AND k2.conkey = ARRAY[a.attnum]"
							  "                                AND r2.relname = 'users'))"
							  "              ORDER BY 1)::int2[]"
							  "  FROM pg_catalog.pg_constraint k"
							  "  JOIN pg_catalog.pg_class rc ON rc.oid = k.confrelid"
							  "  JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace"
							  " WHERE k.conrelid = $1 AND k.contype = 'f'"
							  "   AND pg_catalog.array_length(k.conkey, 1) = 1"
							  "   AND k.conkey[1] = ANY ($2) AND k.confrelid <> $1"
							  "   AND NOT (rn.nspname = 'auth' AND rc.relname = 'users')"
							  " ORDER BY 3",
							  2, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed looking up the user tables of %s",
			 t->qualname);
	n = (int) SPI_processed;
	out = palloc0(sizeof(ProbeParent) * (n + 1));
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum	   *elems;
		bool	   *enulls;
		int			nelems;
		int			j;

		out[i].relid = DatumGetObjectId(SPI_getbinval(tup, td, 1, &isnull));
		out[i].owner = DatumGetObjectId(SPI_getbinval(tup, td, 2, &isnull));
		out[i].name = pstrdup(SPI_getvalue(tup, td, 3));
		deconstruct_array(DatumGetArrayTypePCopy(SPI_getbinval(tup, td, 4, &isnull)),
						  INT2OID, sizeof(int16), true, TYPALIGN_SHORT,
						  &elems, &enulls, &nelems);
		out[i].forced = palloc(sizeof(int16) * (nelems + 1));
		for (j = 0; j < nelems; j++)
			out[i].forced[j] = DatumGetInt16(elems[j]);
		out[i].nforced = nelems;
	}
	*parents = out;
	return n;
}

/*
 * create_rows
 *		A row for each synthetic user in each user table t references, then
 *		in t itself (pt learns what the tries need of it).  False (with a
 *		not_probed finding) when one cannot be created.
 */
static bool
create_rows(AmRlsRun *run, AmRlsTable *t, Datum *users, ProbeTable *pt)
{
	ProbeParent *parents;
	StringInfoData reason;
	int			nparents = read_parent_tables(t, &parents);
	int			i;
	int			u;

	initStringInfo(&reason);
	for (i = 0; i < nparents; i++)
	{
		if (!can_act_as_owner(run, t, parents[i].name, parents[i].owner))
			return false;
		for (u = 0; u < 2; u++)
		{
			resetStringInfo(&reason);
			if (am_probe_create_row(parents[i].relid, parents[i].owner,
						   parents[i].nforced, parents[i].forced, users[u],
						   NULL, &reason))
				continue;
			am_rls_add_finding(run, "warning", "not_probed", t->qualname,
							   psprintf("Register a probe fixture for %s: SELECT aura_migrate.register_probe_fixture('%s', 'INSERT INTO %s ... VALUES ($1, ...)');",
										parents[i].name, parents[i].name, parents[i].name),
							   "table \"%s\" was not probed: no row of user table \"%s\" could be created for a synthetic user: %s",
							   t->qualname, parents[i].name, reason.data);
			return false;
		}
	}

	if (!can_act_as_owner(run, t, t->plainname, t->relowner))
		return false;
	memset(pt, 0, sizeof(*pt));
	pt->t = t;
	for (u = 0; u < 2; u++)
	{
		resetStringInfo(&reason);
		if (am_probe_create_row(t->relid, t->relowner, t->nowner, t->owner_attnums,
					   users[u], pt, &reason))
			continue;
		am_rls_add_finding(run, "warning", "not_probed", t->qualname,
						   psprintf("Register a probe fixture: SELECT aura_migrate.register_probe_fixture('%s', 'INSERT INTO %s ... VALUES ($1, ...)');",
									t->plainname, t->qualname),
						   "table \"%s\" was not probed: no row could be synthesised for a user or created by its probe fixture: %s",
						   t->qualname, reason.data);
		return false;
	}
	return true;
}

/*
 * read_row_of_a
 *		User A's row as JSON, for the INSERT try, and its value of the
 *		column the UPDATE try sets (NULL when there is none or it is NULL).
 */
static void
read_row_of_a(ProbeTable *pt, Datum user_a, char **row_json, char **set_value)
{
	AmRlsTable *t = pt->t;
	Oid			types[1] = {UUIDOID};
	ExecResult	res;
	char	   *sql;

	sql = psprintf("SELECT pg_catalog.row_to_json(probe_t)::text FROM %s probe_t "
				   "WHERE probe_t.%s::text = $1::text LIMIT 1",
				   t->qualname, t->owner_col);
	am_probe_exec(SPI_OK_SELECT, t->relowner, true, NULL, NULL, NULL, sql, 1,
				types, &user_a, false, &res);
	*row_json = res.ok ? res.value : NULL;
	*set_value = NULL;
	if (pt->set_col == NULL)
		return;
	sql = psprintf("SELECT probe_t.%s::text FROM %s probe_t "
				   "WHERE probe_t.%s::text = $1::text LIMIT 1",
				   pt->set_col, t->qualname, t->owner_col);
	am_probe_exec(SPI_OK_SELECT, t->relowner, true, NULL, NULL, NULL, sql, 1,
				types, &user_a, false, &res);
	*set_value = res.ok ? res.value : NULL;
}

/*
 * try_as_actor
 *		Let one actor try SELECT, INSERT, UPDATE and DELETE on A's row.
 */
static void
try_as_actor(AmRlsRun *run, Actor *a, ProbeTable *pt, Datum *users,
			 const char *row_json, const char *set_value)
{
	AmRlsTable *t = pt->t;
	Datum		cargs[2];
	bool		cnulls[2] = {false, false};
	char	   *delete_own;
	char	   *sql;

	cargs[0] = users[0];
	delete_own = psprintf("DELETE FROM %s probe_t WHERE probe_t.%s::text = $1::text",
						  t->qualname, t->owner_col);

	/* read A's row, filtering on its owner as a client would */
	sql = psprintf("SELECT pg_catalog.count(*) FROM %s probe_t "
				   "WHERE probe_t.%s::text = $1::text", t->qualname, t->owner_col);
	try_command(run, t, a, "SELECT", sql, 1, cargs, cnulls, NULL, (Datum) 0,
				users[1]);

	/* insert a copy of A's row for A (A's own row removed first) */
	if (row_json != NULL && pt->insert_cols != NULL)
	{
		cargs[1] = CStringGetTextDatum(row_json);
		sql = psprintf("INSERT INTO %s (%s) SELECT %s FROM "
					   "pg_catalog.json_populate_record(NULL::%s, $2::pg_catalog.json)",
					   t->qualname, pt->insert_cols, pt->insert_cols, t->qualname);
		try_command(run, t, a, "INSERT", sql, 2, cargs, cnulls, delete_own,
					users[0], users[1]);
	}

	/*
	 * UPDATE and DELETE without a WHERE clause, so that no SELECT policy is
	 * involved (a write needs no read right then), after B's own rows are
	 * removed: any row reached belongs to someone else.
	 */
	if (pt->set_col != NULL)
	{
		cargs[1] = set_value ? CStringGetTextDatum(set_value) : (Datum) 0;
		cnulls[1] = (set_value == NULL);
		sql = psprintf("UPDATE %s SET %s = $2::pg_catalog.text::%s",
					   t->qualname, pt->set_col, pt->set_type);
		try_command(run, t, a, "UPDATE", sql, 2, cargs, cnulls, delete_own,
					users[1], users[1]);
		cnulls[1] = false;
	}

	sql = psprintf("DELETE FROM %s", t->qualname);
	try_command(run, t, a, "DELETE", sql, 1, cargs, cnulls, delete_own,
				users[1], users[1]);
}

/*
 * probe_table_body
 *		Set up users A and B and their rows, then let every actor try every
 *		command on A's row.  Runs inside probe_table()'s subtransaction.
 */
static void
probe_table_body(AmRlsRun *run, List *actors, AmRlsTable *t)
{
	Datum		users[2];
	ProbeTable	pt;
	char	   *row_json;
	char	   *set_value;
	ListCell   *lc;

	/* the probes see what the API roles see (lock_timeout: am_rls_probe()) */
	am_probe_set_local("row_security", "on");

	users[0] = DirectFunctionCall1(gen_random_uuid, (Datum) 0);
	users[1] = DirectFunctionCall1(gen_random_uuid, (Datum) 0);
	if (!create_auth_users(run, t, users) || !create_rows(run, t, users, &pt))
		return;
	am_probe_add_memberships(run, t, users);
	read_row_of_a(&pt, users[0], &row_json, &set_value);

	foreach(lc, actors)
	{
		CHECK_FOR_INTERRUPTS();
		try_as_actor(run, (Actor *) lfirst(lc), &pt, users, row_json, set_value);
	}
	if (row_json != NULL)
		am_probe_try_definer_functions(run, &pt, users, row_json);
}

/*
 * try_command
 *		One try of one actor, in a subtransaction rolled back afterwards.
 *		prelude, if given, runs first as the table owner with $1 =
 *		prelude_user (its errors ignored): it removes rows so that whatever
 *		the try reaches belongs to another user.  A try that reaches a row is
 *		an isolation_breach; insufficient_privilege (a privilege or a WITH
 *		CHECK refusal) or no row reached is a refusal; any other error leaves
 *		the command unproven (not_probed).
 */
static void
try_command(AmRlsRun *run, AmRlsTable *t, Actor *a, const char *cmd,
			const char *sql, int nargs, Datum *args, bool *argnulls,
			const char *prelude, Datum prelude_user, Datum user_b)
{
	Oid			argtypes[2] = {UUIDOID, TEXTOID};
	char		nulls[3] = {' ', ' ', '\0'};
	char	   *claims;
	char	   *sub;
	ExecResult	res;
	SubXact		s;
	bool		reached;
	int			i;

	if (a->is_user)
	{
		sub = am_probe_uuid_str(user_b);
		claims = psprintf("{\"sub\":\"%s\",\"role\":\"%s\",\"aud\":\"authenticated\"}",
						  sub, a->role);
	}
	else
	{
		sub = "";
		claims = psprintf("{\"role\":\"%s\"}", a->role);
	}
	for (i = 0; i < nargs; i++)
		nulls[i] = argnulls[i] ? 'n' : ' ';

	am_probe_sub_begin(&s);
	if (prelude != NULL)
	{
		ExecResult	pre;

		am_probe_exec(SPI_OK_DELETE, t->relowner, true, NULL, NULL, NULL, prelude, 1,
					argtypes,
					&prelude_user, true, &pre);
	}
	am_probe_exec_nulls(strcmp(cmd, "SELECT") == 0 ? SPI_OK_SELECT :
					  strcmp(cmd, "INSERT") == 0 ? SPI_OK_INSERT :
					  strcmp(cmd, "UPDATE") == 0 ? SPI_OK_UPDATE : SPI_OK_DELETE,
					  a->roleid, false, claims, sub, a->role, sql, nargs,
					  argtypes, args, nulls, false, &res);
	am_probe_sub_end(&s, false);

	if (res.ok)
	{
		reached = (strcmp(cmd, "SELECT") == 0) ?
			(res.value != NULL && strcmp(res.value, "0") != 0) :
			res.processed > 0;
		/* a read a policy declares public is policy_always_true's finding */
		if (reached && strcmp(cmd, "SELECT") == 0 &&
			((a->roleid == run->anon && t->public_read_anon) ||
			 (a->roleid == run->authenticated && t->public_read_auth)))
			reached = false;
		if (reached)
			am_rls_add_finding(run, "error", "isolation_breach", t->qualname,
							   a->is_user ?
							   psprintf("The %s policies for authenticated must compare the owner column with (select auth.uid()).", cmd) :
							   psprintf("REVOKE ALL ON TABLE %s FROM %s (and PUBLIC), or restrict the table's policies to authenticated.",
										t->qualname, quote_identifier(a->role)),
							   a->is_user ?
							   "role %s acting as one user could %s another user's row of table \"%s\"" :
							   "role %s could %s a user's row of table \"%s\"",
							   a->role,
							   strcmp(cmd, "SELECT") == 0 ? "read" :
							   strcmp(cmd, "INSERT") == 0 ? "insert" :
							   strcmp(cmd, "UPDATE") == 0 ? "update" : "delete",
							   t->qualname);
	}
	else if (strcmp(res.sqlstate, "42501") != 0)
		am_rls_add_finding(run, "warning", "not_probed", t->qualname,
						   "Register a probe fixture whose rows satisfy the table's constraints and triggers, or check this command by hand.",
						   "%s as role %s on table \"%s\" could not be probed: it failed with SQLSTATE %s",
						   cmd, a->role, t->qualname, res.sqlstate);
}
