/*-------------------------------------------------------------------------
 *
 * rls.h
 *	  The row level security checker: check_rls() and its behavioural
 *	  probes.
 *
 * rls.c reads the catalogs and the policy expression trees and reports
 * structural findings (rls_expr.c walks policy expressions, rls_objects.c
 * checks views and functions); rls_probe.c acts as the real API roles
 * inside subtransactions that are always rolled back.  All report through
 * am_rls_add_finding() of rls_common.c, a leaf.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/rls.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_RLS_H
#define AURA_MIGRATE_RLS_H

#include "access/htup.h"
#include "nodes/bitmapset.h"
#include "nodes/pg_list.h"
#include "nodes/primnodes.h"
#include "utils/hsearch.h"
#include "utils/palloc.h"

#include "lint.h"

/* One finding, in the shape lint() shares (line and col 0: NULL). */
typedef AmFinding AmRlsFinding;

/* A table of a checked schema that has an owner column. */
typedef struct AmRlsTable
{
	Oid			relid;
	char	   *qualname;		/* quote_qualified_identifier() */
	char	   *plainname;		/* schema.table, unquoted */
	Oid			relowner;
	char	   *owner_col;		/* quoted name of the owner column probed */
	int			nowner;			/* all owner columns */
	int16	   *owner_attnums;
	int16		scope_attnum;	/* a scope column (a team), or 0 */
	bool		public_read_anon;	/* a SELECT policy USING (true) for anon */
	bool		public_read_auth;	/* ... for authenticated */
} AmRlsTable;

/* State of one check_rls() call. */
typedef struct AmRlsRun
{
	MemoryContext cxt;			/* findings and copied catalog data */
	List	   *findings;		/* of AmRlsFinding * */
	Oid			anon;			/* InvalidOid when the role does not exist */
	Oid			authenticated;
	List	   *zk_roles;		/* Oids of existing zero-knowledge roles */
	List	   *zk_names;		/* their names, in the same order */
	List	   *probe_tables;	/* of AmRlsTable *, filled by rls.c */
	bool		zero_knowledge; /* zero-knowledge roles configured */
	HTAB	   *tables;			/* AmRlsTableEntry by Oid, for the functions */
	struct AmRlsAuthFuncs *fns; /* auth.uid() and friends */
	Datum		schemas;		/* the checked schemas (name[]) */
	List	   *definer_fns;	/* AmRlsDefinerFn *: what the probes call */
	List	   *allowed_definers;	/* Oids of the functions allow_definer lists */
	Datum		only;			/* oid[]: the only tables read; 0: all */
	bool		incomplete;		/* only: a check needed the other tables */
	bool		no_views;		/* pg_class was read whole: the checked
								 * schemas hold no view */
} AmRlsRun;

/*
 * A SECURITY DEFINER function authenticated may call, of one to
 * AM_PROBE_MAX_ARGS input arguments.
 */
#define AM_PROBE_MAX_ARGS 4
typedef struct AmRlsDefinerFn
{
	Oid			oid;
	char	   *name;			/* schema.name(argument types), quoted */
	char	   *call;			/* schema.name, quoted */
	int			nargs;			/* input arguments */
	Oid			argtypes[AM_PROBE_MAX_ARGS];
	char	   *argnames[AM_PROBE_MAX_ARGS];	/* "" when unnamed */
	int			ndefaults;		/* trailing arguments with a default */
	List	   *outnames;		/* quoted names of its output columns */
	Oid			rettype;
	bool		retset;
} AmRlsDefinerFn;

extern void am_rls_collect(AmRlsRun *run, Datum schemas, bool probes, Datum allow_definer);
extern void am_rls_collect_only(AmRlsRun *run, Datum schemas, Datum only);

/*
 * What the rls*.c files share: the tables and policies read from the
 * catalogs, and the state of a walk over one policy expression.
 */
/* One policy of a checked table. */
typedef struct AmRlsPolicyInfo
{
	char	   *name;
	char		cmd;			/* polcmd: r, a, w, d or * */
	bool		permissive;
	bool		to_public;		/* PUBLIC is among its roles */
	bool		to_anon;		/* applies to anon (directly, PUBLIC, member) */
	bool		to_auth;		/* applies to authenticated */
	char	  **roles;			/* role names, "PUBLIC" for 0 */
	int			nroles;
	Node	   *qual;			/* USING, or NULL */
	Node	   *check;			/* WITH CHECK, or NULL; the same tree as
								 * qual when the texts are equal: read only */
} AmRlsPolicyInfo;

/* One table (or partitioned table) of a checked schema. */
typedef struct AmRlsTableInfo
{
	Oid			relid;
	char	   *nspname;
	char	   *relname;
	char	   *qualname;
	bool		rls;
	bool		force;
	Oid			owner;
	char	   *owner_name;
	bool		owner_super;
	bool		owner_bypass;	/* the owner has BYPASSRLS */
	bool		owner_login;	/* the owner can log in */
	int			npolicies;
	int			nowner;			/* owner columns, user_id first */
	int16	   *owner_attnums;
	char	  **owner_names;
	int			nscope;			/* scope columns (a team, an account) */
	char	  **scope_names;
	int			nlead;			/* first key column of each plain index */
	int16	   *lead;
	bool		anon_priv;
	bool		public_priv;
	char	  **zk;				/* zero-knowledge roles with access */
	int			nzk;
	char	   *definer_fn;		/* a definer function owned by the owner */
	List	   *policies;		/* of AmRlsPolicyInfo * */
	Bitmapset  *used_owner;		/* owner attnums referenced by policies */
} AmRlsTableInfo;

typedef struct AmRlsTableEntry
{
	Oid			relid;			/* hash key */
	AmRlsTableInfo  *table;
} AmRlsTableEntry;

/* The functions policies are judged by. */
typedef struct AmRlsAuthFuncs
{
	List	   *uid;			/* Oids of auth.uid() */
	List	   *jwt;			/* auth.jwt() */
	List	   *role;			/* auth.role() */
} AmRlsAuthFuncs;

/* State of the walk over one policy expression. */
typedef struct AmRlsWalkState
{
	AmRlsAuthFuncs  *fns;
	AmRlsTableInfo  *table;
	int			depth;			/* sub-query nesting */
	int			wrapped;		/* inside (select f()) */
	const char *per_row_fn;		/* first function called per row */
	bool		user_metadata;
} AmRlsWalkState;

/* rls_tables.c */
extern HTAB *am_rls_read_tables(AmRlsRun *run, Datum schemas, List **tables);

/* rls_expr.c */
extern bool am_rls_oid_in(List *l, Oid oid);
extern Node *am_rls_strip(Node *n);
extern bool am_rls_is_uid_expr(AmRlsAuthFuncs *fns, Node *n);
extern bool am_rls_owner_filter_at(AmRlsAuthFuncs *fns, AmRlsTableInfo *t, Node *n,
								   int varno);
extern void am_rls_collect_quals(Node *n, List **quals);
extern bool am_rls_policy_walker(Node *node, AmRlsWalkState *w);
extern bool am_rls_constrains_owner(AmRlsAuthFuncs *fns, AmRlsTableInfo *t, Node *n);
extern bool am_rls_always_true(Node *n);
extern bool am_rls_is_uid(AmRlsAuthFuncs *fns, Node *n);
extern bool am_rls_mentions_uid(AmRlsAuthFuncs *fns, Node *n);
extern void am_rls_uid_columns(AmRlsAuthFuncs *fns, Node *n, Bitmapset **cols);

/* rls_scope.c: how a policy expression ties rows to the caller through a
 * membership */
typedef enum AmRlsScope
{
	AM_SCOPE_NONE,
	AM_SCOPE_UNVERIFIED,		/* through a function that is not read */
	AM_SCOPE_VERIFIED
} AmRlsScope;
extern AmRlsScope am_rls_scope(AmRlsAuthFuncs *fns, Node *n, Oid *fn);
extern bool am_rls_filters_rows_of(AmRlsAuthFuncs *fns, AmRlsTableInfo *t,
								   FromExpr *jointree, int varno);

/* rls_owner.c */
extern bool am_rls_public_read(AmRlsRun *run, AmRlsTableInfo *t, AmRlsPolicyInfo *p);
extern bool am_rls_public_by_flag(AmRlsRun *run, AmRlsTableInfo *t, AmRlsPolicyInfo *p);
extern bool am_rls_ties_to_caller(AmRlsAuthFuncs *fns, AmRlsTableInfo *t, Node *e);
extern void am_rls_check_owner_commands(AmRlsRun *run, AmRlsAuthFuncs *fns,
										AmRlsTableInfo *t);
extern void am_rls_check_multiple_permissive(AmRlsRun *run, AmRlsTableInfo *t);

/* rls_read.c */
extern void am_rls_read_policies(AmRlsRun *run, List *tables);

/* rls_objects.c */
extern void am_rls_check_views(AmRlsRun *run, Datum schemas);
extern List *am_rls_sql_body_queries(Oid fn);
extern void am_rls_check_functions(AmRlsRun *run, Datum schemas, Datum allow,
								   bool allow_null);

/* rls_common.c */
extern void am_rls_add_finding(AmRlsRun *run, const char *severity,
							   const char *code, const char *object,
							   const char *hint, const char *fmt,...)
			pg_attribute_printf(6, 7);
extern char *am_rls_spi_str(HeapTuple tup, int col);
extern bool am_rls_spi_bool(HeapTuple tup, int col);
extern int16 *am_rls_spi_int2_array(HeapTuple tup, int col, int *n);
extern char **am_rls_spi_text_array(HeapTuple tup, int col, int *n);

/* rls_probe.c */
extern const char *am_rls_probe_refusal(void);
extern void am_rls_probe(AmRlsRun *run);

#endif							/* AURA_MIGRATE_RLS_H */
