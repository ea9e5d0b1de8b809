/*-------------------------------------------------------------------------
 *
 * owner.h
 *	  Running bookkeeping as the extension's owner (owner.c).
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/owner.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_OWNER_H
#define AURA_MIGRATE_OWNER_H

#include "executor/spi.h"

extern Oid	am_extension_owner(void);
extern Oid	am_owner_of_extension(Oid extoid);
extern void am_require_current_version(void);
extern int	am_spi_owner(const char *sql, int nargs, Oid *argtypes,
						 Datum *values, const char *nulls, long count);
extern char *am_spi_getstr(int row, int col);

#endif							/* AURA_MIGRATE_OWNER_H */
