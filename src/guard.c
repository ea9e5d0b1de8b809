/*-------------------------------------------------------------------------
 *
 * guard.c
 *	  Keeping migrations away from the extension's own objects.
 *
 * While a migration's statement runs, the extension, its schema and every
 * object in it (the registry, the history the migration is being recorded
 * in, the log) cannot be dropped, altered, truncated or written to.
 * register() already refuses the plain cases from the parse tree
 * (am_guard_statement_target() with names as written); this guard catches
 * the rest at run time, with names resolved: CASCADE, dynamic SQL in DO
 * blocks, functions that write the tables.  An object access hook sees
 * drops, alterations, truncations and new columns or relations in the
 * schema; an executor permission hook sees DML; a utility hook sees the
 * statements that attach something to the extension's objects (triggers,
 * rules, policies, statistics, comments, security labels), grant or revoke
 * on them, lock them or create objects in its schema; and the extension's
 * sequences are compared before and after each migration, since nothing
 * else sees nextval() or setval().
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

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/objectaccess.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "nodes/parsenodes.h"
#include "storage/bufmgr.h"
#include "parser/parse_func.h"
#include "tcop/utility.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"

#include "compat.h"
#include "settings.h"
#include "guard.h"
#include "owner.h"
#include "validate.h"

static bool guard_active = false;
static int	guard_level = 0;		/* transaction nest level that set it */
static Oid	guard_schema = InvalidOid;
static Oid	guard_extension = InvalidOid;

static object_access_hook_type prev_object_access_hook = NULL;
static ExecutorCheckPerms_hook_type prev_check_perms_hook = NULL;
static ProcessUtility_hook_type prev_process_utility_hook = NULL;

#define AM_SCHEMA "aura_migrate"

pg_noreturn static void guard_refuse(const char *what);
static void read_sequence(Oid nsp, const char *name, int64 *last, bool *called);

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
 * guard_check_relation
 *		Refuse INSERT, UPDATE and DELETE on the extension's tables: called by
 *		the executor permission hook below for every relation a statement
 *		uses, with the permissions it requires there.
 */
static void
guard_check_relation(Oid relid, AclMode requiredPerms)
{
	if (guard_active &&
		(requiredPerms & (ACL_INSERT | ACL_UPDATE | ACL_DELETE)) != 0 &&
		get_rel_namespace(relid) == guard_schema)
		guard_refuse("write to one of its tables");
}

/*
 * guard_check_perms
 *		Executor permission hook (its signature differs between majors, see
 *		compat.h): guard_check_relation() on each relation, then the
 *		previous hook.
 */
AM_DEFINE_CHECK_PERMS_HOOK(guard_check_perms, guard_check_relation, prev_check_perms_hook)

/*
 * schema_is_ours
 *		Whether a schema named in a statement is the extension's: by name as
 *		written (register time), or by OID (run time).
 */
static bool
schema_is_ours(const char *schemaname, bool resolve)
{
	if (schemaname == NULL)
		return false;
	if (!resolve)
		return strcmp(schemaname, AM_SCHEMA) == 0;
	return OidIsValid(guard_schema) &&
		get_namespace_oid(schemaname, true) == guard_schema;
}

/*
 * relation_is_ours
 *		Whether a RangeVar names one of the extension's relations.  At run
 *		time an unqualified name is resolved through the search path.
 */
static bool
relation_is_ours(RangeVar *rv, bool resolve)
{
	Oid			relid;

	if (rv == NULL)
		return false;
	if (rv->schemaname != NULL || !resolve)
		return schema_is_ours(rv->schemaname, resolve);
	relid = RangeVarGetRelid(rv, NoLock, true);
	return OidIsValid(relid) && get_rel_namespace(relid) == guard_schema;
}

/*
 * qualified_name_is_ours
 *		Whether a qualified name (list of String) is in the extension's
 *		schema.  At run time an unqualified name of an object being created
 *		goes to the creation namespace.
 */
static bool
qualified_name_is_ours(List *names, bool creating, bool resolve)
{
	char	   *schemaname;
	char	   *objname;

	if (names == NIL)
		return false;
	DeconstructQualifiedName(names, &schemaname, &objname);
	if (schemaname != NULL || !resolve || !creating)
		return schema_is_ours(schemaname, resolve);
	return QualifiedNameGetCreationNamespace(names, &objname) == guard_schema;
}

/*
 * function_is_ours
 *		Whether an ObjectWithArgs names one of the extension's routines.
 */
static bool
function_is_ours(ObjectWithArgs *owa, bool resolve)
{
	Oid			funcid;

	if (!resolve || list_length(owa->objname) > 1)
		return qualified_name_is_ours(owa->objname, false, resolve);
	funcid = LookupFuncWithArgs(OBJECT_ROUTINE, owa, true);
	return OidIsValid(funcid) && get_func_namespace(funcid) == guard_schema;
}

/*
 * object_is_ours
 *		Whether the object of a COMMENT or SECURITY LABEL statement is the
 *		extension, its schema, or something in it.
 */
static bool
object_is_ours(ObjectType objtype, Node *object, bool resolve)
{
	ObjectAddress address;
	Relation	rel = NULL;
	bool		ours;

	if (!resolve)
	{
		if (IsA(object, String))
			return (objtype == OBJECT_SCHEMA || objtype == OBJECT_EXTENSION) &&
				strcmp(strVal(object), AM_SCHEMA) == 0;
		if (IsA(object, List))
			return list_length((List *) object) > 1 &&
				IsA(linitial((List *) object), String) &&
				strcmp(strVal(linitial((List *) object)), AM_SCHEMA) == 0;
		if (IsA(object, ObjectWithArgs))
			return function_is_ours((ObjectWithArgs *) object, false);
		return false;
	}

	address = get_object_address(objtype, object, &rel, AccessShareLock, true);
	if (!OidIsValid(address.objectId))
		return false;
	ours = (address.classId == NamespaceRelationId && address.objectId == guard_schema) ||
		(address.classId == ExtensionRelationId && address.objectId == guard_extension) ||
		(rel != NULL && RelationGetNamespace(rel) == guard_schema) ||
		(OidIsValid(guard_extension) &&
		 getExtensionOfObject(address.classId, address.objectId) == guard_extension);
	if (!ours && address.classId != NamespaceRelationId &&
		address.classId != ExtensionRelationId &&
		get_object_namespace(&address) == guard_schema)
		ours = true;
	if (rel != NULL)
		relation_close(rel, NoLock);
	return ours;
}

/*
 * grant_is_ours
 *		Whether a GRANT or REVOKE names the extension's schema or an object
 *		in it.
 */
static bool
grant_is_ours(GrantStmt *g, bool resolve)
{
	ListCell   *lc;

	foreach(lc, g->objects)
	{
		Node	   *obj = lfirst(lc);

		if (IsA(obj, RangeVar) && relation_is_ours((RangeVar *) obj, resolve))
			return true;
		if (IsA(obj, ObjectWithArgs) && function_is_ours((ObjectWithArgs *) obj, resolve))
			return true;
		if (IsA(obj, String) &&
			(g->targtype == ACL_TARGET_ALL_IN_SCHEMA || g->objtype == OBJECT_SCHEMA) &&
			schema_is_ours(strVal(obj), resolve))
			return true;
	}
	return false;
}

/*
 * am_guard_statement_target
 *		What a statement would do to the extension, as the end of the
 *		sentence "The statement would ...", or NULL when it leaves the
 *		extension alone.
 *
 * With resolve false (register time, raw parse tree, no catalog access)
 * only names written with the extension's schema are seen; with resolve
 * true (run time) names are resolved as the statement would resolve them.
 * Drops, ALTERs and truncations are left to the object access hook at run
 * time and to validate.c at register time.
 */
const char *
am_guard_statement_target(Node *stmt, bool resolve)
{
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_CreateTrigStmt:
			if (relation_is_ours(((CreateTrigStmt *) stmt)->relation, resolve))
				return "attach a trigger to one of its tables";
			break;
		case T_RuleStmt:
			if (relation_is_ours(((RuleStmt *) stmt)->relation, resolve))
				return "attach a rule to one of its tables";
			break;
		case T_CreatePolicyStmt:
			if (relation_is_ours(((CreatePolicyStmt *) stmt)->table, resolve))
				return "attach a policy to one of its tables";
			break;
		case T_AlterPolicyStmt:
			if (relation_is_ours(((AlterPolicyStmt *) stmt)->table, resolve))
				return "alter a policy of one of its tables";
			break;
		case T_IndexStmt:
			if (relation_is_ours(((IndexStmt *) stmt)->relation, resolve))
				return "index one of its tables";
			break;
		case T_CreateStatsStmt:
			foreach(lc, ((CreateStatsStmt *) stmt)->relations)
				if (IsA(lfirst(lc), RangeVar) &&
					relation_is_ours(lfirst_node(RangeVar, lc), resolve))
					return "create statistics on one of its tables";
			break;
		case T_LockStmt:
			foreach(lc, ((LockStmt *) stmt)->relations)
				if (relation_is_ours(lfirst_node(RangeVar, lc), resolve))
					return "lock one of its tables";
			break;
		case T_TruncateStmt:
			foreach(lc, ((TruncateStmt *) stmt)->relations)
				if (relation_is_ours(lfirst_node(RangeVar, lc), resolve))
					return "truncate one of its tables";
			break;
		case T_GrantStmt:
			if (grant_is_ours((GrantStmt *) stmt, resolve))
				return "grant or revoke privileges on its schema or objects";
			break;
		case T_AlterDefaultPrivilegesStmt:
			foreach(lc, ((AlterDefaultPrivilegesStmt *) stmt)->options)
			{
				DefElem    *opt = lfirst_node(DefElem, lc);
				ListCell   *lc2;

				if (strcmp(opt->defname, "schemas") != 0)
					continue;
				foreach(lc2, (List *) opt->arg)
					if (schema_is_ours(strVal(lfirst(lc2)), resolve))
						return "change default privileges in its schema";
			}
			break;
		case T_CommentStmt:
			if (object_is_ours(((CommentStmt *) stmt)->objtype,
							   ((CommentStmt *) stmt)->object, resolve))
				return "comment on its schema or objects";
			break;
		case T_SecLabelStmt:
			if (object_is_ours(((SecLabelStmt *) stmt)->objtype,
							   ((SecLabelStmt *) stmt)->object, resolve))
				return "label its schema or objects";
			break;
		case T_CreateFunctionStmt:
			if (qualified_name_is_ours(((CreateFunctionStmt *) stmt)->funcname, true, resolve))
				return "create a routine in its schema";
			break;
		case T_DefineStmt:
			if (qualified_name_is_ours(((DefineStmt *) stmt)->defnames, true, resolve))
				return "create an object in its schema";
			break;
		case T_CompositeTypeStmt:
			if (((CompositeTypeStmt *) stmt)->typevar->schemaname != NULL &&
				schema_is_ours(((CompositeTypeStmt *) stmt)->typevar->schemaname, resolve))
				return "create a type in its schema";
			break;
		case T_CreateEnumStmt:
			if (qualified_name_is_ours(((CreateEnumStmt *) stmt)->typeName, true, resolve))
				return "create a type in its schema";
			break;
		case T_CreateDomainStmt:
			if (qualified_name_is_ours(((CreateDomainStmt *) stmt)->domainname, true, resolve))
				return "create a domain in its schema";
			break;
		case T_CreateSeqStmt:
			if (((CreateSeqStmt *) stmt)->sequence->schemaname != NULL &&
				schema_is_ours(((CreateSeqStmt *) stmt)->sequence->schemaname, resolve))
				return "create a sequence in its schema";
			break;
		case T_AlterSeqStmt:
			if (relation_is_ours(((AlterSeqStmt *) stmt)->sequence, resolve))
				return "alter one of its sequences";
			break;
		case T_ViewStmt:
			if (((ViewStmt *) stmt)->view->schemaname != NULL &&
				schema_is_ours(((ViewStmt *) stmt)->view->schemaname, resolve))
				return "create a view in its schema";
			break;
		default:
			break;
	}
	return NULL;
}

/*
 * guard_process_utility
 *		Utility hook: while a migration's statement runs, refuse utility
 *		statements aimed at the extension (am_guard_statement_target()),
 *		including those run by DO blocks and functions.
 */
static void
guard_process_utility(PlannedStmt *pstmt, const char *queryString,
					  bool readOnlyTree, ProcessUtilityContext context,
					  ParamListInfo params, QueryEnvironment *queryEnv,
					  DestReceiver *dest, QueryCompletion *qc)
{
	if (guard_active)
	{
		const char *what = am_guard_statement_target(pstmt->utilityStmt, true);

		if (what != NULL)
			guard_refuse(what);
	}

	if (prev_process_utility_hook)
		prev_process_utility_hook(pstmt, queryString, readOnlyTree, context,
								  params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

/*
 * read_sequence
 *		The last_value and is_called of the extension's sequence name in
 *		schema nsp, read from the sequence's one tuple under a share lock
 *		on its page, as SELECT from the sequence would show them: no SQL
 *		runs, twice per migration.  Sequences are not transactional, so no
 *		snapshot is involved.
 */
static void
read_sequence(Oid nsp, const char *name, int64 *last, bool *called)
{
	Oid			relid = get_relname_relid(name, nsp);
	Relation	rel;
	Buffer		buf;
	Page		page;
	ItemId		lp;
	HeapTupleData tup;
	Form_pg_sequence_data seq;

	if (!OidIsValid(relid))
		elog(ERROR, "could not read the extension's sequences");
	rel = relation_open(relid, AccessShareLock);
	if (rel->rd_rel->relkind != RELKIND_SEQUENCE)
		elog(ERROR, "could not read the extension's sequences");
	buf = ReadBuffer(rel, 0);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	lp = PageGetItemId(page, FirstOffsetNumber);
	if (PageGetMaxOffsetNumber(page) < FirstOffsetNumber || !ItemIdIsNormal(lp))
		elog(ERROR, "could not read the extension's sequences");
	tup.t_data = (HeapTupleHeader) PageGetItem(page, lp);
	tup.t_len = ItemIdGetLength(lp);
	seq = (Form_pg_sequence_data) GETSTRUCT(&tup);
	*last = seq->last_value;
	*called = seq->is_called;
	UnlockReleaseBuffer(buf);
	relation_close(rel, AccessShareLock);
}

/*
 * am_guard_sequences
 *		The state of the extension's sequences that nothing but the engine
 *		may move: run_seq and log_id_seq, exactly; object_change_id_seq,
 *		which the DDL recorder advances inside a migration, and
 *		registry_generation, which registrations advance, as floors (a
 *		generation set back to one a session remembers would make that
 *		session's next run skip what is pending).
 */
void
am_guard_sequences(AmSequenceState *state)
{
	Oid			nsp = get_namespace_oid(AM_SCHEMA, true);
	bool		called;

	if (!OidIsValid(nsp))
		elog(ERROR, "could not read the extension's sequences");
	read_sequence(nsp, "run_seq", &state->run_last, &state->run_called);
	read_sequence(nsp, "log_id_seq", &state->log_last, &state->log_called);
	read_sequence(nsp, "object_change_id_seq", &state->change_last, &called);
	state->has_generation = OidIsValid(get_relname_relid("registry_generation", nsp));
	state->generation_last = 0;
	if (state->has_generation)
		read_sequence(nsp, "registry_generation", &state->generation_last, &called);
}

/*
 * am_guard_sequences_moved
 *		Whether something moved one of the extension's sequences since
 *		before was taken; if so they are put back (sequences are not
 *		transactional: the rollback of what moved them would leave them
 *		moved).  Called connected to SPI.
 */
bool
am_guard_sequences_moved(const AmSequenceState *before)
{
	AmSequenceState after;

	Oid			argtypes[5] = {INT8OID, BOOLOID, INT8OID, BOOLOID, INT8OID};
	Datum		values[5];

	am_guard_sequences(&after);
	if (after.run_last == before->run_last && after.run_called == before->run_called &&
		after.log_last == before->log_last && after.log_called == before->log_called &&
		after.change_last >= before->change_last &&
		after.generation_last >= before->generation_last)
		return false;

	values[0] = Int64GetDatum(before->run_last);
	values[1] = BoolGetDatum(before->run_called);
	values[2] = Int64GetDatum(before->log_last);
	values[3] = BoolGetDatum(before->log_called);
	values[4] = Int64GetDatum(before->generation_last);
	if (am_spi_owner("SELECT pg_catalog.setval('aura_migrate.run_seq', $1, $2), "
					 "pg_catalog.setval('aura_migrate.log_id_seq', $3, $4), "
					 "pg_catalog.setval('aura_migrate.object_change_id_seq', "
					 "  greatest((SELECT s.last_value FROM aura_migrate.object_change_id_seq s), "
					 "    (SELECT pg_catalog.max(c.id) FROM aura_migrate.object_change c), 1))",
					 4, argtypes, values, NULL, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not restore the extension's sequences");
	if (before->has_generation && after.has_generation &&
		am_spi_owner("SELECT pg_catalog.setval('aura_migrate.registry_generation', "
					 "  greatest((SELECT s.last_value FROM aura_migrate.registry_generation s), $5))",
					 5, argtypes, values, NULL, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not restore the extension's sequences");
	return true;
}

/*
 * am_guard_check_sequences
 *		Refuse, as the guard does, when a migration moved one of the
 *		extension's sequences (nextval(), setval() in its SQL, a DO block or
 *		a function): compared with the state taken before it ran, and put
 *		back first.
 */
void
am_guard_check_sequences(const AmSequenceState *before)
{
	if (am_guard_sequences_moved(before))
		guard_refuse("move one of its sequences");
}

/*
 * guard_xact_callback, guard_subxact_callback
 *		Never leave the guard on past the (sub)transaction that set it.
 */
static void
guard_xact_callback(XactEvent event, void *arg)
{
	guard_active = false;
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
	prev_process_utility_hook = ProcessUtility_hook;
	ProcessUtility_hook = guard_process_utility;
	RegisterXactCallback(guard_xact_callback, NULL);
	RegisterSubXactCallback(guard_subxact_callback, NULL);
}
