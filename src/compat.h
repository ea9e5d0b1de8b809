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
#include "storage/proc.h"

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

#endif							/* AURA_MIGRATE_COMPAT_H */
