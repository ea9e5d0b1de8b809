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
#include "rls_undo.h"

/* One identity the probes act as. */
typedef struct Actor
{
	const char *role;
	Oid			roleid;
	bool		is_user;		/* authenticated with user B's claims */
} Actor;

/*
 * Outcome of one statement run in its own subtransaction.  On error only
 * the SQLSTATE is kept: the message, detail, hint and context come from
 * the probed code and may carry what its role can read.
 */
typedef struct ExecResult
{
	bool		ok;
	uint64		processed;
	char	   *value;			/* first column of the first row, or NULL */
	char	   *sqlstate;		/* on error */
} ExecResult;

/* A subtransaction begun by sub_begin(). */
typedef struct SubXact
{
	MemoryContext cxt;
	ResourceOwner owner;
} SubXact;

/* What one table's probe needs to know. */
typedef struct ProbeTable
{
	AmRlsTable *t;
	char	   *insert_cols;	/* insertable columns, comma separated */
	char	   *set_col;		/* the column the UPDATE try sets */
	char	   *set_type;		/* its type */
} ProbeTable;

/* A user table the probed table's owner column references, and the
 * columns a row of it gets the user's id in. */
typedef struct ProbeParent
{
	Oid			relid;
	Oid			owner;
	char	   *name;
	int16	   *forced;
	int			nforced;
} ProbeParent;

static void probe_table(AmRlsRun *run, List *actors, List *held_before,
						AmRlsTable *t);
static ErrorData *probe_table_caught(AmRlsRun *run, List *actors, AmRlsTable *t);
static void probe_table_body(AmRlsRun *run, List *actors, AmRlsTable *t);
static bool create_row(Oid relid, Oid owner, int nforced,
					   int16 *forced, Datum user, ProbeTable *pt,
					   StringInfo reason);
static void try_command(AmRlsRun *run, AmRlsTable *t, Actor *a, const char *cmd,
						const char *sql, int nargs, Datum *args, bool *argnulls,
						const char *prelude, Datum prelude_user, Datum user_b);
static void exec_caught(int expect, Oid userid, bool noforce, const char *claims,
						const char *sub, const char *role, const char *sql,
						int nargs, Oid *argtypes, Datum *args, bool keep,
						ExecResult *res);
static void exec_caught_nulls(int expect, Oid userid, bool noforce, const char *claims,
							  const char *sub, const char *role, const char *sql,
							  int nargs, Oid *argtypes, Datum *args,
							  const char *nulls, bool keep, ExecResult *res);
static void sub_begin(SubXact *s);
static void sub_end(SubXact *s, bool commit);
static void set_local(const char *name, const char *value);
static void set_saved(const char *name, const char *value);
static void throw_cancel(int sqlerrcode);
static void probe_emit_log(ErrorData *edata);
static bool inserting_runs_only_own_code(AmRlsRun *run, AmRlsTable *t, Oid relid);
static char *uuid_str(Datum u);
static void read_definer_functions(AmRlsRun *run);
static void add_memberships(AmRlsRun *run, AmRlsTable *t, Datum *users);
static char *synth_insert_at(Oid relid, int nforced, int16 *forced, ProbeTable *pt,
							 Datum user, int depth, StringInfo reason,
							 int16 fixed_attnum, const char *fixed_value);
static void try_definer_functions(AmRlsRun *run, ProbeTable *pt, Datum *users,
								  const char *row_json);

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
	set_saved("search_path", "pg_catalog, pg_temp");
	/* bounds the wait for the sequence locks too */
	set_saved("lock_timeout", "5s");

	read_definer_functions(run);

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
 * read_definer_functions
 *		The SECURITY DEFINER functions of the checked schemas that take one
 *		argument and that authenticated may execute: the probes call each
 *		as user B with the key of user A's row (try_definer_functions()).
 *		Functions of a superuser's extension are left out, as everywhere.
 */
static void
read_definer_functions(AmRlsRun *run)
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
							  "       p.proargtypes[0], p.prorettype, p.proretset"
							  "  FROM pg_catalog.pg_proc p"
							  "  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
							  " WHERE p.prosecdef AND p.prokind = 'f' AND p.pronargs = 1"
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
		f->argtype = DatumGetObjectId(SPI_getbinval(tup, td, 4, &isnull));
		f->rettype = DatumGetObjectId(SPI_getbinval(tup, td, 5, &isnull));
		f->retset = DatumGetBool(SPI_getbinval(tup, td, 6, &isnull));
		run->definer_fns = lappend(run->definer_fns, f);
	}
	MemoryContextSwitchTo(oldcxt);
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
			throw_cancel(edata->sqlerrcode);
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
		exec_caught(SPI_OK_INSERT, as, true, NULL, NULL, NULL,
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
			if (create_row(parents[i].relid, parents[i].owner,
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
		if (create_row(t->relid, t->relowner, t->nowner, t->owner_attnums,
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
	exec_caught(SPI_OK_SELECT, t->relowner, true, NULL, NULL, NULL, sql, 1,
				types, &user_a, false, &res);
	*row_json = res.ok ? res.value : NULL;
	*set_value = NULL;
	if (pt->set_col == NULL)
		return;
	sql = psprintf("SELECT probe_t.%s::text FROM %s probe_t "
				   "WHERE probe_t.%s::text = $1::text LIMIT 1",
				   pt->set_col, t->qualname, t->owner_col);
	exec_caught(SPI_OK_SELECT, t->relowner, true, NULL, NULL, NULL, sql, 1,
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
	set_local("row_security", "on");

	users[0] = DirectFunctionCall1(gen_random_uuid, (Datum) 0);
	users[1] = DirectFunctionCall1(gen_random_uuid, (Datum) 0);
	if (!create_auth_users(run, t, users) || !create_rows(run, t, users, &pt))
		return;
	add_memberships(run, t, users);
	read_row_of_a(&pt, users[0], &row_json, &set_value);

	foreach(lc, actors)
	{
		CHECK_FOR_INTERRUPTS();
		try_as_actor(run, (Actor *) lfirst(lc), &pt, users, row_json, set_value);
	}
	if (row_json != NULL)
		try_definer_functions(run, &pt, users, row_json);
}

/*
 * add_memberships
 *		For a table whose rows belong to teams (a scope column: a foreign key
 *		to a table a membership table also references), make each synthetic
 *		user a member of the team of their own row, as the membership
 *		table's owner: B then is a member of a team, only not of A's.  A
 *		policy that lets any member read every team's rows (a membership
 *		test that does not look at the row, a helper that ignores its
 *		argument) is then caught by the tries.  What cannot be made is left
 *		out; the tries run all the same.
 */
static void
add_memberships(AmRlsRun *run, AmRlsTable *t, Datum *users)
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

		exec_caught(SPI_OK_SELECT, t->relowner, true, NULL, NULL, NULL,
					psprintf("SELECT probe_t.%s::pg_catalog.text FROM %s probe_t "
							 "WHERE probe_t.%s::pg_catalog.text = $1::pg_catalog.text LIMIT 1",
							 quote_identifier(get_attname(t->relid, t->scope_attnum, false)),
							 t->qualname, t->owner_col),
					1, &uuidtype, &users[u], false, &res);
		if (!res.ok || res.value == NULL)
			continue;
		team = res.value;
		initStringInfo(&why);
		sql = synth_insert_at(mrel, 1, &muser, NULL, users[u], 1, &why, mteam, team);
		if (sql == NULL)
			continue;
		exec_caught(SPI_OK_INSERT, mowner, true, NULL, NULL, NULL, sql, 1, &uuidtype,
					&users[u], true, &res);
	}
}

/*
 * try_definer_functions
 *		Call every SECURITY DEFINER function that takes the type of the
 *		table's single-column primary key (read_definer_functions()) as
 *		authenticated with user B's claims, passing the key of user A's row,
 *		each call in a subtransaction rolled back.  A function that returns
 *		the table's rows and returns A's, or after which A's row is gone or
 *		changed (read back as the table's owner), is an isolation_breach:
 *		its body does not check who calls it, and PL/pgSQL bodies are not
 *		read structurally.  An error (a refusal, a RAISE) is not.
 */
static void
try_definer_functions(AmRlsRun *run, ProbeTable *pt, Datum *users, const char *row_json)
{
	AmRlsTable *t = pt->t;
	Oid			argtypes[2] = {UUIDOID, OIDOID};
	Datum		args[2];
	Oid			keytype;
	char	   *keycol;
	char	   *key_a;
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
	exec_caught(SPI_OK_SELECT, t->relowner, true, NULL, NULL, NULL,
				psprintf("SELECT probe_t.%s::pg_catalog.text FROM %s probe_t "
						 "WHERE probe_t.%s::pg_catalog.text = $1::pg_catalog.text LIMIT 1",
						 keycol, t->qualname, t->owner_col),
				1, argtypes, &users[0], false, &res);
	if (!res.ok || res.value == NULL)
		return;
	key_a = res.value;

	sub = uuid_str(users[1]);
	claims = psprintf("{\"sub\":\"%s\",\"role\":\"authenticated\",\"aud\":\"authenticated\"}",
					  sub);
	foreach(lc, run->definer_fns)
	{
		AmRlsDefinerFn *f = (AmRlsDefinerFn *) lfirst(lc);
		Oid			texttype = TEXTOID;
		Datum		key = CStringGetTextDatum(key_a);
		char	   *call = psprintf("%s($1::pg_catalog.text::%s)", f->call,
									format_type_be(f->argtype));
		bool		returns_rows = f->rettype == get_rel_type_id(t->relid);
		SubXact		s;
		ExecResult	after;
		bool		reached = false;
		const char *how = NULL;

		if (f->argtype != keytype)
			continue;
		CHECK_FOR_INTERRUPTS();
		sub_begin(&s);
		if (returns_rows)
			exec_caught(SPI_OK_SELECT, run->authenticated, false, claims, sub, "authenticated",
						psprintf("SELECT pg_catalog.count(*) FROM %s probe_r "
								 "WHERE probe_r.%s::pg_catalog.text = %s",
								 call, t->owner_col, quote_literal_cstr(uuid_str(users[0]))),
						1, &texttype, &key, true, &res);
		else
			exec_caught(SPI_OK_SELECT, run->authenticated, false, claims, sub, "authenticated",
						f->retset ? psprintf("SELECT pg_catalog.count(*) FROM %s probe_r", call) :
						psprintf("SELECT %s IS NULL", call),
						1, &texttype, &key, true, &res);
		if (res.ok && returns_rows && res.value != NULL && strcmp(res.value, "0") != 0)
		{
			reached = true;
			how = "read";
		}
		else if (res.ok)
		{
			/* what is left of A's row, read as the table's owner */
			exec_caught(SPI_OK_SELECT, t->relowner, true, NULL, NULL, NULL,
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
		sub_end(&s, false);
		if (reached)
			am_rls_add_finding(run, "error", "isolation_breach", f->name,
							   psprintf("Filter by the caller in %s (AND %s = (select auth.uid())), or make it SECURITY INVOKER so that the policies of %s apply.",
										f->name, t->owner_col, t->qualname),
							   "role authenticated acting as one user could %s another user's row of table \"%s\" by calling SECURITY DEFINER function %s with that row's key",
							   how, t->qualname, f->name);
	}
}

/*
 * synth_expr
 *		An expression for a NOT NULL column without default, from its type's
 *		category (and, for text, its name: an email, a URL), or NULL when
 *		there is nothing sensible to offer.  Integers
 *		are random, so that a key column gets distinct values for A and B.
 */
static const char *
synth_expr(Oid basetype, char category, const char *name)
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
	sql = synth_insert_at(parent, nforced, forced, NULL, user, depth, reason, 0, NULL);
	if (sql == NULL)
		return NULL;
	sql = psprintf("%s RETURNING %s::pg_catalog.text", sql, col);
	exec_caught(SPI_OK_INSERT, owner, true, NULL, NULL, NULL, sql, 1, &uuidtype,
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
	return synth_insert_at(relid, nforced, forced, pt, user, 0, reason, 0, NULL);
}

static char *
synth_insert_at(Oid relid, int nforced, int16 *forced, ProbeTable *pt,
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
			expr = synth_expr(sc->base, sc->category, sc->name);
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
	exec_caught(SPI_OK_INSERT, owner, true, NULL, NULL, NULL, fixture, 1,
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
	exec_caught(SPI_OK_SELECT, owner, true, NULL, NULL, NULL, sql, 1, &uuidtype, &user,
				false, &res);
	return res.ok && res.value != NULL && strcmp(res.value, "0") != 0;
}

/*
 * create_row
 *		Give user (a uuid) a row of table relid, as the table's owner with
 *		FORCE ROW LEVEL SECURITY not applied: first synthesised from the
 *		column types (synth_insert()), then with the table's probe fixture.
 *		On failure returns false with the reasons in *reason.  When pt is
 *		given, fills in the columns the INSERT and UPDATE tries use.
 */
static bool
create_row(Oid relid, Oid owner, int nforced, int16 *forced,
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
	exec_caught(SPI_OK_INSERT, owner, true, NULL, NULL, NULL, sql, 1, &uuidtype,
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
		sub = uuid_str(user_b);
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

	sub_begin(&s);
	if (prelude != NULL)
	{
		ExecResult	pre;

		exec_caught(SPI_OK_DELETE, t->relowner, true, NULL, NULL, NULL, prelude, 1,
					argtypes,
					&prelude_user, true, &pre);
	}
	exec_caught_nulls(strcmp(cmd, "SELECT") == 0 ? SPI_OK_SELECT :
					  strcmp(cmd, "INSERT") == 0 ? SPI_OK_INSERT :
					  strcmp(cmd, "UPDATE") == 0 ? SPI_OK_UPDATE : SPI_OK_DELETE,
					  a->roleid, false, claims, sub, a->role, sql, nargs,
					  argtypes, args, nulls, false, &res);
	sub_end(&s, false);

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

/*
 * exec_caught
 *		Run one statement in a subtransaction of its own as userid, with the
 *		JWT settings given (if claims is not NULL), and catch any error into
 *		*res.  expect is the SPI_OK_* code the statement must return
 *		(SPI_OK_INSERT also accepts SPI_OK_INSERT_RETURNING, for fixtures).
 *		keep releases the subtransaction on success (its rows stay for the
 *		enclosing probe); otherwise it is rolled back.  See
 *		exec_caught_nulls().
 */
static void
exec_caught(int expect, Oid userid, bool noforce, const char *claims, const char *sub,
			const char *role, const char *sql, int nargs, Oid *argtypes,
			Datum *args, bool keep, ExecResult *res)
{
	exec_caught_nulls(expect, userid, noforce, claims, sub, role, sql, nargs,
					  argtypes, args, NULL, keep, res);
}

/*
 * exec_caught_nulls
 *		exec_caught() with SPI-style nulls for the arguments.
 *
 * The statement runs as userid under SECURITY_RESTRICTED_OPERATION (the
 * amcheck pattern: no SET ROLE, no temporary objects, no cursors left
 * open), with SECURITY_NOFORCE_RLS when noforce is set, inside a GUC nest
 * level with search_path pinned to "pg_catalog, pg_temp" and the JWT
 * settings, all reverted by AtEOXact_GUC(false) on success, by the
 * subtransaction's abort on error; the abort also restores the user id and
 * security context, which are restored explicitly on every path anyway.
 * Only the SQLSTATE of an error is kept (never its text, which the probed
 * code controls).  A cancel is re-thrown with a message of our own.
 */
static void
exec_caught_nulls(int expect, Oid userid, bool noforce, const char *claims, const char *sub,
				  const char *role, const char *sql, int nargs, Oid *argtypes,
				  Datum *args, const char *nulls, bool keep, ExecResult *res)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	Oid			save_userid;
	int			save_sec_context;
	volatile int sqlerrcode = 0;
	volatile bool ok = false;
	volatile uint64 processed = 0;
	char	   *volatile value = NULL;

	memset(res, 0, sizeof(*res));
	GetUserIdAndSecContext(&save_userid, &save_sec_context);

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);

	PG_TRY();
	{
		int			ret;
		int			nest;

		nest = NewGUCNestLevel();
		set_saved("search_path", "pg_catalog, pg_temp");
		if (claims != NULL)
		{
			set_saved("request.jwt.claims", claims);
			set_saved("request.jwt.claim.sub", sub);
			set_saved("request.jwt.claim.role", role);
		}
		SetUserIdAndSecContext(userid, save_sec_context |
							   SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION |
							   (noforce ? SECURITY_NOFORCE_RLS : 0));
		ret = SPI_execute_with_args(sql, nargs, argtypes, args, nulls, false, 0);
		SetUserIdAndSecContext(save_userid, save_sec_context);
		AtEOXact_GUC(false, nest);
		if (ret != expect &&
			!(expect == SPI_OK_INSERT && ret == SPI_OK_INSERT_RETURNING))
			elog(ERROR, "SPI_execute_with_args returned %s, expected %s",
				 SPI_result_code_string(ret), SPI_result_code_string(expect));
		processed = SPI_processed;
		if (SPI_tuptable != NULL && SPI_processed > 0 && SPI_tuptable->tupdesc->natts > 0)
		{
			char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

			if (v != NULL)
			{
				MemoryContextSwitchTo(oldcxt);
				value = pstrdup(v);
			}
		}
		ok = true;

		if (keep)
			ReleaseCurrentSubTransaction();
		else
			RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		sqlerrcode = edata->sqlerrcode;
		FreeErrorData(edata);
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_END_TRY();

	/* the abort restored the user id; make sure of it on every path */
	SetUserIdAndSecContext(save_userid, save_sec_context);

	if (sqlerrcode != 0)
	{
		if (sqlerrcode == ERRCODE_QUERY_CANCELED ||
			sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
			throw_cancel(sqlerrcode);
		res->ok = false;
		res->sqlstate = pstrdup(unpack_sql_state(sqlerrcode));
		return;
	}
	res->ok = ok;
	res->processed = processed;
	res->value = value;
}

/*
 * throw_cancel
 *		Re-throw a cancel (57014) or shutdown (57P01) caught from a probe, so
 *		that it still cancels check_rls().  The probed code can raise these
 *		SQLSTATEs itself, with a message of its own, so the message is ours.
 */
static void
throw_cancel(int sqlerrcode)
{
	ereport(ERROR,
			(errcode(sqlerrcode),
			 errmsg("canceling the row level security probes"),
			 errdetail("A statement run by the probes ended with SQLSTATE %s.",
					   unpack_sql_state(sqlerrcode))));
}

/*
 * sub_begin, sub_end
 *		A subtransaction around several exec_caught() calls, the plpython
 *		way: the memory context and resource owner are restored after.
 */
static void
sub_begin(SubXact *s)
{
	s->cxt = CurrentMemoryContext;
	s->owner = CurrentResourceOwner;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(s->cxt);
}

static void
sub_end(SubXact *s, bool commit)
{
	if (commit)
		ReleaseCurrentSubTransaction();
	else
		RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(s->cxt);
	CurrentResourceOwner = s->owner;
}

/*
 * set_local
 *		SET LOCAL name = value; reverted when the enclosing subtransaction
 *		rolls back.
 */
static void
set_local(const char *name, const char *value)
{
	(void) set_config_option(name, value, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
}

/*
 * set_saved
 *		name = value until the current GUC nest level (NewGUCNestLevel())
 *		is closed with AtEOXact_GUC(), the way a function's SET clause works.
 */
static void
set_saved(const char *name, const char *value)
{
	(void) set_config_option(name, value, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

/*
 * uuid_str
 *		A uuid datum as text.
 */
static char *
uuid_str(Datum u)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, u));
}
