/*-------------------------------------------------------------------------
 *
 * apply.h
 *	  The transactional executor: apply() and migrate() (apply.c).
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/apply.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_APPLY_H
#define AURA_MIGRATE_APPLY_H

#include "nodes/execnodes.h"

#include "run.h"

extern double am_apply_one(AmRun *run, AmMigration *m);
extern void am_run_all(AmRun *run, ReturnSetInfo *rsinfo);

#endif							/* AURA_MIGRATE_APPLY_H */
