/*-------------------------------------------------------------------------
 *
 * guard.c
 *	  Keeping migrations away from the extension's own objects.
 *
 * While a migration's statement runs, the extension, its schema and every
 * object in it (the registry, the history the migration is being recorded
 * in, the log) cannot be dropped, altered, truncated or written to.
 * register() already refuses the plain cases from the parse tree; this
 * guard catches the rest at run time: CASCADE, dynamic SQL in DO blocks,
 * functions that write the tables.  An object access hook sees drops,
 * alterations, truncations and new columns or relations in the schema;
 * an executor permission hook sees DML.
 *
 * The hooks cost nothing outside a migration: they test one flag.  The
 * flag is cleared at the end of every (sub)transaction as well, so an
 * error can never leave it set.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "commands/extension.h"
#include "executor/executor.h"
#include "nodes/parsenodes.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"

#include "aura_migrate.h"

static bool guard_active = false;
static int	guard_level = 0;		/* transaction nest level that set it */
static Oid	guard_schema = InvalidOid;
static Oid	guard_extension = InvalidOid;

static object_access_hook_type prev_object_access_hook = NULL;
static ExecutorCheckPerms_hook_type prev_check_perms_hook = NULL;

static void guard_refuse(const char *what) pg_attribute_noreturn();

/*
 * guard_refuse
 *		The error raised when a migration reaches for the extension.
 */
static void
guard_refuse(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("a migration must not change extension \"aura_migrate\""),
			 errdetail("The statement would %s.", what),
			 errhint("Migrations cannot alter the registry and history they are recorded in.")));
}

/*
 * guard_object_access
 *		Object access hook: refuse drops, alterations and truncations of the
 *		extension, its schema, or any object in its schema or belonging to it.
 */
static void
guard_object_access(ObjectAccessType access, Oid classId, Oid objectId,
					int subId, void *arg)
{
	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);

	if (!guard_active)
		return;

	/* new columns, indexes or tables in the extension's schema */
	if (access == OAT_POST_CREATE)
	{
		if (classId == RelationRelationId)
		{
			/* a new relation is in the relcache before the syscache sees it */
			Relation	rel = RelationIdGetRelation(objectId);
			Oid			nsp = InvalidOid;

			if (RelationIsValid(rel))
			{
				nsp = RelationGetNamespace(rel);
				RelationClose(rel);
			}
			if (nsp == guard_schema)
				guard_refuse(subId != 0 ? "add a column to one of its tables" :
							 "create a relation in its schema");
		}
		return;
	}

	if (access != OAT_DROP && access != OAT_POST_ALTER && access != OAT_TRUNCATE)
		return;

	if ((classId == ExtensionRelationId && objectId == guard_extension) ||
		(classId == NamespaceRelationId && objectId == guard_schema) ||
		(classId == RelationRelationId && get_rel_namespace(objectId) == guard_schema) ||
		(OidIsValid(guard_extension) &&
		 getExtensionOfObject(classId, objectId) == guard_extension))
		guard_refuse(access == OAT_DROP ? "drop one of its objects" :
					 access == OAT_TRUNCATE ? "truncate one of its tables" :
					 "alter one of its objects");
}

/*
 * guard_check_perms
 *		Executor permission hook: refuse INSERT, UPDATE and DELETE on the
 *		extension's tables.
 */
static bool
guard_check_perms(List *rangeTable, bool ereport_on_violation)
{
	ListCell   *lc;

	if (guard_active)
	{
		foreach(lc, rangeTable)
		{
			RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

			if (rte->rtekind == RTE_RELATION &&
				(rte->requiredPerms & (ACL_INSERT | ACL_UPDATE | ACL_DELETE)) != 0 &&
				get_rel_namespace(rte->relid) == guard_schema)
				guard_refuse("write to one of its tables");
		}
	}

	if (prev_check_perms_hook)
		return prev_check_perms_hook(rangeTable, ereport_on_violation);
	return true;
}

/*
 * guard_xact_callback, guard_subxact_callback
 *		Never leave the guard on past the (sub)transaction that set it.
 */
static void
guard_xact_callback(XactEvent event, void *arg)
{
	guard_active = false;
	/* a no-transaction migration spans commits, but never an abort */
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		am_current_version = NULL;
}

static void
guard_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	/*
	 * Only the abort of the subtransaction the guard was set in (or of one
	 * around it) ends it: a migration's own EXCEPTION block must not.
	 */
	if (event == SUBXACT_EVENT_ABORT_SUB &&
		GetCurrentTransactionNestLevel() <= guard_level)
		guard_active = false;
}

/*
 * am_guard_enter
 *		Turn the guard on for the statement about to run.
 */
void
am_guard_enter(void)
{
	guard_schema = get_namespace_oid("aura_migrate", true);
	guard_extension = get_extension_oid("aura_migrate", true);
	guard_level = GetCurrentTransactionNestLevel();
	guard_active = true;
}

/*
 * am_guard_leave
 *		Turn the guard off.
 */
void
am_guard_leave(void)
{
	guard_active = false;
}

/*
 * am_guard_suspend, am_guard_resume
 *		Let the extension's own bookkeeping (the DDL recorder, which fires
 *		inside a migration's statements) write its tables.
 */
bool
am_guard_suspend(void)
{
	bool		was = guard_active;

	guard_active = false;
	return was;
}

void
am_guard_resume(bool was)
{
	guard_active = was;
}

/*
 * am_guard_init
 *		Install the hooks, chaining to any already there.
 */
void
am_guard_init(void)
{
	prev_object_access_hook = object_access_hook;
	object_access_hook = guard_object_access;
	prev_check_perms_hook = ExecutorCheckPerms_hook;
	ExecutorCheckPerms_hook = guard_check_perms;
	RegisterXactCallback(guard_xact_callback, NULL);
	RegisterSubXactCallback(guard_subxact_callback, NULL);
}
