/*-------------------------------------------------------------------------
 *
 * recorder.h
 *	  The DDL recorder (recorder.c).
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/recorder.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_RECORDER_H
#define AURA_MIGRATE_RECORDER_H

#include "run.h"

extern void am_recorder_flush(int64 run_id, AmMigration *ms, int n);

#endif							/* AURA_MIGRATE_RECORDER_H */
