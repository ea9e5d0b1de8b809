/*-------------------------------------------------------------------------
 *
 * rls_exec.c
 *	  Running one probe statement: in a subtransaction of its own, as a
 *	  given role under SECURITY_RESTRICTED_OPERATION, with the JWT settings
 *	  of the actor, keeping only the SQLSTATE of an error.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/rls_exec.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "tcop/dest.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/uuid.h"

#include "compat.h"
#include "settings.h"
#include "owner.h"
#include "validate.h"
#include "rls.h"
#include "rls_probe.h"
#include "rls_undo.h"

/*
 * am_probe_exec
 *		Run one statement in a subtransaction of its own as userid, with the
 *		JWT settings given (if claims is not NULL), and catch any error into
 *		*res.  expect is the SPI_OK_* code the statement must return
 *		(SPI_OK_INSERT also accepts SPI_OK_INSERT_RETURNING, for fixtures).
 *		keep releases the subtransaction on success (its rows stay for the
 *		enclosing probe); otherwise it is rolled back.  See
 *		am_probe_exec_nulls().
 */
void
am_probe_exec(int expect, Oid userid, bool noforce, const char *claims, const char *sub,
			const char *role, const char *sql, int nargs, Oid *argtypes,
			Datum *args, bool keep, ExecResult *res)
{
	am_probe_exec_nulls(expect, userid, noforce, claims, sub, role, sql, nargs,
					  argtypes, args, NULL, keep, res);
}

/*
 * am_probe_exec_nulls
 *		am_probe_exec() with SPI-style nulls for the arguments.
 *
 * The statement runs as userid under SECURITY_RESTRICTED_OPERATION (the
 * amcheck pattern: no SET ROLE, no temporary objects, no cursors left
 * open), with SECURITY_NOFORCE_RLS when noforce is set, inside a GUC nest
 * level with search_path pinned to "pg_catalog, pg_temp" and the JWT
 * settings, all reverted by AtEOXact_GUC(false) on success, by the
 * subtransaction's abort on error; the abort also restores the user id and
 * security context, which are restored explicitly on every path anyway.
 * Only the SQLSTATE of an error is kept (never its text, which the probed
 * code controls).  A cancel is re-thrown with a message of our own.
 */
void
am_probe_exec_nulls(int expect, Oid userid, bool noforce, const char *claims, const char *sub,
				  const char *role, const char *sql, int nargs, Oid *argtypes,
				  Datum *args, const char *nulls, bool keep, ExecResult *res)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	Oid			save_userid;
	int			save_sec_context;
	volatile int sqlerrcode = 0;
	volatile bool ok = false;
	volatile uint64 processed = 0;
	char	   *volatile value = NULL;

	memset(res, 0, sizeof(*res));
	GetUserIdAndSecContext(&save_userid, &save_sec_context);

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);

	PG_TRY();
	{
		int			ret;
		int			nest;

		nest = NewGUCNestLevel();
		am_probe_set_saved("search_path", "pg_catalog, pg_temp");
		if (claims != NULL)
		{
			am_probe_set_saved("request.jwt.claims", claims);
			am_probe_set_saved("request.jwt.claim.sub", sub);
			am_probe_set_saved("request.jwt.claim.role", role);
		}
		SetUserIdAndSecContext(userid, save_sec_context |
							   SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION |
							   (noforce ? SECURITY_NOFORCE_RLS : 0));
		ret = SPI_execute_with_args(sql, nargs, argtypes, args, nulls, false, 0);
		SetUserIdAndSecContext(save_userid, save_sec_context);
		AtEOXact_GUC(false, nest);
		if (ret != expect &&
			!(expect == SPI_OK_INSERT && ret == SPI_OK_INSERT_RETURNING))
			elog(ERROR, "SPI_execute_with_args returned %s, expected %s",
				 SPI_result_code_string(ret), SPI_result_code_string(expect));
		processed = SPI_processed;
		if (SPI_tuptable != NULL && SPI_processed > 0 && SPI_tuptable->tupdesc->natts > 0)
		{
			char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

			if (v != NULL)
			{
				MemoryContextSwitchTo(oldcxt);
				value = pstrdup(v);
			}
		}
		ok = true;

		if (keep)
			ReleaseCurrentSubTransaction();
		else
			RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		sqlerrcode = edata->sqlerrcode;
		FreeErrorData(edata);
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_END_TRY();

	/* the abort restored the user id; make sure of it on every path */
	SetUserIdAndSecContext(save_userid, save_sec_context);

	if (sqlerrcode != 0)
	{
		if (sqlerrcode == ERRCODE_QUERY_CANCELED ||
			sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
			am_probe_throw_cancel(sqlerrcode);
		res->ok = false;
		res->sqlstate = pstrdup(unpack_sql_state(sqlerrcode));
		return;
	}
	res->ok = ok;
	res->processed = processed;
	res->value = value;
}

/*
 * am_probe_throw_cancel
 *		Re-throw a cancel (57014) or shutdown (57P01) caught from a probe, so
 *		that it still cancels check_rls().  The probed code can raise these
 *		SQLSTATEs itself, with a message of its own, so the message is ours.
 */
void
am_probe_throw_cancel(int sqlerrcode)
{
	ereport(ERROR,
			(errcode(sqlerrcode),
			 errmsg("canceling the row level security probes"),
			 errdetail("A statement run by the probes ended with SQLSTATE %s.",
					   unpack_sql_state(sqlerrcode))));
}

/*
 * am_probe_sub_begin, am_probe_sub_end
 *		A subtransaction around several am_probe_exec() calls, the plpython
 *		way: the memory context and resource owner are restored after.
 */
void
am_probe_sub_begin(SubXact *s)
{
	s->cxt = CurrentMemoryContext;
	s->owner = CurrentResourceOwner;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(s->cxt);
}

void
am_probe_sub_end(SubXact *s, bool commit)
{
	if (commit)
		ReleaseCurrentSubTransaction();
	else
		RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(s->cxt);
	CurrentResourceOwner = s->owner;
}

/*
 * am_probe_set_local
 *		SET LOCAL name = value; reverted when the enclosing subtransaction
 *		rolls back.
 */
void
am_probe_set_local(const char *name, const char *value)
{
	(void) set_config_option(name, value, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
}

/*
 * am_probe_set_saved
 *		name = value until the current GUC nest level (NewGUCNestLevel())
 *		is closed with AtEOXact_GUC(), the way a function's SET clause works.
 */
void
am_probe_set_saved(const char *name, const char *value)
{
	(void) set_config_option(name, value, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

/*
 * am_probe_uuid_str
 *		A uuid datum as text.
 */
char *
am_probe_uuid_str(Datum u)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, u));
}
