/*-------------------------------------------------------------------------
 *
 * checksum.c
 *	  SHA-256 checksums of migration SQL.
 *
 * The registry stores the SHA-256 of each migration's up SQL, and history
 * keeps the checksum that was applied; comparing the two finds a migration
 * that was edited after it ran (drift).  The checksum is of the exact bytes
 * registered, in lower-case hex.  A trigger keeps the stored checksum true
 * to the stored SQL however the row is written, so that drift checks
 * compare two columns instead of hashing every migration again.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/checksum.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/rel.h"

#include "settings.h"
#include "checksum.h"

PG_FUNCTION_INFO_V1(aura_migrate_checksum);
PG_FUNCTION_INFO_V1(aura_migrate_checksum_trigger);

/*
 * am_sha256_hex
 *		Lower-case hex SHA-256 of len bytes, palloc'd.
 */
char *
am_sha256_hex(const char *data, size_t len)
{
	pg_cryptohash_ctx *ctx;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *hex;

	ctx = pg_cryptohash_create(PG_SHA256);
	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) data, len) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
	{
		char	   *why = pstrdup(pg_cryptohash_error(ctx));

		pg_cryptohash_free(ctx);
		elog(ERROR, "could not compute SHA-256 checksum: %s", why);
	}
	pg_cryptohash_free(ctx);

	hex = palloc(PG_SHA256_DIGEST_LENGTH * 2 + 1);
	hex_encode((const char *) digest, PG_SHA256_DIGEST_LENGTH, hex);
	hex[PG_SHA256_DIGEST_LENGTH * 2] = '\0';
	return hex;
}

/*
 * aura_migrate_checksum
 *		SQL: aura_migrate.checksum(sql text) RETURNS text
 *
 * The checksum that register() stores for this SQL.  Immutable, callable
 * by anyone.
 */
Datum
aura_migrate_checksum(PG_FUNCTION_ARGS)
{
	text	   *sql = PG_GETARG_TEXT_PP(0);

	PG_RETURN_TEXT_P(cstring_to_text(am_sha256_hex(VARDATA_ANY(sql),
												   VARSIZE_ANY_EXHDR(sql))));
}

/*
 * aura_migrate_checksum_trigger
 *		SQL: aura_migrate._checksum_trigger() RETURNS trigger
 *
 * BEFORE INSERT OR UPDATE on aura_migrate.migration: sets checksum to the
 * SHA-256 of up_sql, so that an up_sql edited by hand shows as drift.
 */
Datum
aura_migrate_checksum_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	tupdesc;
	HeapTuple	tuple;
	int			sql_attnum;
	int			sum_attnum;
	bool		isnull;
	Datum		sql;
	Datum		newval;
	bool		newnull = false;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("aura_migrate._checksum_trigger() must run as a BEFORE ROW trigger")));

	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;
	tupdesc = RelationGetDescr(trigdata->tg_relation);
	sql_attnum = SPI_fnumber(tupdesc, "up_sql");
	sum_attnum = SPI_fnumber(tupdesc, "checksum");
	if (sql_attnum <= 0 || sum_attnum <= 0)
		elog(ERROR, "aura_migrate.migration lacks up_sql or checksum");

	sql = heap_getattr(tuple, sql_attnum, tupdesc, &isnull);
	if (isnull)
		return PointerGetDatum(tuple);	/* the NOT NULL constraint says why */
	{
		text	   *t = DatumGetTextPP(sql);

		newval = CStringGetTextDatum(am_sha256_hex(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)));
	}
	return PointerGetDatum(heap_modify_tuple_by_cols(tuple, tupdesc, 1, &sum_attnum,
													 &newval, &newnull));
}
