/*-------------------------------------------------------------------------
 *
 * aura_migrate.h
 *	  Settings and module-wide declarations of the aura_migrate engine.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/aura_migrate.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_H
#define AURA_MIGRATE_H

/* aura_migrate.environment */
typedef enum AmEnvironment
{
	AM_ENV_DEVELOPMENT,
	AM_ENV_STAGING,
	AM_ENV_PRODUCTION
} AmEnvironment;

extern int	am_environment;
extern int	am_max_sql_size_kb;

extern const char *am_environment_name(void);

/* the advisory lock every apply(), migrate() and rollback() takes */
#define AM_ADVISORY_LOCK_KEY	INT64CONST(0x417572614d696772)	/* "AuraMigr" */

/* checksum.c */
extern char *am_sha256_hex(const char *data, size_t len);

/* guard.c */
extern void am_guard_init(void);
extern void am_guard_enter(void);
extern void am_guard_leave(void);

/* worker.c */
extern void am_worker_init(void);

#endif							/* AURA_MIGRATE_H */
