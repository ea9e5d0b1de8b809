/*-------------------------------------------------------------------------
 *
 * run.c
 *	  One run of the engine: apply(), migrate(), rollback() or reset().
 *
 * The run core owns what every executor shares: the registry lock, the
 * selection of pending migrations and the checks made before any is
 * applied, the migration being applied now (for the DDL recorder and to
 * refuse a nested run) and the error context of its statements; record.c
 * writes each migration done and reports a failure (recorded durably,
 * then raised with its original SQLSTATE).  The transactional executor
 * (apply.c), the no-transaction executor (toplevel.c) and rollback.c use
 * only this API; the current-migration state is private here and is
 * cleared by a reset callback on the run's memory context, so no error can
 * leave it behind.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/run.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "authority.h"
#include "eventlog.h"
#include "owner.h"
#include "requires.h"
#include "run.h"
#include "settings.h"
#include "validate.h"

/* the run and the migration being applied in this backend, if any */
static AmRun *current_run = NULL;
static AmMigration *current_migration = NULL;

static void precheck(AmRun *run);

/*
 * Where the last run of this backend that found nothing to do (nothing
 * pending, no drift) found the registry's generation: the sequence and its
 * value.  A run that finds the same needs to read nothing else.
 */
static Oid	noop_seq = InvalidOid;
static int64 noop_generation = 0;

/*
 * noop_forget_xact, noop_forget_subxact
 *		A rollback can take back registry changes made before the run that
 *		found nothing to do (it applied them, or they were registered in
 *		the same transaction), while the generation, a sequence, stays: on
 *		any abort the remembered generation is forgotten.
 */
static void
noop_forget_xact(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		noop_seq = InvalidOid;
}

static void
noop_forget_subxact(SubXactEvent event, SubTransactionId mySubid,
					SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		noop_seq = InvalidOid;
}

/*
 * am_run_init
 *		Called from _PG_init.
 */
void
am_run_init(void)
{
	RegisterXactCallback(noop_forget_xact, NULL);
	RegisterSubXactCallback(noop_forget_subxact, NULL);
}

PG_FUNCTION_INFO_V1(aura_migrate_registry_changed);

/*
 * run_context_reset
 *		Memory context reset callback of a run: its migration is no longer
 *		being applied, whatever ended the run.  arg is only compared, never
 *		followed.
 */
static void
run_context_reset(void *arg)
{
	if (current_run == (AmRun *) arg)
	{
		current_run = NULL;
		current_migration = NULL;
	}
}

/*
 * am_run_enter, am_run_leave
 *		Mark migration m of run as the one being applied now, and no longer.
 */
void
am_run_enter(AmRun *run, AmMigration *m)
{
	current_run = run;
	current_migration = m;
	m->changes = NIL;			/* an attempt before left nothing */
}

void
am_run_leave(void)
{
	current_run = NULL;
	current_migration = NULL;
}

/*
 * am_run_keeps_changes, am_run_strdup
 *		Whether the migration being applied keeps its changes in this
 *		backend's memory (see am_run_new_change()); a copy of a string in
 *		the run's memory.
 */
bool
am_run_keeps_changes(void)
{
	return current_run != NULL && current_migration != NULL && current_run->cxt != NULL;
}

char *
am_run_strdup(const char *s)
{
	Assert(current_run != NULL && current_run->cxt != NULL);
	return MemoryContextStrdup(current_run->cxt, s ? s : "");
}

/*
 * am_run_new_change
 *		A new change of the migration being applied, zeroed, appended to
 *		its list in the run's memory, for the DDL recorder to fill in and
 *		am_recorder_flush() to write; NULL when no migration is being
 *		applied in this backend's memory (outside migrations, and in the
 *		worker of a no-transaction migration), where the recorder writes
 *		each row at once.
 */
AmChange *
am_run_new_change(void)
{
	MemoryContext oldcxt;
	AmChange   *c;

	if (current_run == NULL || current_migration == NULL || current_run->cxt == NULL)
		return NULL;
	oldcxt = MemoryContextSwitchTo(current_run->cxt);
	c = palloc0(sizeof(AmChange));
	current_migration->changes = lappend(current_migration->changes, c);
	MemoryContextSwitchTo(oldcxt);
	return c;
}

/*
 * am_run_current_version, am_run_current_run_id
 *		The version and run id of the migration being applied, or NULL and 0.
 */
const char *
am_run_current_version(void)
{
	return current_migration ? current_migration->version : NULL;
}

int64
am_run_current_run_id(void)
{
	return current_run ? current_run->run_id : 0;
}

/*
 * am_lock_registry
 *		Take the transaction-level advisory lock that serialises apply(),
 *		migrate(), rollback() and register().
 */
void
am_lock_registry(void)
{
	DirectFunctionCall1(pg_advisory_xact_lock_int8,
						Int64GetDatum(AM_ADVISORY_LOCK_KEY));
}

/*
 * am_require_read_committed
 *		Refuse a transaction snapshot taken before the registry lock: it
 *		would not see migrations applied (or rolled back) concurrently.
 */
void
am_require_read_committed(const char *what)
{
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("aura_migrate.%s() must run at READ COMMITTED isolation", what),
				 errdetail("A transaction snapshot taken before the migration lock would not see migrations applied concurrently."),
				 errhint("Call it outside an explicit transaction, or in one started with BEGIN ISOLATION LEVEL READ COMMITTED.")));
}

/*
 * am_start_run
 *		Common set-up of apply() and migrate().
 */
void
am_start_run(AmRun *run, MemoryContext parent, bool nonatomic)
{
	MemoryContextCallback *cb;

	/* a migration that calls apply() would recurse until the stack gives */
	if (current_migration != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("aura_migrate cannot apply or roll back migrations from inside migration %s",
						current_migration->version),
				 errhint("A migration's SQL must not call apply(), migrate(), rollback() or reset().")));
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot apply or roll back migrations on a standby"),
				 errhint("Run it on the primary; the standby replays what it does.")));

	am_require_current_version();

	memset(run, 0, sizeof(AmRun));
	run->cxt = AllocSetContextCreate(parent, "aura_migrate run",
									 ALLOCSET_DEFAULT_SIZES);
	run->nonatomic = nonatomic;
	run->environment = am_environment_name();
	run->username = MemoryContextStrdup(run->cxt,
										GetUserNameFromId(GetUserId(), false));

	/*
	 * The run's state goes with its memory, whatever ends it.  The
	 * callback lives in that memory (the AmRun itself is on the caller's
	 * stack, gone by the time an abort deletes the context).
	 */
	cb = MemoryContextAlloc(run->cxt, sizeof(MemoryContextCallback));
	cb->func = run_context_reset;
	cb->arg = run;
	MemoryContextRegisterResetCallback(run->cxt, cb);
}

/*
 * am_next_run_id
 *		A new run id from aura_migrate.run_seq.
 */
int64
am_next_run_id(void)
{
	bool		isnull;

	if (am_spi_owner("SELECT pg_catalog.nextval('aura_migrate.run_seq')",
					 0, NULL, NULL, NULL, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not allocate a run id");
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * check_target
 *		The target of apply(target) or migrate(target) is registered and
 *		for this environment.  Returns false when it is applied already (a
 *		NOTICE says so: there is nothing to do).
 */
static bool
check_target(AmRun *run, const char *target)
{
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	bool		isnull;
	HeapTuple	tup;
	TupleDesc	td;

	values[0] = CStringGetTextDatum(target);
	values[1] = CStringGetTextDatum(run->environment);
	if (am_spi_owner("SELECT EXISTS (SELECT 1 FROM aura_migrate.migration WHERE version = $1), "
					 "EXISTS (SELECT 1 FROM aura_migrate.history WHERE version = $1), "
					 "(SELECT version FROM aura_migrate.migration "
					 "  WHERE aura_migrate.version_key(version) < aura_migrate.version_key($1) "
					 "  ORDER BY aura_migrate.version_key(version) DESC LIMIT 1), "
					 "(SELECT version FROM aura_migrate.migration "
					 "  WHERE aura_migrate.version_key(version) > aura_migrate.version_key($1) "
					 "  ORDER BY aura_migrate.version_key(version) LIMIT 1), "
					 "(SELECT pg_catalog.array_to_string(environments, ', ') "
					 "   FROM aura_migrate.migration WHERE version = $1 "
					 "    AND NOT ($2 = ANY (environments)))",
					 2, argtypes, values, NULL, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not look up target %s", target);
	tup = SPI_tuptable->vals[0];
	td = SPI_tuptable->tupdesc;

	if (!DatumGetBool(SPI_getbinval(tup, td, 1, &isnull)))
	{
		char	   *before = SPI_getvalue(tup, td, 3);
		char	   *after = SPI_getvalue(tup, td, 4);

		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("migration %s is not registered", target),
				 (before || after) ?
				 errdetail("The nearest registered versions are %s and %s.",
						   before ? before : "(none before)",
						   after ? after : "(none after)") :
				 errdetail("No migration is registered."),
				 errhint("SELECT * FROM aura_migrate.status() lists the registered migrations.")));
	}
	if (DatumGetBool(SPI_getbinval(tup, td, 2, &isnull)))
	{
		ereport(NOTICE,
				(errmsg("migration %s is already applied", target),
				 errdetail("Nothing was done.")));
		return false;
	}
	if (SPI_getvalue(tup, td, 5) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration %s is not for environment %s", target, run->environment),
				 errdetail("Its header restricts it to: %s.  Nothing was applied.",
						   SPI_getvalue(tup, td, 5)),
				 errhint("Name a migration of this environment as the target, or none to apply everything pending.")));
	return true;
}

/*
 * read_generation
 *		The registry's generation: sequence aura_migrate.registry_generation
 *		(*seq; InvalidOid before 0.5's objects exist) and its value, read as
 *		the extension's owner after the registry lock was taken.
 */
static void
read_generation(Oid *seq, int64 *generation)
{
	Oid			nsp = get_namespace_oid("aura_migrate", true);
	bool		isnull;

	*seq = OidIsValid(nsp) ? get_relname_relid("registry_generation", nsp) : InvalidOid;
	*generation = 0;
	if (!OidIsValid(*seq))
		return;
	if (am_spi_owner("SELECT last_value FROM aura_migrate.registry_generation",
					 0, NULL, NULL, NULL, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read the registry's generation");
	*generation = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * aura_migrate_registry_changed
 *		SQL: aura_migrate._registry_changed() RETURNS trigger
 *
 * Statement trigger on aura_migrate.migration and aura_migrate.history:
 * advances the registry's generation (a sequence: not undone by a
 * rollback, which only costs a run a read it could have skipped), under
 * the registry lock, which the engine's own changes hold already and which
 * makes a change by hand wait for a run in progress.
 */
Datum
aura_migrate_registry_changed(PG_FUNCTION_ARGS)
{
	Oid			nsp;
	Oid			seq;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("aura_migrate._registry_changed() must be called as a trigger")));
	am_lock_registry();
	nsp = get_namespace_oid("aura_migrate", true);
	seq = OidIsValid(nsp) ? get_relname_relid("registry_generation", nsp) : InvalidOid;
	if (OidIsValid(seq))
		(void) DirectFunctionCall1(nextval_oid, ObjectIdGetDatum(seq));
	return PointerGetDatum(NULL);
}

/*
 * prepare_run
 *		Load the pending migrations up to target and check them all; see
 *		am_prepare_run.
 */
static bool
prepare_run(AmRun *run, const char *target)
{
	Oid			seq = InvalidOid;
	int64		generation = 0;
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	MemoryContext oldcxt;
	uint64		i;

	if (target != NULL && !check_target(run, target))
		return false;

	values[0] = target ? CStringGetTextDatum(target) : (Datum) 0;
	nulls[0] = target ? ' ' : 'n';
	values[1] = CStringGetTextDatum(run->environment);

	/* nothing changed since this backend last found nothing to do? */
	if (target == NULL)
	{
		read_generation(&seq, &generation);
		if (OidIsValid(seq) && seq == noop_seq && generation == noop_generation)
		{
			run->npending = 0;
			run->pending = MemoryContextAllocZero(run->cxt, sizeof(AmMigration));
			return true;
		}
	}

	/*
	 * Anything pending at all?  Versions only, which the primary keys of
	 * both tables answer (an anti-join of two index-only scans); reading
	 * every registered migration's SQL to find none pending made the no-op
	 * run cost grow with what is applied.
	 */
	if (am_spi_owner("SELECT 1 FROM aura_migrate.migration m "
					 "WHERE NOT EXISTS (SELECT 1 FROM aura_migrate.history h "
					 "                  WHERE h.version = m.version) LIMIT 1",
					 0, NULL, NULL, NULL, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the pending migrations");
	if (SPI_processed == 0)
	{
		run->npending = 0;
		run->pending = MemoryContextAllocZero(run->cxt, sizeof(AmMigration));
		precheck(run);
		/* no drift either (it raises): remember where the registry was */
		if (target == NULL)
		{
			noop_seq = seq;
			noop_generation = generation;
		}
		return true;
	}

	/* the pending set, in version order */
	if (am_spi_owner("SELECT m.version, m.name, m.up_sql, m.checksum, m.statements, "
					 "m.no_transaction, m.requires IS NOT NULL, m.requires_hint, "
					 "m.source, m.registered_by "
					 "FROM aura_migrate.migration m "
					 "WHERE NOT EXISTS (SELECT 1 FROM aura_migrate.history h "
					 "                  WHERE h.version = m.version) "
					 "AND ($1::text IS NULL OR "
					 "     aura_migrate.version_key(m.version) <= aura_migrate.version_key($1)) "
					 "AND (m.environments IS NULL OR $2 = ANY (m.environments)) "
					 "ORDER BY aura_migrate.version_key(m.version)",
					 2, argtypes, values, nulls, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the pending migrations");

	oldcxt = MemoryContextSwitchTo(run->cxt);
	run->npending = (int) SPI_processed;
	run->pending = palloc0(sizeof(AmMigration) * Max(run->npending, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		AmMigration *m = &run->pending[i];
		bool		isnull;

		m->version = SPI_getvalue(tup, td, 1);
		m->name = SPI_getvalue(tup, td, 2);
		m->up_sql = SPI_getvalue(tup, td, 3);
		m->checksum = SPI_getvalue(tup, td, 4);
		m->statements = DatumGetInt32(SPI_getbinval(tup, td, 5, &isnull));
		m->no_transaction = DatumGetBool(SPI_getbinval(tup, td, 6, &isnull));
		m->has_requires = DatumGetBool(SPI_getbinval(tup, td, 7, &isnull));
		m->requires_hint = SPI_getvalue(tup, td, 8);
		m->source = SPI_getvalue(tup, td, 9);
		m->registered_by = SPI_getvalue(tup, td, 10);
	}
	MemoryContextSwitchTo(oldcxt);

	precheck(run);
	return true;
}

/*
 * precheck_context
 *		The error context of a refusal in the pre-checks.
 */
static void
precheck_context(void *arg)
{
	errcontext("in the pre-checks of the run, before any migration was applied");
}

/*
 * log_refusal
 *		Record durably that a run was refused in its pre-checks (event
 *		refused), with its own run id, so that report() lists it.
 */
static void
log_refusal(AmRun *run, const char *target, ErrorData *edata)
{
	AmLogEntry	e;
	bool		full = am_effective_environment() == AM_ENV_DEVELOPMENT;

	if (!am_record_failures || edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
		return;
	memset(&e, 0, sizeof(e));
	e.run_id = am_next_run_id();
	e.version = target;
	e.event = "refused";
	e.duration_ms = -1;
	e.sqlstate = unpack_sql_state(edata->sqlerrcode);
	e.message = full ? edata->message : am_redact_error(edata->sqlerrcode, edata->message);
	e.detail = full ? edata->detail : NULL;
	e.environment = run->environment;
	e.username = run->username;
	if (run->nonatomic)
	{
		am_log_insert(&e);
		SPI_commit();
	}
	else
		(void) am_log_durable(&e);
}

/*
 * am_prepare_run
 *		Load the pending migrations up to target and check them all.
 *
 * Called connected to SPI, holding the advisory lock.  Returns false when
 * there is nothing to do because target is already applied (a NOTICE says
 * so); raises an error for an unknown target, a target of another
 * environment, or a failed pre-check.  A refusal is recorded (event
 * refused) before it is raised: the checks run in a subtransaction, so that
 * the record can be written after what they did is rolled back.
 */
bool
am_prepare_run(AmRun *run, const char *target)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile bool result = false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		ErrorContextCallback cb;

		cb.callback = precheck_context;
		cb.arg = NULL;
		cb.previous = error_context_stack;
		error_context_stack = &cb;
		result = prepare_run(run, target);
		error_context_stack = cb.previous;

		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;

		log_refusal(run, target, edata);
		ReThrowError(edata);
	}
	PG_END_TRY();
	return result;
}

/*
 * check_drift
 *		No applied migration's registered SQL changed since (drift).
 */
static void
check_drift(void)
{
	/* applied migrations whose registered SQL changed since (drift) */
	if (am_spi_owner("SELECT h.version FROM aura_migrate.history h "
					 "JOIN aura_migrate.migration m ON m.version = h.version "
					 "WHERE h.checksum <> m.checksum "
					 "ORDER BY aura_migrate.version_key(h.version) LIMIT 1",
					 0, NULL, NULL, NULL, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not compare checksums");
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration %s has changed since it was applied",
						SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)),
				 errdetail("Its registered SQL no longer matches the checksum recorded when it was applied; nothing was applied."),
				 errhint("Restore the migration's original SQL (registering it again puts it back), and write the change as a new migration; or, if the schema already matches the new SQL, accept it with aura_migrate.repair().")));
}

/*
 * check_each
 *		Each pending migration: can run here (no-transaction ones only in
 *		migrate()), runs as a role no stronger than its author
 *		(authority.c), and its SQL is valid still (the table may have been
 *		edited by hand).  Returns the pending versions as a text[] Datum.
 */
static Datum
check_each(AmRun *run)
{
	Datum	   *versions;
	MemoryContext checkcxt;
	MemoryContext oldcxt;
	int			i;

	checkcxt = AllocSetContextCreate(CurrentMemoryContext,
									 "aura_migrate precheck",
									 ALLOCSET_DEFAULT_SIZES);
	versions = palloc(sizeof(Datum) * run->npending);
	for (i = 0; i < run->npending; i++)
	{
		AmMigration *m = &run->pending[i];

		versions[i] = CStringGetTextDatum(m->version);

		if (m->no_transaction && !run->nonatomic)
			ereport(ERROR,
					(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
					 errmsg("migration %s cannot run inside a transaction", m->version),
					 errdetail("It is marked \"-- aura:no-transaction\"; nothing was applied."),
					 errhint("Apply it with CALL aura_migrate.migrate().")));

		/* who it runs as: never more privileged than who wrote it */
		am_choose_executor(m, strcmp(m->source, "bundled") == 0 &&
						   am_sql_is_shipped(m->version, m->up_sql));
		if (m->no_transaction && OidIsValid(m->run_as))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("migration %s must be applied by role \"%s\", which registered it",
							m->version, m->registered_by),
					 errdetail("It is marked \"-- aura:no-transaction\", and such a migration runs only as its caller; nothing was applied."),
					 errhint("Run CALL aura_migrate.migrate() as role \"%s\".", m->registered_by)));

		/* the SQL is valid still (the table may have been edited by hand) */
		oldcxt = MemoryContextSwitchTo(checkcxt);
		(void) am_validate_sql(m->version, m->up_sql, false, m->no_transaction);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(checkcxt);
	}
	MemoryContextDelete(checkcxt);

	return PointerGetDatum(construct_array(versions, run->npending, TEXTOID,
										   -1, false, TYPALIGN_INT));
}

/*
 * check_dependencies
 *		Every dependency is applied, or pending earlier in this run.
 */
static void
check_dependencies(Datum versions)
{
	Oid			argtypes[1] = {TEXTARRAYOID};
	Datum		values[1];

	values[0] = versions;
	if (am_spi_owner("SELECT m.version, d.dep, "
					 "EXISTS (SELECT 1 FROM aura_migrate.migration x WHERE x.version = d.dep) "
					 "FROM aura_migrate.migration m, unnest(m.depends_on) AS d(dep) "
					 "WHERE m.version = ANY ($1) "
					 "AND NOT EXISTS (SELECT 1 FROM aura_migrate.history h WHERE h.version = d.dep) "
					 "AND NOT (d.dep = ANY ($1) AND aura_migrate.version_key(d.dep) "
					 "         < aura_migrate.version_key(m.version)) "
					 "ORDER BY 1, 2 LIMIT 1",
					 1, argtypes, values, NULL, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not check dependencies");
	if (SPI_processed > 0)
	{
		bool		isnull;
		bool		registered = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
															SPI_tuptable->tupdesc, 3, &isnull));

		ereport(ERROR,
				(errcode(registered ? ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE : ERRCODE_UNDEFINED_OBJECT),
				 errmsg("migration %s depends on migration %s, which is not applied",
						SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1),
						SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2)),
				 registered ?
				 errdetail("It is not pending before it in this environment; nothing was applied.") :
				 errdetail("It is not registered; nothing was applied.")));
	}
}

/*
 * check_lint
 *		Lint errors the pending migrations did not allow: a warning in
 *		development, a refusal elsewhere.
 */
static void
check_lint(Datum versions)
{
	Oid			argtypes[1] = {TEXTARRAYOID};
	Datum		values[1];

	values[0] = versions;
	if (am_spi_owner("SELECT m.version, f.code, f.line, f.message "
					 "FROM aura_migrate.migration m, unnest(m.findings) AS f "
					 "WHERE m.version = ANY ($1) AND f.severity = 'error' "
					 "AND NOT f.allowed ORDER BY aura_migrate.version_key(m.version), f.line",
					 1, argtypes, values, NULL, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read lint findings");
	if (SPI_processed > 0)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	td = SPI_tuptable->tupdesc;

		ereport(am_effective_environment() == AM_ENV_DEVELOPMENT ? WARNING : ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("migration %s has lint error %s at line %s",
						SPI_getvalue(tup, td, 1), SPI_getvalue(tup, td, 2),
						SPI_getvalue(tup, td, 3)),
				 am_effective_environment() == AM_ENV_DEVELOPMENT ?
				 errdetail("The finding: %s.  Lint errors in the pending migrations: %lu, listed by aura_migrate.findings().",
						   SPI_getvalue(tup, td, 4), (unsigned long) SPI_processed) :
				 errdetail("The finding: %s.  Lint errors in the pending migrations: %lu, listed by aura_migrate.findings().  Outside development they stop apply(): nothing was applied.",
						   SPI_getvalue(tup, td, 4), (unsigned long) SPI_processed),
				 errhint("Fix the migration, or acknowledge the finding with a comment \"-- aura:allow %s\" above the statement.",
						 SPI_getvalue(tup, td, 2))));
	}
}

/*
 * check_requirements
 *		What each migration's "-- Requires:" names exists (requires.c).
 */
static void
check_requirements(AmRun *run)
{
	Oid			argtypes[1] = {TEXTOID};
	int			i;

	for (i = 0; i < run->npending; i++)
	{
		AmMigration *m = &run->pending[i];
		Datum		v[1];
		uint64		r;

		if (!m->has_requires)
			continue;
		v[0] = CStringGetTextDatum(m->version);
		if (am_spi_owner("SELECT r FROM aura_migrate.migration m, "
						 "pg_catalog.unnest(m.requires) AS r WHERE m.version = $1",
						 1, argtypes, v, NULL, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read the requirements of migration %s", m->version);
		for (r = 0; r < SPI_processed; r++)
		{
			char	   *item = SPI_getvalue(SPI_tuptable->vals[r],
											SPI_tuptable->tupdesc, 1);

			if (!am_requirement_exists(item))
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_OBJECT),
						 errmsg("migration %s requires %s, which does not exist",
								m->version, item),
						 errdetail("Nothing was applied."),
						 m->requires_hint ? errhint("%s", m->requires_hint) : 0));
		}
	}
}

/*
 * check_order
 *		A pending migration older than the newest applied one (a teammate's
 *		branch merged late) is out of order: refused outside development
 *		unless the run allows it (out_of_order => true), a WARNING in
 *		development.  run->pending is in version order, so its first entry
 *		is the oldest.
 */
static void
check_order(AmRun *run)
{
	char	   *newest;
	int			late = 0;
	int			i;

	if (am_spi_owner("SELECT version FROM aura_migrate.history "
					 "ORDER BY aura_migrate.version_key(version) DESC LIMIT 1",
					 0, NULL, NULL, NULL, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read history");
	if (SPI_processed == 0)
		return;
	newest = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	for (i = 0; i < run->npending; i++)
		if (am_version_cmp(run->pending[i].version, newest) < 0)
			late++;
	if (late == 0 || run->out_of_order)
		return;
	if (am_effective_environment() == AM_ENV_DEVELOPMENT)
		ereport(WARNING,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg_plural("pending migration %s is older than the newest applied migration %s",
							   "pending migrations from %s on are older than the newest applied migration %s",
							   late, run->pending[0].version, newest),
				 errdetail_plural("%d migration runs out of order; in development it runs.",
								  "%d migrations run out of order; in development they run.",
								  late, late),
				 errhint("Staging and production refuse it unless apply() or migrate() is called with out_of_order => true.")));
	else
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg_plural("pending migration %s is older than the newest applied migration %s",
							   "pending migrations from %s on are older than the newest applied migration %s",
							   late, run->pending[0].version, newest),
				 errdetail_plural("%d migration would run out of order, after migrations written later; nothing was applied.",
								  "%d migrations would run out of order, after migrations written later; nothing was applied.",
								  late, late),
				 errhint("If it does not depend on what the later migrations did, apply it with out_of_order => true (run-migration.sh: --out-of-order); otherwise give it a version after %s.",
						 newest)));
}

/*
 * precheck
 *		Check every pending migration before any is applied: applied
 *		migrations unchanged, each one runnable here and as whom, its SQL
 *		still valid, dependencies applied or earlier in this run, no lint
 *		error outside development, requirements present.  One failure is
 *		an error, and nothing is applied.
 */
static void
precheck(AmRun *run)
{
	Datum		versions;

	check_drift();
	if (run->npending == 0)
		return;
	check_order(run);
	versions = check_each(run);
	check_dependencies(versions);
	check_lint(versions);
	check_requirements(run);
}

/*
 * run_error_callback
 *		Adds "while applying migration ..." to errors and notices raised by
 *		a migration's statements.
 */
static void
run_error_callback(void *arg)
{
	AmRunErrorContext *ec = (AmRunErrorContext *) arg;

	if (ec->stmtno > 0)
		errcontext("while applying migration %s (%s), statement %d, line %d",
				   ec->m->version, ec->m->name, ec->stmtno, ec->line);
	else
		errcontext("while applying migration %s (%s)", ec->m->version, ec->m->name);
}

/*
 * am_run_push_error_context, am_run_error_context_at, am_run_pop_error_context
 *		The error context of a migration's statements: pushed before its
 *		first statement, told which statement runs, popped after its last
 *		(an error unwinds it with the PG_TRY that caught it).
 */
void
am_run_push_error_context(AmRunErrorContext *ec, AmMigration *m)
{
	ec->m = m;
	ec->stmtno = 0;
	ec->line = 0;
	ec->cb.callback = run_error_callback;
	ec->cb.arg = ec;
	ec->cb.previous = error_context_stack;
	error_context_stack = &ec->cb;
}

void
am_run_error_context_at(AmRunErrorContext *ec, int stmtno, int line)
{
	ec->stmtno = stmtno;
	ec->line = line;
}

void
am_run_pop_error_context(AmRunErrorContext *ec)
{
	if (error_context_stack == &ec->cb)
		error_context_stack = ec->cb.previous;
}

/*
 * am_run_lock_timeout_ms
 *		The lock_timeout a migration runs under, in ms (0 = none):
 *		aura_migrate.lock_timeout, or by environment when it is -1.
 */
int
am_run_lock_timeout_ms(void)
{
	if (am_lock_timeout_ms >= 0)
		return am_lock_timeout_ms;
	return am_effective_environment() == AM_ENV_DEVELOPMENT ? 0 : 5000;
}
