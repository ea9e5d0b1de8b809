/*-------------------------------------------------------------------------
 *
 * checksum.h
 *	  SHA-256 of migration SQL (checksum.c).
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/checksum.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_CHECKSUM_H
#define AURA_MIGRATE_CHECKSUM_H

extern char *am_sha256_hex(const char *data, size_t len);

#endif							/* AURA_MIGRATE_CHECKSUM_H */
