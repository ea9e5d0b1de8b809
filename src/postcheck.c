/*-------------------------------------------------------------------------
 *
 * postcheck.c
 *	  The checks after each migration, inside its subtransaction.
 *
 * am_post_check() reads back what the DDL recorder saw a migration create:
 * every object still exists, no index is invalid, and, outside development,
 * every new table in a checked schema has row level security (unless the
 * migration acknowledged it: "-- aura:allow table_without_rls").  A failure
 * rolls the migration back; the run records it as check_failed.  (The row
 * level security gate, rls_gate.c, runs right after.)
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/postcheck.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "owner.h"
#include "postcheck.h"
#include "settings.h"

/*
 * am_post_check
 *		Check what one migration created, within its subtransaction.
 *		Called connected to SPI.  Raises an error on the first failure.
 */
void
am_post_check(const char *version, int64 run_id)
{
	Oid			argtypes[3] = {TEXTOID, INT8OID, NAMEARRAYOID};
	Datum		values[3];
	bool		strict_rls = (am_effective_environment() != AM_ENV_DEVELOPMENT);
	uint64		i;

	if (!am_record_ddl)
		return;

	values[0] = CStringGetTextDatum(version);
	values[1] = Int64GetDatum(run_id);
	values[2] = am_checked_schemas_array();

	if (am_spi_owner("WITH ch AS (SELECT * FROM aura_migrate.object_change "
					 "            WHERE version = $1 AND run_id = $2) "
					 "SELECT c.object_type, c.object_identity, "
					 "  pg_catalog.pg_describe_object(c.classid, c.objid, 0) IS NOT NULL, "
					 "  coalesce((SELECT NOT i.indisvalid FROM pg_catalog.pg_index i "
					 "            WHERE c.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
					 "              AND i.indexrelid = c.objid), false), "
					 "  coalesce((SELECT NOT r.relrowsecurity FROM pg_catalog.pg_class r "
					 "            WHERE c.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
					 "              AND r.oid = c.objid AND r.relkind IN ('r', 'p') "
					 "              AND r.relpersistence <> 't' "
					 "              AND EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n "
					 "                  WHERE n.oid = r.relnamespace AND n.nspname = ANY ($3)) "
					 "              AND NOT EXISTS (SELECT 1 FROM aura_migrate.migration m, "
					 "                  pg_catalog.unnest(m.findings) f WHERE m.version = $1 "
					 "                  AND f.code = 'table_without_rls' AND f.allowed "
					 "                  AND f.object = c.object_identity)), "
					 "           false) "
					 "FROM ch c "
					 "WHERE c.action = 'created' AND c.objsubid = 0 "
					 "AND NOT EXISTS (SELECT 1 FROM ch d WHERE d.action = 'dropped' "
					 "                AND d.classid = c.classid AND d.objid = c.objid) "
					 "ORDER BY c.id",
					 3, argtypes, values, NULL, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read what migration %s changed", version);

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *type = SPI_getvalue(tup, td, 1);
		char	   *identity = SPI_getvalue(tup, td, 2);

		if (!DatumGetBool(SPI_getbinval(tup, td, 3, &isnull)))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("post-migration check failed: %s %s no longer exists", type, identity),
					 errdetail("Migration %s created it and it is gone when the migration ends.", version)));
		if (DatumGetBool(SPI_getbinval(tup, td, 4, &isnull)))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("post-migration check failed: index %s is invalid", identity),
					 errdetail("Migration %s created it; an invalid index is never used and still slows writes.", version),
					 errhint("Drop it and create it again.")));
		if (strict_rls && DatumGetBool(SPI_getbinval(tup, td, 5, &isnull)))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("post-migration check failed: table %s has no row level security", identity),
					 errdetail("Migration %s created it in a checked schema (aura_migrate.checked_schemas).", version),
					 errhint("Add ALTER TABLE %s ENABLE ROW LEVEL SECURITY to the migration.", identity)));
	}
}
