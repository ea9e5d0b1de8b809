/*-------------------------------------------------------------------------
 *
 * lint.h
 *	  Findings of lint(), in the row shape check_rls() shares.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/lint.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_LINT_H
#define AURA_MIGRATE_LINT_H

#include "nodes/pg_list.h"

/* the columns of aura_migrate.finding */
#define AM_FINDING_NATTS 8

typedef struct AmFinding
{
	const char *severity;		/* error, warning or info */
	const char *code;
	char	   *object;			/* quoted, schema-qualified, or NULL */
	char	   *message;
	char	   *hint;
	int			line;			/* 0 when not applicable */
	int			col;
	bool		allowed;		/* acknowledged with -- aura:allow <code> */
} AmFinding;

extern List *am_lint_sql(const char *sql, List *schemas);
extern void am_finding_values(AmFinding *f, Datum *values, bool *nulls);
extern List *am_zero_knowledge_roles(void);

#endif							/* AURA_MIGRATE_LINT_H */
