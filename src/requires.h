/*-------------------------------------------------------------------------
 *
 * requires.h
 *	  The "-- Requires:" pre-check (requires.c).
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/requires.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_REQUIRES_H
#define AURA_MIGRATE_REQUIRES_H

extern bool am_requirement_exists(const char *item);

#endif							/* AURA_MIGRATE_REQUIRES_H */
