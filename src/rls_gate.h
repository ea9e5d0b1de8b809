/*-------------------------------------------------------------------------
 *
 * rls_gate.h
 *	  The row level security gate of apply() and migrate() (rls_gate.c).
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/rls_gate.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_RLS_GATE_H
#define AURA_MIGRATE_RLS_GATE_H

#include "run.h"

extern void am_rls_gate_begin(AmRun *run);
extern void am_rls_gate_check(AmRun *run, AmMigration *m);
extern bool am_rls_gate_active(AmRun *run);
extern void am_rls_gate_scope(AmRun *run, AmMigration *m, AmParsed *parsed);
extern bool am_rls_gate_check_block(AmRun *run, AmMigration *ms, int n);
extern void am_rls_gate_summary(AmRun *run);

#endif							/* AURA_MIGRATE_RLS_GATE_H */
