/*-------------------------------------------------------------------------
 *
 * run.h
 *	  One run of the engine, shared by its executors (run.c).
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/run.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_RUN_H
#define AURA_MIGRATE_RUN_H

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "nodes/pg_list.h"
#include "utils/elog.h"
#include "utils/palloc.h"

#include "compat.h"
#include "sqlsplit.h"

/* the advisory lock every apply(), migrate(), rollback() and register() takes */
#define AM_ADVISORY_LOCK_KEY	INT64CONST(0x417572614d696772)	/* "AuraMigr" */

/* One pending migration, as loaded from the registry. */
typedef struct AmMigration
{
	char	   *version;
	char	   *name;
	char	   *up_sql;
	char	   *down_sql;		/* rollback() and reset(): what to run */
	char	   *checksum;
	int			statements;
	bool		no_transaction;
	bool		has_requires;
	char	   *requires_hint;
	char	   *source;			/* "bundled" or "user" */
	char	   *registered_by;	/* who registered (or last replaced) it */
	bool		synthesized;	/* reset(): the engine wrote its down SQL */
	Oid			run_as;			/* authority.c: InvalidOid = the caller */
	double		duration_ms;	/* set once applied */
	int			applied_statements; /* and the statements it ran */
	List	   *changes;		/* AmChange *: what it did, as recorded */
	/* rls_gate.c: when gate_scoped, the tables the gate checks after it */
	bool		gate_scoped;
	List	   *gate_relids;	/* Oids, in the run's memory */
} AmMigration;

/*
 * One object a migration created, altered or dropped, as the DDL recorder
 * wrote it to aura_migrate.object_change: kept in memory too, for the
 * post-migration checks.
 */
typedef struct AmChange
{
	char		action;			/* 'c' created, 'a' altered, 'd' dropped */
	Oid			classid;
	Oid			objid;
	int32		objsubid;
	char	   *object_type;
	char	   *identity;
	/* kept when the row is still to be written (am_recorder_flush()) */
	char	   *command_tag;
	char	   *schema_name;	/* NULL when none */
	TimestampTz changed_at;
	char	   *changed_by;
} AmChange;

/* One call of apply(), migrate(), rollback() or reset(). */
typedef struct AmRun
{
	MemoryContext cxt;			/* lives as long as the call, across commits */
	bool		nonatomic;		/* migrate(): commits after each migration */
	bool		down;			/* rollback(), reset(): running down SQL */
	bool		dry_run;		/* apply(dry_run => true): all rolled back */
	bool		out_of_order;	/* out_of_order => true: older versions may run */
	struct HTAB *rls_baseline;	/* rls_gate.c: findings before the run */
	bool		rls_baseline_taken;
	int64		run_id;
	const char *environment;
	char	   *username;
	int			npending;
	AmMigration *pending;
} AmRun;

/* The outcome of one attempt at a migration. */
typedef struct AmAttempt
{
	ErrorData  *edata;			/* NULL when it succeeded */
	AmParsed   *parsed;
	int			stmtno;			/* statement that failed, 0 = none */
	bool		check_failed;	/* the post-migration checks failed */
	double		duration_ms;
} AmAttempt;

/* The error context of a migration's statements. */
typedef struct AmRunErrorContext
{
	ErrorContextCallback cb;
	AmMigration *m;
	int			stmtno;
	int			line;
} AmRunErrorContext;

extern void am_run_init(void);
extern void am_lock_registry(void);
extern void am_require_read_committed(const char *what);
extern void am_start_run(AmRun *run, MemoryContext parent, bool nonatomic);
extern int64 am_next_run_id(void);
extern bool am_prepare_run(AmRun *run, const char *target);

extern void am_run_enter(AmRun *run, AmMigration *m);
extern AmChange *am_run_new_change(void);
extern bool am_run_keeps_changes(void);
extern char *am_run_strdup(const char *s);
extern void am_run_leave(void);
extern const char *am_run_current_version(void);
extern int64 am_run_current_run_id(void);

extern void am_run_push_error_context(AmRunErrorContext *ec, AmMigration *m);
extern void am_run_error_context_at(AmRunErrorContext *ec, int stmtno, int line);
extern void am_run_pop_error_context(AmRunErrorContext *ec);

extern int	am_run_lock_timeout_ms(void);
extern bool am_history_has(const char *version);
extern void am_record_done(AmRun *run, AmMigration *m, int nstmts, double duration_ms);
extern void am_record_done_block(AmRun *run, AmMigration *ms, int n);
pg_noreturn extern void am_report_failure(AmRun *run, AmMigration *m, AmAttempt *att);

#endif							/* AURA_MIGRATE_RUN_H */
