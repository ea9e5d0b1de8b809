/*-------------------------------------------------------------------------
 *
 * toplevel.h
 *	  The no-transaction executor of migrate() (toplevel.c).
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/toplevel.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_TOPLEVEL_H
#define AURA_MIGRATE_TOPLEVEL_H

#include "run.h"

extern double am_apply_no_transaction(AmRun *run, AmMigration *m);

#endif							/* AURA_MIGRATE_TOPLEVEL_H */
