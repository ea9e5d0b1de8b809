/*-------------------------------------------------------------------------
 *
 * rls.h
 *	  The row level security checker: check_rls() and its behavioural
 *	  probes.
 *
 * rls.c reads the catalogs and the policy expression trees and reports
 * structural findings; rls_probe.c acts as the real API roles inside
 * subtransactions that are always rolled back.  Both report through
 * am_rls_add_finding().
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

#include "nodes/pg_list.h"
#include "utils/palloc.h"

/* One finding, in the shape of aura_migrate.finding (line, col NULL). */
typedef struct AmRlsFinding
{
	const char *severity;		/* "error", "warning" or "info" */
	const char *code;
	char	   *object;
	char	   *message;
	char	   *hint;
} AmRlsFinding;

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
} AmRlsRun;

/* rls.c */
extern char *am_zero_knowledge_roles;
extern void am_rls_init(void);
extern void am_rls_add_finding(AmRlsRun *run, const char *severity,
							   const char *code, const char *object,
							   const char *hint, const char *fmt,...)
			pg_attribute_printf(6, 7);

/* rls_probe.c */
extern void am_rls_probe(AmRlsRun *run);

#endif							/* AURA_MIGRATE_RLS_H */
