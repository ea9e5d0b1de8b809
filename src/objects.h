/*-------------------------------------------------------------------------
 *
 * objects.h
 *	  The DDL recorder and the post-migration checks (objects.c).
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/objects.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_OBJECTS_H
#define AURA_MIGRATE_OBJECTS_H

extern void am_post_check(const char *version, int64 run_id);

#endif							/* AURA_MIGRATE_OBJECTS_H */
