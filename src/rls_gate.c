/*-------------------------------------------------------------------------
 *
 * rls_gate.c
 *	  The row level security gate of apply() and migrate().
 *
 * Before a run's first migration the structural checks of check_rls() are
 * taken over the checked schemas (aura_migrate.checked_schemas): that is the
 * baseline.  Outside development, after each migration (inside its
 * subtransaction, with the other post-migration checks; for apply(), once
 * per block of migrations first, see am_rls_gate_check_block()) they are
 * taken again (over the tables the migrations could have changed the
 * findings of, when that is known: am_rls_gate_scope()), and an error
 * finding the baseline did not have fails the
 * migration, unless the migration acknowledges it with a comment
 * "-- aura:allow <code>" (table_without_rls also covers rls_disabled); what
 * a migration was allowed to add joins the baseline for the ones after it.
 * The SQL editor has the gate the scripts have.  In
 * development the run ends with a NOTICE summing up what it added.  The
 * probes are not run here (they need a superuser and take time); a
 * finding already there before the run never blocks it.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/rls_gate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "nodes/parsenodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "settings.h"
#include "run.h"
#include "rls.h"
#include "rls_gate.h"

/*
 * finding_key
 *		"severity|code|object|message": what makes two findings the same
 *		one.  The severity belongs to it (a warning that a migration turns
 *		into an error is a new error), and so does the message: a table's
 *		owner_not_enforced for DELETE before the run does not cover one for
 *		SELECT after it.
 */
static char *
finding_key(AmRlsFinding *f)
{
	return psprintf("%s|%s|%s|%s", f->severity, f->code, f->object ? f->object : "",
					f->message ? f->message : "");
}

/* hash and match of baseline keys: C strings, by pointer */
static uint32
key_hash(const void *key, Size keysize)
{
	const char *s = *(const char *const *) key;

	return hash_bytes((const unsigned char *) s, (int) strlen(s));
}

static int
key_match(const void *key1, const void *key2, Size keysize)
{
	return strcmp(*(const char *const *) key1, *(const char *const *) key2);
}

/*
 * baseline_add
 *		Add a finding's key to the run's baseline, a hash table in run->cxt
 *		(a finding is looked up there for every finding of every check, so
 *		a list would make each check quadratic in the number of findings).
 */
static void
baseline_add(AmRun *run, AmRlsFinding *f)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(run->cxt);
	char	   *key = finding_key(f);
	bool		found;

	if (run->rls_baseline == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(char *);
		ctl.entrysize = sizeof(char *);
		ctl.hash = key_hash;
		ctl.match = key_match;
		ctl.hcxt = run->cxt;
		run->rls_baseline = hash_create("aura_migrate rls baseline", 256, &ctl,
										HASH_ELEM | HASH_FUNCTION | HASH_COMPARE |
										HASH_CONTEXT);
	}
	(void) hash_search(run->rls_baseline, &key, HASH_ENTER, &found);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * The gate's check after a migration reads only the tables it could have
 * changed the findings of, when that is known: every table check_rls()
 * reads after a migration of 3,000 made each check, and so the run,
 * quadratic.  What a migration changed is what the DDL recorder reported
 * (its changes), plus the tables a GRANT names; it is known when each of
 * its statements is one whose whole effect on the findings shows there
 * (statement_scoped()) and each change is of a table, view, index,
 * sequence, policy, constraint, trigger or default (change_tables()).
 * Anything else (a function, a role, a DO block, a DROP, a schema, ...)
 * makes the gate read everything, as before.  The findings of a table
 * also depend on its neighbours (related_tables()).
 */

/*
 * statement_scoped
 *		Whether a statement's effect on the findings is known from the
 *		DDL recorder's report of it, and for GRANT and REVOKE on tables from
 *		the tables they name (added to *relids).  *ddl is set for a
 *		statement the recorder reports.
 */
static bool
statement_scoped(Node *stmt, List **relids, bool *ddl)
{
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_CreateStmt:
			{
				CreateStmt *cs = (CreateStmt *) stmt;

				/* a parent's findings may depend on its children */
				*ddl = true;
				return cs->inhRelations == NIL && cs->partbound == NULL;
			}
		case T_AlterTableStmt:
			{
				AlterTableStmt *at = (AlterTableStmt *) stmt;

				*ddl = true;
				if (at->objtype != OBJECT_TABLE && at->objtype != OBJECT_INDEX &&
					at->objtype != OBJECT_SEQUENCE && at->objtype != OBJECT_VIEW)
					return false;
				foreach(lc, at->cmds)
				{
					AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);

					if (cmd->subtype == AT_AttachPartition ||
						cmd->subtype == AT_DetachPartition ||
						cmd->subtype == AT_AddInherit ||
						cmd->subtype == AT_DropInherit)
						return false;
				}
				return true;
			}
		case T_IndexStmt:
		case T_CreatePolicyStmt:
		case T_AlterPolicyStmt:
		case T_CreateTrigStmt:
		case T_CommentStmt:
		case T_CreateSeqStmt:
		case T_AlterSeqStmt:
		case T_ViewStmt:
			*ddl = true;
			return true;
		case T_RenameStmt:
			*ddl = true;
			switch (((RenameStmt *) stmt)->renameType)
			{
				case OBJECT_TABLE:
				case OBJECT_COLUMN:
				case OBJECT_INDEX:
				case OBJECT_SEQUENCE:
				case OBJECT_VIEW:
				case OBJECT_POLICY:
				case OBJECT_TABCONSTRAINT:
				case OBJECT_TRIGGER:
					return true;
				default:
					return false;
			}
		case T_GrantStmt:
			{
				GrantStmt  *g = (GrantStmt *) stmt;

				if (g->targtype != ACL_TARGET_OBJECT)
					return false;
				if (g->objtype == OBJECT_SEQUENCE)
					return true;
				if (g->objtype != OBJECT_TABLE)
					return false;
				foreach(lc, g->objects)
				{
					Oid			relid = RangeVarGetRelid((RangeVar *) lfirst(lc), NoLock, true);

					if (!OidIsValid(relid))
						return false;
					*relids = lappend_oid(*relids, relid);
				}
				return true;
			}
		case T_VariableSetStmt:
			{
				const char *name = ((VariableSetStmt *) stmt)->name;

				return name != NULL && strncmp(name, "aura_migrate.", 13) != 0;
			}
		default:
			return false;
	}
}

/*
 * catalog_relid
 *		The table a row of catalog classid (pg_policy, pg_trigger,
 *		pg_attrdef) with Oid objid belongs to; InvalidOid when there is none.
 */
static Oid
catalog_relid(Oid classid, Oid objid)
{
	Relation	catalog = table_open(classid, AccessShareLock);
	AttrNumber	oidcol = classid == PolicyRelationId ? Anum_pg_policy_oid :
		classid == TriggerRelationId ? Anum_pg_trigger_oid : Anum_pg_attrdef_oid;
	HeapTuple	tup = get_catalog_object_by_oid(catalog, oidcol, objid);
	Oid			relid = InvalidOid;

	if (HeapTupleIsValid(tup))
		relid = classid == PolicyRelationId ? ((Form_pg_policy) GETSTRUCT(tup))->polrelid :
			classid == TriggerRelationId ? ((Form_pg_trigger) GETSTRUCT(tup))->tgrelid :
			((Form_pg_attrdef) GETSTRUCT(tup))->adrelid;
	table_close(catalog, AccessShareLock);
	return relid;
}

/*
 * change_tables
 *		Add to *relids the tables (or view) whose findings change c may
 *		have changed; false when that is not known.
 */
static bool
change_tables(AmChange *c, List **relids)
{
	Oid			relid = InvalidOid;

	if (c->classid == RelationRelationId)
	{
		char		relkind = get_rel_relkind(c->objid);

		/* a column dropped: its table is still there */
		if (c->action == 'd' && (c->objsubid == 0 || relkind == '\0'))
			return false;
		switch (relkind)
		{
			case RELKIND_RELATION:
			case RELKIND_PARTITIONED_TABLE:
			case RELKIND_VIEW:
				relid = c->objid;
				break;
			case RELKIND_INDEX:
			case RELKIND_PARTITIONED_INDEX:
				relid = IndexGetRelation(c->objid, true);
				break;
			case RELKIND_SEQUENCE:
				return true;
			default:
				return false;
		}
	}
	else if (c->action == 'd')
		return false;
	else if (c->classid == ConstraintRelationId)
	{
		HeapTuple	tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(c->objid));

		if (HeapTupleIsValid(tup))
		{
			Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);

			relid = con->conrelid;
			if (OidIsValid(relid) && OidIsValid(con->confrelid))
				*relids = lappend_oid(*relids, con->confrelid);
			ReleaseSysCache(tup);
		}
	}
	else if (c->classid == PolicyRelationId || c->classid == TriggerRelationId ||
			 c->classid == AttrDefaultRelationId)
		relid = catalog_relid(c->classid, c->objid);

	if (!OidIsValid(relid))
		return false;
	*relids = lappend_oid(*relids, relid);
	return true;
}

/*
 * am_rls_gate_scope
 *		After migration m's statements (parsed) ran, and before the gate's
 *		check: the tables that check reads (m->gate_relids, in the run's
 *		memory) when they are known (m->gate_scoped); otherwise all.
 */
void
am_rls_gate_scope(AmRun *run, AmMigration *m, AmParsed *parsed)
{
	MemoryContext oldcxt;
	List	   *relids = NIL;
	bool		ddl = false;
	ListCell   *lc;
	int			i;

	m->gate_scoped = false;
	m->gate_relids = NIL;
	/* what the recorder does not see (it is off, or event triggers are) */
	if (!am_rls_gate_active(run) || !am_record_ddl ||
		SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA)
		return;

	oldcxt = MemoryContextSwitchTo(run->cxt);
	for (i = 0; i < parsed->nstmts; i++)
		if (!statement_scoped(parsed->stmts[i].raw->stmt, &relids, &ddl))
			goto all;
	if (ddl && m->changes == NIL)
		goto all;				/* the recorder did not run */
	foreach(lc, m->changes)
		if (!change_tables((AmChange *) lfirst(lc), &relids))
			goto all;
	m->gate_scoped = true;
	m->gate_relids = relids;
	MemoryContextSwitchTo(oldcxt);
	return;

all:
	list_free(relids);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * add_referencing
 *		Add to acc the tables with a foreign key to relid (classid
 *		pg_constraint) or a policy that reads it (classid pg_policy), found
 *		through pg_depend's index on what is referenced.
 */
static List *
add_referencing(List *acc, Oid relid, Oid classid)
{
	Relation	dep = table_open(DependRelationId, AccessShareLock);
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;

	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(RelationRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(dep, DependReferenceIndexId, true, NULL, 2, key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_depend d = (Form_pg_depend) GETSTRUCT(tup);
		Oid			found = InvalidOid;

		if (d->classid != classid)
			continue;
		if (classid == ConstraintRelationId)
		{
			HeapTuple	con = SearchSysCache1(CONSTROID, ObjectIdGetDatum(d->objid));

			if (HeapTupleIsValid(con))
			{
				if (((Form_pg_constraint) GETSTRUCT(con))->contype == CONSTRAINT_FOREIGN)
					found = ((Form_pg_constraint) GETSTRUCT(con))->conrelid;
				ReleaseSysCache(con);
			}
		}
		else
			found = catalog_relid(classid, d->objid);
		if (OidIsValid(found))
			acc = list_append_unique_oid(acc, found);
	}
	systable_endscan(scan);
	table_close(dep, AccessShareLock);
	return acc;
}

/*
 * add_referenced
 *		Add to acc the tables relid's foreign keys reference.
 */
static List *
add_referenced(List *acc, Oid relid)
{
	Relation	rel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, ConstraintRelidTypidNameIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);

		if (con->contype == CONSTRAINT_FOREIGN && OidIsValid(con->confrelid))
			acc = list_append_unique_oid(acc, con->confrelid);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return acc;
}

/*
 * related_tables
 *		The tables whose findings a change to the tables (and views) relids
 *		may change, as an oid[]: they, the tables at either end of their
 *		foreign keys, the tables with a foreign key to one of those other
 *		than the users (a membership table makes its siblings' scope
 *		columns, rls_scope.c), and the tables whose policies read them.
 *		Read through the catalogs' indexes, never a scan: this runs after
 *		every migration.
 */
static Datum
related_tables(List *relids)
{
	List	   *t = NIL;
	List	   *x = NIL;
	List	   *all;
	ListCell   *lc;
	Datum	   *elems;
	int			n = 0;

	foreach(lc, relids)
		t = list_append_unique_oid(t, lfirst_oid(lc));
	foreach(lc, t)
	{
		x = add_referenced(x, lfirst_oid(lc));
		x = add_referencing(x, lfirst_oid(lc), ConstraintRelationId);
	}
	all = list_copy(t);
	foreach(lc, x)
	{
		Oid			relid = lfirst_oid(lc);
		char	   *name = get_rel_name(relid);

		all = list_append_unique_oid(all, relid);
		if (name != NULL && strcmp(name, "users") != 0)
			all = add_referencing(all, relid, ConstraintRelationId);
	}
	foreach(lc, t)
		all = add_referencing(all, lfirst_oid(lc), PolicyRelationId);

	elems = palloc(sizeof(Datum) * (list_length(all) + 1));
	foreach(lc, all)
		elems[n++] = ObjectIdGetDatum(lfirst_oid(lc));
	return PointerGetDatum(construct_array(elems, n, OIDOID, sizeof(Oid),
										   true, TYPALIGN_INT));
}

/*
 * collect
 *		The structural findings of the checked schemas now: of the tables
 *		related to relids only when scoped, else of all.  The caller
 *		deletes rr->cxt.
 */
static List *
collect(AmRlsRun *rr, bool scoped, List *relids)
{
	/*
	 * check_rls() reads with the active snapshot, which here is that of
	 * the statement that called apply(): take one that sees what the
	 * migration just did.
	 */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (scoped)
	{
		am_rls_collect_only(rr, am_checked_schemas_array(), related_tables(relids));
		if (rr->incomplete)
		{
			MemoryContextDelete(rr->cxt);
			scoped = false;
		}
	}
	if (!scoped)
		am_rls_collect(rr, am_checked_schemas_array(), false, (Datum) 0);
	PopActiveSnapshot();
	if (scoped)
		ereport(DEBUG1,
				(errmsg_internal("row level security gate: %ld tables checked, those changed and their neighbours",
								 hash_get_num_entries(rr->tables))));
	else
		ereport(DEBUG1,
				(errmsg_internal("row level security gate: every table checked")));
	return rr->findings;
}

/*
 * sql_allows
 *		Whether a comment "aura:allow <codes>" anywhere in sql lists code.
 */
static bool
sql_allows(const char *sql, const char *code)
{
	size_t		clen = strlen(code);
	const char *p = sql;

	while ((p = strstr(p, "aura:allow")) != NULL)
	{
		p += 10;
		while (*p != '\0' && *p != '\n')
		{
			while (*p == ' ' || *p == '\t' || *p == ',')
				p++;
			if (strncmp(p, code, clen) == 0 &&
				!(isalnum((unsigned char) p[clen]) || p[clen] == '_'))
				return true;
			while (*p != '\0' && *p != '\n' && *p != ' ' && *p != '\t' && *p != ',')
				p++;
		}
	}
	return false;
}

/*
 * acknowledged
 *		Whether migration SQL acknowledges a finding: "aura:allow <code>",
 *		or for rls_disabled also the post-migration check's and lint's name
 *		for the same fact, table_without_rls.
 */
static bool
acknowledged(const char *sql, const char *code)
{
	if (sql == NULL)
		return false;
	if (sql_allows(sql, code))
		return true;
	return strcmp(code, "rls_disabled") == 0 && sql_allows(sql, "table_without_rls");
}

/*
 * am_rls_gate_begin
 *		Take the baseline of a run: the keys of the error and warning
 *		findings before its first migration, kept in run->cxt.
 */
void
am_rls_gate_begin(AmRun *run)
{
	AmRlsRun	rr;
	ListCell   *lc;

	run->rls_baseline = NULL;
	run->rls_baseline_taken = false;
	if (!am_rls_gate)
		return;
	foreach(lc, collect(&rr, false, NIL))
	{
		AmRlsFinding *f = (AmRlsFinding *) lfirst(lc);

		if (strcmp(f->severity, "info") == 0)
			continue;
		baseline_add(run, f);
	}
	MemoryContextDelete(rr.cxt);
	run->rls_baseline_taken = true;
}

/*
 * is_new
 *		Whether a finding was not in the run's baseline.
 */
static bool
is_new(AmRun *run, AmRlsFinding *f)
{
	char	   *key = finding_key(f);
	bool		found = false;

	if (run->rls_baseline != NULL)
		(void) hash_search(run->rls_baseline, &key, HASH_FIND, &found);
	pfree(key);
	return !found;
}

/*
 * am_rls_gate_check
 *		Outside development: fail migration m (raise, inside its
 *		subtransaction) when it added an error finding it does not
 *		acknowledge.  Called after its other post-migration checks.
 */
void
am_rls_gate_check(AmRun *run, AmMigration *m)
{
	AmRlsRun	rr;
	ListCell   *lc;
	AmRlsFinding *first = NULL;
	int			nnew = 0;
	List	   *accepted = NIL;

	if (!run->rls_baseline_taken || am_effective_environment() == AM_ENV_DEVELOPMENT || run->down)
		return;
	foreach(lc, collect(&rr, m->gate_scoped, m->gate_relids))
	{
		AmRlsFinding *f = (AmRlsFinding *) lfirst(lc);

		if (strcmp(f->severity, "info") == 0 || !is_new(run, f))
			continue;
		if (strcmp(f->severity, "error") != 0 || acknowledged(m->up_sql, f->code))
		{
			accepted = lappend(accepted, f);
			continue;
		}
		if (first == NULL)
			first = f;
		nnew++;
	}
	if (first == NULL)
	{
		/* what this migration was allowed to add does not block the next */
		foreach(lc, accepted)
			baseline_add(run, (AmRlsFinding *) lfirst(lc));
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("post-migration check failed: row level security finding %s on %s",
						first->code, first->object ? first->object : "the schema"),
				 errdetail("%s.  Error findings the migration added: %d; outside development they fail it (SELECT * FROM aura_migrate.check_rls() lists them).",
						   first->message, nnew),
				 errhint("%s  Or acknowledge it with a comment \"-- aura:allow %s\" in the migration.",
						 first->hint ? first->hint : "", first->code)));
	MemoryContextDelete(rr.cxt);
}

/*
 * am_rls_gate_active
 *		Whether the gate checks the migrations of this run: outside
 *		development, going up, with a baseline taken.
 */
bool
am_rls_gate_active(AmRun *run)
{
	return run->rls_baseline_taken && !run->down &&
		am_effective_environment() != AM_ENV_DEVELOPMENT;
}

/*
 * am_rls_gate_check_block
 *		The gate over a block of migrations apply() ran in one
 *		subtransaction (apply.c), checked once after the last: true when
 *		none of them left an error finding the baseline did not have (the
 *		warnings they added join the baseline); false when one did, and the
 *		caller runs the block again checking after each migration, to fail
 *		the one that adds it, exactly as am_rls_gate_check() says.  One
 *		check per block instead of per migration: it reads the tables
 *		related to what any of them changed, when all of them are scoped
 *		(am_rls_gate_scope()), and otherwise every table of the checked
 *		schemas.
 */
bool
am_rls_gate_check_block(AmRun *run, AmMigration *ms, int n)
{
	AmRlsRun	rr;
	ListCell   *lc;
	List	   *accepted = NIL;
	List	   *relids = NIL;
	bool		scoped = true;
	bool		ok = true;
	int			i;

	if (!am_rls_gate_active(run))
		return true;
	for (i = 0; i < n && scoped; i++)
	{
		scoped = ms[i].gate_scoped;
		relids = list_concat(relids, ms[i].gate_relids);
	}
	foreach(lc, collect(&rr, scoped, relids))
	{
		AmRlsFinding *f = (AmRlsFinding *) lfirst(lc);

		if (strcmp(f->severity, "info") == 0 || !is_new(run, f))
			continue;
		if (strcmp(f->severity, "error") == 0)
		{
			ok = false;
			break;
		}
		accepted = lappend(accepted, f);
	}
	if (ok)
		foreach(lc, accepted)
			baseline_add(run, (AmRlsFinding *) lfirst(lc));
	MemoryContextDelete(rr.cxt);
	return ok;
}

/*
 * am_rls_gate_summary
 *		In development, after a run: a NOTICE when the run added findings.
 */
void
am_rls_gate_summary(AmRun *run)
{
	AmRlsRun	rr;
	ListCell   *lc;
	int			nerrors = 0;
	int			nwarnings = 0;

	if (!run->rls_baseline_taken || am_effective_environment() != AM_ENV_DEVELOPMENT || run->down)
		return;
	foreach(lc, collect(&rr, false, NIL))
	{
		AmRlsFinding *f = (AmRlsFinding *) lfirst(lc);

		if (!is_new(run, f))
			continue;
		if (strcmp(f->severity, "error") == 0)
			nerrors++;
		else if (strcmp(f->severity, "warning") == 0)
			nwarnings++;
	}
	MemoryContextDelete(rr.cxt);
	if (nerrors + nwarnings > 0)
		ereport(NOTICE,
				(errmsg("row level security check: the run added %d error and %d warning findings",
						nerrors, nwarnings),
				 errdetail("In development they are reported; in staging and production error findings fail the migration that adds them."),
				 errhint("SELECT * FROM aura_migrate.check_rls() lists them.")));
}
