/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  Differences between the PostgreSQL major versions aura_migrate
 *	  builds against, at file scope, so that no function body needs an
 *	  #if on PG_VERSION_NUM.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_COMPAT_H
#define AURA_MIGRATE_COMPAT_H

#include "catalog/pg_database.h"
#include "fmgr.h"
#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"
#include "storage/proc.h"
#include "tcop/pquery.h"
#include "utils/regproc.h"

/*
 * The module's magic block.  From 18 on it also carries the module's name
 * and version, which pg_get_loaded_modules() reports.
 */
#ifdef PG_MODULE_MAGIC_EXT
#define AM_MODULE_MAGIC \
	PG_MODULE_MAGIC_EXT(.name = "aura_migrate", .version = AM_EXTVERSION)
#else
#define AM_MODULE_MAGIC PG_MODULE_MAGIC
#endif

/*
 * A function that never returns.  18 spells it pg_noreturn, in front of the
 * declaration, and no longer has pg_attribute_noreturn(); earlier majors'
 * attribute is accepted in front of a declaration as well.
 */
#ifndef pg_noreturn
#define pg_noreturn pg_attribute_noreturn()
#endif

/* the local transaction id of this backend's current transaction */
#if PG_VERSION_NUM >= 170000
#define AM_MY_LXID()	(MyProc->vxid.lxid)
#else
#define AM_MY_LXID()	(MyProc->lxid)
#endif

/* ownership checks: one function for every catalog from PostgreSQL 16 on */
#if PG_VERSION_NUM >= 160000
#define AM_DATABASE_OWNERCHECK(dboid, roleid) \
	object_ownercheck(DatabaseRelationId, (dboid), (roleid))
#else
#define AM_DATABASE_OWNERCHECK(dboid, roleid) \
	pg_database_ownercheck((dboid), (roleid))
#endif

/* privilege checks on a database */
#if PG_VERSION_NUM >= 160000
#define AM_DATABASE_ACLCHECK(dboid, roleid, mode) \
	object_aclcheck(DatabaseRelationId, (dboid), (roleid), (mode))
#else
#define AM_DATABASE_ACLCHECK(dboid, roleid, mode) \
	pg_database_aclcheck((dboid), (roleid), (mode))
#endif

/* privilege checks on a schema */
#if PG_VERSION_NUM >= 160000
#define AM_NAMESPACE_ACLCHECK(nspoid, roleid, mode) \
	object_aclcheck(NamespaceRelationId, (nspoid), (roleid), (mode))
#else
#define AM_NAMESPACE_ACLCHECK(nspoid, roleid, mode) \
	pg_namespace_aclcheck((nspoid), (roleid), (mode))
#endif

/*
 * The executor's permission check hook.  From 16 on it receives the list of
 * RTEPermissionInfo beside the range table, and the permissions a relation
 * requires are there instead of in its RangeTblEntry.
 *
 * AM_DEFINE_CHECK_PERMS_HOOK(name, check, prev) defines the static hook
 * function "name" with this major's signature.  It calls
 * check(Oid relid, AclMode requiredPerms) for every relation whose
 * permissions the executor checks, then returns what the hook installed
 * before it, prev (a variable, NULL when there was none), returns.
 */
#if PG_VERSION_NUM >= 160000
#define AM_DEFINE_CHECK_PERMS_HOOK(name, check, prev) \
static bool \
name(List *rangeTable, List *rtePermInfos, bool ereport_on_violation) \
{ \
	ListCell   *lc; \
\
	foreach(lc, rtePermInfos) \
	{ \
		RTEPermissionInfo *perminfo = lfirst_node(RTEPermissionInfo, lc); \
\
		check(perminfo->relid, perminfo->requiredPerms); \
	} \
	if (prev) \
		return prev(rangeTable, rtePermInfos, ereport_on_violation); \
	return true; \
}
#else
#define AM_DEFINE_CHECK_PERMS_HOOK(name, check, prev) \
static bool \
name(List *rangeTable, bool ereport_on_violation) \
{ \
	ListCell   *lc; \
\
	foreach(lc, rangeTable) \
	{ \
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc); \
\
		if (rte->rtekind == RTE_RELATION) \
			check(rte->relid, rte->requiredPerms); \
	} \
	if (prev) \
		return prev(rangeTable, ereport_on_violation); \
	return true; \
}
#endif

/*
 * Run a portal to completion, once.  18 dropped PortalRun()'s run_once
 * argument, and with it the choice.
 */
#if PG_VERSION_NUM >= 180000
#define am_portal_run(portal, count, isTopLevel, dest, altdest, qc) \
	PortalRun((portal), (count), (isTopLevel), (dest), (altdest), (qc))
#else
#define am_portal_run(portal, count, isTopLevel, dest, altdest, qc) \
	PortalRun((portal), (count), (isTopLevel), true, (dest), (altdest), (qc))
#endif

/* a type's OID from its name as SQL writes it, InvalidOid when unknown */
#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#include "parser/parse_type.h"
static inline Oid
am_type_by_name(const char *str)
{
	ErrorSaveContext escontext = {T_ErrorSaveContext};
	Oid			typid;
	int32		typmod;

	if (!parseTypeString(str, &typid, &typmod, (Node *) &escontext))
		return InvalidOid;
	return typid;
}
#else
#include "parser/parse_type.h"
static inline Oid
am_type_by_name(const char *str)
{
	Oid			typid;
	int32		typmod;

	parseTypeString(str, &typid, &typmod, true);
	return typid;
}
#endif

/*
 * member may act as role, as SET ROLE would let it (superusers may act as
 * anyone); 16 added the SET option of a membership
 */
#include "utils/acl.h"
#if PG_VERSION_NUM >= 160000
#define am_can_set_role(member, role)	member_can_set_role((member), (role))
#else
#define am_can_set_role(member, role)	is_member_of_role((member), (role))
#endif

#endif							/* AURA_MIGRATE_COMPAT_H */
