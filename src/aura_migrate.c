/*-------------------------------------------------------------------------
 *
 * aura_migrate.c
 *	  Module entry point of the aura_migrate engine.
 *
 * _PG_init only calls each part's init: the settings first (settings.c
 * defines every aura_migrate.* setting, then reserves the prefix), then the
 * guard's hooks.  The library needs no shared_preload_libraries entry: it is
 * loaded the first time one of its functions runs.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/aura_migrate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "compat.h"
#include "guard.h"
#include "run.h"
#include "settings.h"

AM_MODULE_MAGIC;

void		_PG_init(void);

/*
 * _PG_init
 *		Initialise each part of the engine.
 */
void
_PG_init(void)
{
	am_settings_init();
	am_guard_init();
	am_run_init();
}
