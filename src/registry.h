/*-------------------------------------------------------------------------
 *
 * registry.h
 *	  The migration registry: what other files need of registry.c.
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

extern void am_log_registry_event(const char *version, const char *event,
								  const char *checksum, const char *message);

#endif							/* AURA_MIGRATE_REGISTRY_H */
