/*-------------------------------------------------------------------------
 *
 * rls_gate.c
 *	  The row level security gate of apply() and migrate().
 *
 * Before a run's first migration the structural checks of check_rls() are
 * taken over the checked schemas (aura_migrate.checked_schemas): that is the
 * baseline.  Outside development, after each migration (inside its
 * subtransaction, with the other post-migration checks; for apply(), once
 * per block of migrations first, see am_rls_gate_check_block()) they are
 * taken again, and an error finding the baseline did not have fails the
 * migration, unless the migration acknowledges it with a comment
 * "-- aura:allow <code>" (table_without_rls also covers rls_disabled); what
 * a migration was allowed to add joins the baseline for the ones after it.
 * The SQL editor has the gate the scripts have.  In
 * development the run ends with a NOTICE summing up what it added.  The
 * probes are not run here (they need a superuser and take time); a
 * finding already there before the run never blocks it.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/rls_gate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/varlena.h"

#include "settings.h"
#include "run.h"
#include "rls.h"
#include "rls_gate.h"

/*
 * finding_key
 *		"severity|code|object|message": what makes two findings the same
 *		one.  The severity belongs to it (a warning that a migration turns
 *		into an error is a new error), and so does the message: a table's
 *		owner_not_enforced for DELETE before the run does not cover one for
 *		SELECT after it.
 */
static char *
finding_key(AmRlsFinding *f)
{
	return psprintf("%s|%s|%s|%s", f->severity, f->code, f->object ? f->object : "",
					f->message ? f->message : "");
}

/* hash and match of baseline keys: C strings, by pointer */
static uint32
key_hash(const void *key, Size keysize)
{
	const char *s = *(const char *const *) key;

	return hash_bytes((const unsigned char *) s, (int) strlen(s));
}

static int
key_match(const void *key1, const void *key2, Size keysize)
{
	return strcmp(*(const char *const *) key1, *(const char *const *) key2);
}

/*
 * baseline_add
 *		Add a finding's key to the run's baseline, a hash table in run->cxt
 *		(a finding is looked up there for every finding of every check, so
 *		a list would make each check quadratic in the number of findings).
 */
static void
baseline_add(AmRun *run, AmRlsFinding *f)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(run->cxt);
	char	   *key = finding_key(f);
	bool		found;

	if (run->rls_baseline == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(char *);
		ctl.entrysize = sizeof(char *);
		ctl.hash = key_hash;
		ctl.match = key_match;
		ctl.hcxt = run->cxt;
		run->rls_baseline = hash_create("aura_migrate rls baseline", 256, &ctl,
										HASH_ELEM | HASH_FUNCTION | HASH_COMPARE |
										HASH_CONTEXT);
	}
	(void) hash_search(run->rls_baseline, &key, HASH_ENTER, &found);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * collect
 *		The structural findings of the checked schemas now.  The caller
 *		deletes run->cxt.
 */
static List *
collect(AmRlsRun *rr)
{
	/*
	 * check_rls() reads with the active snapshot, which here is that of
	 * the statement that called apply(): take one that sees what the
	 * migration just did.
	 */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	am_rls_collect(rr, am_checked_schemas_array(), false, (Datum) 0);
	PopActiveSnapshot();
	return rr->findings;
}

/*
 * sql_allows
 *		Whether a comment "aura:allow <codes>" anywhere in sql lists code.
 */
static bool
sql_allows(const char *sql, const char *code)
{
	size_t		clen = strlen(code);
	const char *p = sql;

	while ((p = strstr(p, "aura:allow")) != NULL)
	{
		p += 10;
		while (*p != '\0' && *p != '\n')
		{
			while (*p == ' ' || *p == '\t' || *p == ',')
				p++;
			if (strncmp(p, code, clen) == 0 &&
				!(isalnum((unsigned char) p[clen]) || p[clen] == '_'))
				return true;
			while (*p != '\0' && *p != '\n' && *p != ' ' && *p != '\t' && *p != ',')
				p++;
		}
	}
	return false;
}

/*
 * acknowledged
 *		Whether migration SQL acknowledges a finding: "aura:allow <code>",
 *		or for rls_disabled also the post-migration check's and lint's name
 *		for the same fact, table_without_rls.
 */
static bool
acknowledged(const char *sql, const char *code)
{
	if (sql == NULL)
		return false;
	if (sql_allows(sql, code))
		return true;
	return strcmp(code, "rls_disabled") == 0 && sql_allows(sql, "table_without_rls");
}

/*
 * am_rls_gate_begin
 *		Take the baseline of a run: the keys of the error and warning
 *		findings before its first migration, kept in run->cxt.
 */
void
am_rls_gate_begin(AmRun *run)
{
	AmRlsRun	rr;
	ListCell   *lc;

	run->rls_baseline = NULL;
	run->rls_baseline_taken = false;
	if (!am_rls_gate)
		return;
	foreach(lc, collect(&rr))
	{
		AmRlsFinding *f = (AmRlsFinding *) lfirst(lc);

		if (strcmp(f->severity, "info") == 0)
			continue;
		baseline_add(run, f);
	}
	MemoryContextDelete(rr.cxt);
	run->rls_baseline_taken = true;
}

/*
 * is_new
 *		Whether a finding was not in the run's baseline.
 */
static bool
is_new(AmRun *run, AmRlsFinding *f)
{
	char	   *key = finding_key(f);
	bool		found = false;

	if (run->rls_baseline != NULL)
		(void) hash_search(run->rls_baseline, &key, HASH_FIND, &found);
	pfree(key);
	return !found;
}

/*
 * am_rls_gate_check
 *		Outside development: fail migration m (raise, inside its
 *		subtransaction) when it added an error finding it does not
 *		acknowledge.  Called after its other post-migration checks.
 */
void
am_rls_gate_check(AmRun *run, AmMigration *m)
{
	AmRlsRun	rr;
	ListCell   *lc;
	AmRlsFinding *first = NULL;
	int			nnew = 0;
	List	   *accepted = NIL;

	if (!run->rls_baseline_taken || am_effective_environment() == AM_ENV_DEVELOPMENT || run->down)
		return;
	foreach(lc, collect(&rr))
	{
		AmRlsFinding *f = (AmRlsFinding *) lfirst(lc);

		if (strcmp(f->severity, "info") == 0 || !is_new(run, f))
			continue;
		if (strcmp(f->severity, "error") != 0 || acknowledged(m->up_sql, f->code))
		{
			accepted = lappend(accepted, f);
			continue;
		}
		if (first == NULL)
			first = f;
		nnew++;
	}
	if (first == NULL)
	{
		/* what this migration was allowed to add does not block the next */
		foreach(lc, accepted)
			baseline_add(run, (AmRlsFinding *) lfirst(lc));
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("post-migration check failed: row level security finding %s on %s",
						first->code, first->object ? first->object : "the schema"),
				 errdetail("%s.  Error findings the migration added: %d; outside development they fail it (SELECT * FROM aura_migrate.check_rls() lists them).",
						   first->message, nnew),
				 errhint("%s  Or acknowledge it with a comment \"-- aura:allow %s\" in the migration.",
						 first->hint ? first->hint : "", first->code)));
	MemoryContextDelete(rr.cxt);
}

/*
 * am_rls_gate_active
 *		Whether the gate checks the migrations of this run: outside
 *		development, going up, with a baseline taken.
 */
bool
am_rls_gate_active(AmRun *run)
{
	return run->rls_baseline_taken && !run->down &&
		am_effective_environment() != AM_ENV_DEVELOPMENT;
}

/*
 * am_rls_gate_check_block
 *		The gate over a block of migrations apply() ran in one
 *		subtransaction (apply.c), checked once after the last: true when
 *		none of them left an error finding the baseline did not have (the
 *		warnings they added join the baseline); false when one did, and the
 *		caller runs the block again checking after each migration, to fail
 *		the one that adds it, exactly as am_rls_gate_check() says.  One
 *		check per block instead of per migration: each check reads every
 *		table of the checked schemas.
 */
bool
am_rls_gate_check_block(AmRun *run)
{
	AmRlsRun	rr;
	ListCell   *lc;
	List	   *accepted = NIL;
	bool		ok = true;

	if (!am_rls_gate_active(run))
		return true;
	foreach(lc, collect(&rr))
	{
		AmRlsFinding *f = (AmRlsFinding *) lfirst(lc);

		if (strcmp(f->severity, "info") == 0 || !is_new(run, f))
			continue;
		if (strcmp(f->severity, "error") == 0)
		{
			ok = false;
			break;
		}
		accepted = lappend(accepted, f);
	}
	if (ok)
		foreach(lc, accepted)
			baseline_add(run, (AmRlsFinding *) lfirst(lc));
	MemoryContextDelete(rr.cxt);
	return ok;
}

/*
 * am_rls_gate_summary
 *		In development, after a run: a NOTICE when the run added findings.
 */
void
am_rls_gate_summary(AmRun *run)
{
	AmRlsRun	rr;
	ListCell   *lc;
	int			nerrors = 0;
	int			nwarnings = 0;

	if (!run->rls_baseline_taken || am_effective_environment() != AM_ENV_DEVELOPMENT || run->down)
		return;
	foreach(lc, collect(&rr))
	{
		AmRlsFinding *f = (AmRlsFinding *) lfirst(lc);

		if (!is_new(run, f))
			continue;
		if (strcmp(f->severity, "error") == 0)
			nerrors++;
		else if (strcmp(f->severity, "warning") == 0)
			nwarnings++;
	}
	MemoryContextDelete(rr.cxt);
	if (nerrors + nwarnings > 0)
		ereport(NOTICE,
				(errmsg("row level security check: the run added %d error and %d warning findings",
						nerrors, nwarnings),
				 errdetail("In development they are reported; in staging and production error findings fail the migration that adds them."),
				 errhint("SELECT * FROM aura_migrate.check_rls() lists them.")));
}
