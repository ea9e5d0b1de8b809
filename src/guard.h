/*-------------------------------------------------------------------------
 *
 * guard.h
 *	  Keeping migrations away from the extension's own objects (guard.c).
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/guard.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_GUARD_H
#define AURA_MIGRATE_GUARD_H

#include "nodes/nodes.h"

/* the extension's sequences, as the guard compares them around a migration */
typedef struct AmSequenceState
{
	int64		run_last;
	bool		run_called;
	int64		log_last;
	bool		log_called;
	int64		change_last;
	bool		has_generation; /* registry_generation exists (0.5 on) */
	int64		generation_last;
} AmSequenceState;

extern void am_guard_init(void);
extern void am_guard_enter(void);
extern void am_guard_leave(void);
extern bool am_guard_suspend(void);
extern void am_guard_resume(bool was);
extern const char *am_guard_statement_target(Node *stmt, bool resolve);
extern void am_guard_sequences(AmSequenceState *state);
extern bool am_guard_sequences_moved(const AmSequenceState *before);
extern void am_guard_check_sequences(const AmSequenceState *before);

#endif							/* AURA_MIGRATE_GUARD_H */
