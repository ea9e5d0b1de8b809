/*-------------------------------------------------------------------------
 *
 * owner.c
 *	  Running bookkeeping as the extension's owner.
 *
 * The registry, the history and the log belong to the extension's owner.
 * Every statement the engine runs on them goes through am_spi_owner():
 * as that owner (the amcheck pattern), under SECURITY_RESTRICTED_OPERATION,
 * with search_path pinned, planned once per backend.  The owner and the
 * installed version are read from the catalogs, never through SQL.  A leaf:
 * it calls no other part of the engine.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/owner.c
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
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "compat.h"
#include "owner.h"

/* the extension's row in pg_extension, read once per transaction */
static Oid	cached_owner = InvalidOid;
static char cached_version[NAMEDATALEN];
static LocalTransactionId cached_lxid = InvalidLocalTransactionId;

/*
 * read_extension_row
 *		Read the owner and installed version of extension aura_migrate from
 *		the catalogs, never through SQL: a caller's search_path (an
 *		operator or function of its own shadowing a built-in one) must not
 *		be able to choose the role the bookkeeping runs as.
 */
static void
read_extension_row(void)
{
	Oid			extoid;
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			owner = InvalidOid;

	if (OidIsValid(cached_owner) && cached_lxid == AM_MY_LXID())
		return;

	extoid = get_extension_oid("aura_migrate", true);
	if (OidIsValid(extoid))
	{
		rel = table_open(ExtensionRelationId, AccessShareLock);
		ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(extoid));
		scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
		tup = systable_getnext(scan);
		if (HeapTupleIsValid(tup))
		{
			bool		isnull;
			Datum		v = heap_getattr(tup, Anum_pg_extension_extversion,
										 RelationGetDescr(rel), &isnull);

			owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
			strlcpy(cached_version, isnull ? "" : TextDatumGetCString(v),
					sizeof(cached_version));
		}
		systable_endscan(scan);
		table_close(rel, AccessShareLock);
	}
	if (!OidIsValid(owner))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"aura_migrate\" is not installed in this database"),
				 errhint("Run CREATE EXTENSION aura_migrate.")));
	cached_owner = owner;
	cached_lxid = AM_MY_LXID();
}

/*
 * am_owner_of_extension
 *		The owner of extension extoid, read from the catalog, or InvalidOid
 *		when there is no such extension.
 */
Oid
am_owner_of_extension(Oid extoid)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			owner = InvalidOid;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return owner;
}

/*
 * am_extension_owner
 *		The role that owns the extension and so its tables.
 */
Oid
am_extension_owner(void)
{
	read_extension_row();
	return cached_owner;
}

/*
 * am_require_current_version
 *		Refuse to run migrations while the installed SQL objects are of
 *		another version than this library (new binaries installed, ALTER
 *		EXTENSION ... UPDATE not yet run).
 */
void
am_require_current_version(void)
{
	read_extension_row();
	if (strcmp(cached_version, AM_EXTVERSION) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"aura_migrate\" is at version %s, but its library is version %s",
						cached_version, AM_EXTVERSION),
				 errdetail("The library was updated and the extension's objects were not; nothing was done."),
				 errhint("Run ALTER EXTENSION aura_migrate UPDATE.")));
}

/*
 * The bookkeeping statements are few and run often (several per
 * migration, one per DDL command for the recorder): each is planned once
 * per backend and kept, keyed by its text.  The plan cache revalidates
 * them when the extension's tables change.
 */
#define AM_PLAN_CACHE_SIZE 64

typedef struct AmCachedPlan
{
	char	   *sql;
	SPIPlanPtr	plan;
} AmCachedPlan;

static AmCachedPlan plan_cache[AM_PLAN_CACHE_SIZE];
static int	plan_cache_used = 0;

/*
 * cached_plan
 *		The kept plan for sql, prepared now if need be; NULL when the cache
 *		is full (the caller then plans it once).
 */
static SPIPlanPtr
cached_plan(const char *sql, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan;
	int			i;

	for (i = 0; i < plan_cache_used; i++)
		if (strcmp(plan_cache[i].sql, sql) == 0)
			return plan_cache[i].plan;
	if (plan_cache_used >= AM_PLAN_CACHE_SIZE)
		return NULL;

	plan = SPI_prepare(sql, nargs, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	plan_cache[plan_cache_used].sql = MemoryContextStrdup(CacheMemoryContext, sql);
	plan_cache[plan_cache_used].plan = plan;
	plan_cache_used++;
	return plan;
}

/*
 * am_spi_owner
 *		Run one bookkeeping statement as the extension's owner.
 *
 * The caller's user id is restored afterwards; on error the transaction
 * machinery restores it.  The statement runs read-write (see below), and
 * its plan is kept (cached_plan).  SECURITY_RESTRICTED_OPERATION keeps the owner's
 * rights from leaking into anything the statement might call.  Returns the
 * SPI result code, which is checked here against errors only; callers
 * check for the exact SPI_OK_* they expect.
 */
int
am_spi_owner(const char *sql, int nargs, Oid *argtypes, Datum *values,
			 const char *nulls, long count)
{
	Oid			save_userid;
	int			save_sec_context;
	Oid			owner = am_extension_owner();
	SPIPlanPtr	plan;
	int			ret;
	int			nest;

	/*
	 * The statement runs with the owner's rights: names in it must not
	 * resolve through the caller's search_path (a function of the caller's
	 * shadowing a built-in one would run as the owner).  Plans remember the
	 * search_path they were made under, so pinning it keeps them valid.
	 */
	nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);

	/*
	 * Switch before planning: parse analysis checks the caller's rights on
	 * the extension's schema and tables, which a role that only runs DDL
	 * (and so fires the recorder) does not have.
	 */
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	plan = cached_plan(sql, nargs, argtypes);

	/*
	 * Never read-only: a read-only SPI call would use the snapshot of the
	 * caller's statement, taken before the advisory lock and before this
	 * call's own changes, and so could miss a migration applied meanwhile.
	 */
	if (plan != NULL)
		ret = SPI_execute_plan(plan, values, nulls, false, count);
	else
		ret = SPI_execute_with_args(sql, nargs, argtypes, values, nulls,
									false, count);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	AtEOXact_GUC(false, nest);

	if (ret < 0)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(ret));
	return ret;
}

/*
 * am_spi_getstr
 *		A column of the last SPI result as a string palloc'd in the caller's
 *		context (the upper executor context), or NULL.
 */
char *
am_spi_getstr(int row, int col)
{
	char	   *v = SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
	char	   *copy;

	if (v == NULL)
		return NULL;
	copy = SPI_palloc(strlen(v) + 1);
	strcpy(copy, v);
	return copy;
}

