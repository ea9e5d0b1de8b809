/*-------------------------------------------------------------------------
 *
 * authority.h
 *	  Which role a migration's SQL runs as (authority.c).
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/authority.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_AUTHORITY_H
#define AURA_MIGRATE_AUTHORITY_H

#include "run.h"

/* the caller's identity while a migration runs as another role */
typedef struct AmExecutorSave
{
	Oid			userid;
	int			sec_context;
} AmExecutorSave;

extern bool am_may_register_bundled(void);
extern bool am_sql_is_shipped(const char *version, const char *sql);
extern void am_choose_executor(AmMigration *m, bool shipped);
extern void am_executor_enter(AmMigration *m, AmExecutorSave *save);
extern void am_executor_leave(AmExecutorSave *save);
extern void am_require_registrar_privileges(const char *version,
										   const char *registered_by, bool baseline);

#endif							/* AURA_MIGRATE_AUTHORITY_H */
