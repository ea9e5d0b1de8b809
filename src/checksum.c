/*-------------------------------------------------------------------------
 *
 * checksum.c
 *	  SHA-256 checksums of migration SQL.
 *
 * The registry stores the SHA-256 of each migration's up SQL, and history
 * keeps the checksum that was applied; comparing the two finds a migration
 * that was edited after it ran (drift).  The checksum is of the exact bytes
 * registered, in lower-case hex.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/checksum.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/cryptohash.h"
#include "common/sha2.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "aura_migrate.h"

PG_FUNCTION_INFO_V1(aura_migrate_checksum);

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
