/*-------------------------------------------------------------------------
 *
 * postcheck.h
 *	  The checks after each migration (postcheck.c).
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/postcheck.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_POSTCHECK_H
#define AURA_MIGRATE_POSTCHECK_H

#include "nodes/pg_list.h"

extern void am_post_check(const char *version, int64 run_id, List *changes);
extern void am_post_check_recorded(const char *version, int64 run_id);

#endif							/* AURA_MIGRATE_POSTCHECK_H */
