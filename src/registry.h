/*-------------------------------------------------------------------------
 *
 * registry.h
 *	  The migration registry: validation, storage, and bookkeeping SPI.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/registry.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_REGISTRY_H
#define AURA_MIGRATE_REGISTRY_H

#include "executor/spi.h"

#include "validate.h"

extern Oid	am_extension_owner(void);
extern void am_require_current_version(void);
extern int	am_spi_owner(const char *sql, int nargs, Oid *argtypes,
						 Datum *values, const char *nulls, long count);
extern char *am_spi_getstr(int row, int col);

#endif							/* AURA_MIGRATE_REGISTRY_H */
