/*-------------------------------------------------------------------------
 *
 * lint_int.h
 *	  What lint.c, lint_live.c and lint_common.c share: the state of one
 *	  lint() and the helpers that record findings.  Private to lint().
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/lint_int.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_LINT_INT_H
#define AURA_MIGRATE_LINT_INT_H

#include "nodes/parsenodes.h"
#include "utils/hsearch.h"

#include "sqlsplit.h"

/* What lint() knows about the migration as it reads it. */
typedef struct LintState
{
	MemoryContext cxt;			/* what outlives a statement: findings, the
								 * statements' positions, foreign keys, created
								 * tables; a statement is read in a scratch
								 * context reset after its part */
	const char *sql;
	AmStatement *stmts;			/* every statement read so far; raw and text
								 * only while its part is being read */
	int			nstmts;
	int			maxstmts;
	int			base;			/* offset of the part being read: raw node
								 * locations are relative to it */
	int			no_transaction; /* -1 not yet known, else whether the text
								 * has the aura:no-transaction marker */
	List	   *created_tables; /* CreatedTable *, judged at the end */
	List	   *schemas;		/* checked schemas (char *) */
	List	   *zk_roles;		/* zero-knowledge roles (char *) */
	List	   *encrypted;		/* AmEncryptedRule *: encrypted_table */
	bool		plpgsql_told;	/* function_body_unchecked reported */
	List	   *findings;		/* AmFinding * */
	HTAB	   *created;		/* tables created here: "schema.name" */
	HTAB	   *rls_enabled;	/* tables given ENABLE ROW LEVEL SECURITY */
	HTAB	   *with_pkey;		/* tables given a primary key */
	HTAB	   *indexed;		/* "schema.name.column" leading an index */
	HTAB	   *not_valid;		/* "schema.name.constraint" added NOT VALID */
	int			cur;			/* index of the statement being read */
} LintState;

/* lint_common.c */
extern const char *am_lint_default_schema(void);
extern void am_lint_set_default_schema(const char *schema);
extern const char *am_lint_schema_of(RangeVar *rv);
extern char *am_lint_qualified(RangeVar *rv);
extern char *am_lint_quoted(RangeVar *rv);
extern bool am_lint_in_list(List *list, const char *s);
extern HTAB *am_lint_nameset_create(const char *what);
extern void am_lint_nameset_add(HTAB *set, const char *name);
extern bool am_lint_nameset_has(HTAB *set, const char *name);
extern bool am_lint_checked_schema(LintState *ls, RangeVar *rv);
extern void am_lint_add_finding(LintState *ls, const char *severity, const char *code,
								char *object, char *message, char *hint, int location);
extern void am_lint_plaintext(LintState *ls, RangeVar *rel, const char *colname,
							  TypeName *tn, List *parents);

/* lint_live.c: statements that lock, rewrite or destroy a live table */
extern List *am_lint_alter_table(LintState *ls, AlterTableStmt *as, List *fks);
extern List *am_lint_foreign_keys_of(LintState *ls, List *fks, RangeVar *rel, Node *elt);
extern void am_lint_foreign_keys(LintState *ls, List *fks);
extern void am_lint_index(LintState *ls, IndexStmt *is);
extern void am_lint_drop(LintState *ls, DropStmt *ds);
extern bool am_lint_vacuum_full(VacuumStmt *vs);
extern void am_lint_rename(LintState *ls, RenameStmt *rs);

#endif							/* AURA_MIGRATE_LINT_INT_H */
