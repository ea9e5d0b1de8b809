/*-------------------------------------------------------------------------
 *
 * lint_live.c
 *	  lint(): the statements that lock, rewrite or destroy a live table.
 *
 * A table the migration creates is new; any other is live, with rows and
 * clients.  These rules read what a statement does to a live table: an
 * index built without CONCURRENTLY, a constraint validated at once, a
 * column added NOT NULL or with a volatile default, a type changed, a
 * column or table dropped or renamed, and foreign keys no index leads
 * with.  The only catalog read is pg_index, for a foreign key added to a
 * live table that already has its index.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/lint_live.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_index.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "lint.h"
#include "lint_int.h"

static const char *const volatile_functions[] = {
	"random", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v4",
	"clock_timestamp", "timeofday", "txid_current", "nextval", NULL
};

/* A foreign key's first column, as its statement names it. */
typedef struct FkRef
{
	int			stmtidx;
	RangeVar   *rel;
	char	   *column;
} FkRef;

static List *
fk_ref(LintState *ls, List *fks, RangeVar *rel, const char *column)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(ls->cxt);
	FkRef	   *f = palloc(sizeof(FkRef));

	f->stmtidx = ls->cur;
	/* the schema an unqualified name has here, not after a later SET */
	f->rel = copyObject(rel);
	if (f->rel->schemaname == NULL)
		f->rel->schemaname = pstrdup(am_lint_default_schema());
	f->column = pstrdup(column);
	fks = lappend(fks, f);
	MemoryContextSwitchTo(oldcxt);
	return fks;
}

/*
 * am_lint_foreign_keys_of
 *		Append an FkRef for every foreign key's first column declared by a
 *		CREATE TABLE or ALTER TABLE ... ADD CONSTRAINT.  Names are kept as
 *		names: "Cycle Notes" or "v1.notes" are never parsed again.
 */
List *
am_lint_foreign_keys_of(LintState *ls, List *fks, RangeVar *rel, Node *elt)
{
	ListCell   *lc;

	if (IsA(elt, ColumnDef))
	{
		foreach(lc, ((ColumnDef *) elt)->constraints)
		{
			Constraint *c = lfirst_node(Constraint, lc);

			if (c->contype == CONSTR_FOREIGN)
				fks = fk_ref(ls, fks, rel, ((ColumnDef *) elt)->colname);
		}
	}
	else if (IsA(elt, Constraint) && ((Constraint *) elt)->contype == CONSTR_FOREIGN &&
			 ((Constraint *) elt)->fk_attrs != NIL)
		fks = fk_ref(ls, fks, rel, strVal(linitial(((Constraint *) elt)->fk_attrs)));
	return fks;
}

/*
 * default_is_volatile
 *		Whether a column default calls a function known to be volatile,
 *		which makes ADD COLUMN rewrite the table.
 */
static bool
default_is_volatile(ColumnDef *cd)
{
	ListCell   *lc;

	foreach(lc, cd->constraints)
	{
		Constraint *c = lfirst_node(Constraint, lc);

		if (c->contype == CONSTR_DEFAULT && c->raw_expr && IsA(c->raw_expr, FuncCall))
		{
			char	   *fname = strVal(llast(((FuncCall *) c->raw_expr)->funcname));
			int			i;

			for (i = 0; volatile_functions[i]; i++)
				if (strcmp(fname, volatile_functions[i]) == 0)
					return true;
		}
	}
	return false;
}

static bool
column_has(ColumnDef *cd, ConstrType type)
{
	ListCell   *lc;

	foreach(lc, cd->constraints)
		if (lfirst_node(Constraint, lc)->contype == type)
			return true;
	return false;
}

/*
 * lint_live_constraint
 *		A constraint added to a live table: a foreign key or check that is
 *		validated at once (not NOT VALID), a primary key or unique
 *		constraint that builds its index (not USING INDEX).
 */
static void
lint_live_constraint(LintState *ls, RangeVar *rel, Constraint *c)
{
	const char *name = c->conname ? quote_identifier(c->conname) : "(unnamed)";

	if (c->contype == CONSTR_FOREIGN || c->contype == CONSTR_CHECK)
	{
		if (c->skip_validation)
		{
			if (c->conname)
				am_lint_nameset_add(ls->not_valid, psprintf("%s.%s", am_lint_qualified(rel), c->conname));
		}
		else
			am_lint_add_finding(ls, "warning", "constraint_validates", am_lint_quoted(rel),
						psprintf("constraint %s is checked against every row while writes are blocked", name),
						pstrdup("Add it NOT VALID (new rows are checked at once), then VALIDATE CONSTRAINT in a later migration, which lets writes through."),
						-1);
	}
	else if ((c->contype == CONSTR_PRIMARY || c->contype == CONSTR_UNIQUE) && c->indexname == NULL)
		am_lint_add_finding(ls, "warning", "constraint_builds_index", am_lint_quoted(rel),
					psprintf("constraint %s builds its index while writes are blocked", name),
					pstrdup("Build the index with CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... USING INDEX."),
					-1);
}

/*
 * am_lint_alter_table
 *		ALTER TABLE: RLS switched on, and the commands that rewrite, scan or
 *		lock a live table (columns added, retyped or dropped, constraints,
 *		NOT NULL, partitions detached).
 */
List *
am_lint_alter_table(LintState *ls, AlterTableStmt *as, List *fks)
{
	char	   *key = am_lint_qualified(as->relation);
	bool		is_new = am_lint_nameset_has(ls->created, key);
	ListCell   *lc;

	foreach(lc, as->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		switch (cmd->subtype)
		{
			case AT_EnableRowSecurity:
			case AT_ForceRowSecurity:
				am_lint_nameset_add(ls->rls_enabled, key);
				break;
			case AT_AddColumn:
				{
					ColumnDef  *cd = (ColumnDef *) cmd->def;

					am_lint_plaintext(ls, as->relation, cd->colname, cd->typeName, NIL);
					fks = am_lint_foreign_keys_of(ls, fks, as->relation, (Node *) cd);
					if (is_new)
						break;
					if (column_has(cd, CONSTR_NOTNULL) && !column_has(cd, CONSTR_DEFAULT) &&
						!column_has(cd, CONSTR_GENERATED) && !column_has(cd, CONSTR_IDENTITY))
						am_lint_add_finding(ls, "error", "add_column_not_null_without_default",
									am_lint_quoted(as->relation),
									psprintf("column %s is added NOT NULL without a default",
											 quote_identifier(cd->colname)),
									pstrdup("This fails on a table with rows: add a DEFAULT, or add the column nullable, backfill it, then SET NOT NULL."),
									-1);
					if (column_has(cd, CONSTR_GENERATED))
						am_lint_add_finding(ls, "warning", "generated_column_rewrite",
									am_lint_quoted(as->relation),
									psprintf("stored generated column %s rewrites the table",
											 quote_identifier(cd->colname)),
									pstrdup("The rewrite holds an ACCESS EXCLUSIVE lock for its whole length: add a plain column, fill it in batches, and keep it with a trigger."),
									-1);
					if (default_is_volatile(cd))
						am_lint_add_finding(ls, "warning", "volatile_default_rewrite",
									am_lint_quoted(as->relation),
									psprintf("column %s gets a volatile default, which rewrites the table",
											 quote_identifier(cd->colname)),
									pstrdup("The rewrite holds an ACCESS EXCLUSIVE lock for its whole length: add the column without a default, then set the default and backfill in batches."),
									-1);
					break;
				}
			case AT_AlterColumnType:
				am_lint_plaintext(ls, as->relation, cmd->name,
							   ((ColumnDef *) cmd->def)->typeName, NIL);
				if (!is_new)
					am_lint_add_finding(ls, "warning", "alter_column_type", am_lint_quoted(as->relation),
								psprintf("the type of column %s changes, which can rewrite the table",
										 quote_identifier(cmd->name)),
								pstrdup("A rewrite holds an ACCESS EXCLUSIVE lock: add a new column, backfill it, and switch over instead."),
								-1);
				break;
			case AT_DropColumn:
				if (!is_new)
					am_lint_add_finding(ls, "warning", "drop_column", am_lint_quoted(as->relation),
								psprintf("column %s is dropped with its data", quote_identifier(cmd->name)),
								pstrdup("Destructive: make sure no client reads it any more, and that a backup exists."),
								-1);
				break;
			case AT_AddConstraint:
				{
					Constraint *c = (Constraint *) cmd->def;

					if (c->contype == CONSTR_PRIMARY)
						am_lint_nameset_add(ls->with_pkey, key);
					if ((c->contype == CONSTR_PRIMARY || c->contype == CONSTR_UNIQUE) && c->keys)
						am_lint_nameset_add(ls->indexed, psprintf("%s.%s", key, strVal(linitial(c->keys))));
					fks = am_lint_foreign_keys_of(ls, fks, as->relation, (Node *) c);
					if (!is_new)
						lint_live_constraint(ls, as->relation, c);
					break;
				}
			case AT_ValidateConstraint:
				if (am_lint_nameset_has(ls->not_valid, psprintf("%s.%s", key, cmd->name)))
					am_lint_add_finding(ls, "warning", "validate_in_same_migration", am_lint_quoted(as->relation),
								psprintf("constraint %s is added NOT VALID and validated in the same migration",
										 quote_identifier(cmd->name)),
								pstrdup("In one transaction the lock taken to add it is held through the validating scan: validate it in a later migration."),
								-1);
				break;
			case AT_SetNotNull:
				if (!is_new)
					am_lint_add_finding(ls, "warning", "set_not_null", am_lint_quoted(as->relation),
								psprintf("SET NOT NULL on column %s scans the table under an ACCESS EXCLUSIVE lock",
										 quote_identifier(cmd->name)),
								pstrdup("Add CHECK (column IS NOT NULL) NOT VALID, validate it in a later migration, then SET NOT NULL, which uses the check instead of scanning."),
								-1);
				break;
			case AT_DropNotNull:
				if (!is_new)
					am_lint_add_finding(ls, "warning", "drop_not_null", am_lint_quoted(as->relation),
								psprintf("column %s may hold NULL from now on", quote_identifier(cmd->name)),
								pstrdup("Clients that read the column may not expect NULL: deploy them first."),
								-1);
				break;
			case AT_DetachPartition:
				if (!((PartitionCmd *) cmd->def)->concurrent)
					am_lint_add_finding(ls, "warning", "detach_partition_blocks", am_lint_quoted(as->relation),
								pstrdup("DETACH PARTITION without CONCURRENTLY locks the partitioned table"),
								pstrdup("Use DETACH PARTITION ... CONCURRENTLY in a migration marked \"-- aura:no-transaction\"."),
								-1);
				break;
			default:
				break;
		}
	}
	return fks;
}

/*
 * am_lint_index
 *		CREATE INDEX: remember its leading column, and warn when it blocks
 *		writes to a table the migration did not create.
 */
void
am_lint_index(LintState *ls, IndexStmt *is)
{
	char	   *key = am_lint_qualified(is->relation);
	IndexElem  *first = is->indexParams ? linitial(is->indexParams) : NULL;

	if (first && first->name)
		am_lint_nameset_add(ls->indexed, psprintf("%s.%s", key, first->name));
	if (!is->concurrent && !am_lint_nameset_has(ls->created, key))
		am_lint_add_finding(ls, "warning", "index_blocks_writes", am_lint_quoted(is->relation),
					pstrdup("CREATE INDEX without CONCURRENTLY blocks writes to the table while it builds"),
					pstrdup("On a live table use CREATE INDEX CONCURRENTLY in a migration marked \"-- aura:no-transaction\"."),
					-1);
}

/*
 * am_lint_drop
 *		DROP TABLE of a table the migration did not create.
 */
void
am_lint_drop(LintState *ls, DropStmt *ds)
{
	ListCell   *lc;

	if (ds->removeType == OBJECT_INDEX && !ds->concurrent)
		am_lint_add_finding(ls, "warning", "index_blocks_writes", NULL,
					pstrdup("DROP INDEX without CONCURRENTLY blocks reads and writes of the table"),
					pstrdup("Use DROP INDEX CONCURRENTLY in a migration marked \"-- aura:no-transaction\"."),
					-1);
	if (ds->removeType != OBJECT_TABLE)
		return;
	foreach(lc, ds->objects)
	{
		RangeVar   *rv = makeRangeVarFromNameList((List *) lfirst(lc));

		if (!am_lint_nameset_has(ls->created, am_lint_qualified(rv)))
			am_lint_add_finding(ls, "warning", "drop_table", am_lint_quoted(rv),
						pstrdup("the table is dropped with its data"),
						pstrdup("Destructive: make sure nothing uses it any more, and that a backup exists."),
						-1);
	}
}

/*
 * am_lint_vacuum_full
 *		Whether a VACUUM has the FULL option.
 */
bool
am_lint_vacuum_full(VacuumStmt *vs)
{
	ListCell   *lc;

	foreach(lc, vs->options)
		if (strcmp(((DefElem *) lfirst(lc))->defname, "full") == 0)
			return true;
	return false;
}

/*
 * am_lint_rename
 *		Renaming a live table or column breaks the clients that use the old
 *		name (the API exposes them as they are named).
 */
void
am_lint_rename(LintState *ls, RenameStmt *rs)
{
	if (rs->relation == NULL || am_lint_nameset_has(ls->created, am_lint_qualified(rs->relation)))
		return;
	if (rs->renameType == OBJECT_COLUMN)
		am_lint_add_finding(ls, "warning", "rename_breaks_clients", am_lint_quoted(rs->relation),
					psprintf("column %s is renamed to %s", quote_identifier(rs->subname),
							 quote_identifier(rs->newname)),
					pstrdup("Clients (and the API) that use the old name break: add the new column, move clients over, then drop the old one."),
					-1);
	else if (rs->renameType == OBJECT_TABLE || rs->renameType == OBJECT_VIEW)
		am_lint_add_finding(ls, "warning", "rename_breaks_clients", am_lint_quoted(rs->relation),
					psprintf("%s is renamed to %s", am_lint_quoted(rs->relation), quote_identifier(rs->newname)),
					pstrdup("Clients (and the API) that use the old name break: rename in steps, or keep a view under the old name."),
					-1);
}

/*
 * live_index_leads_with
 *		Whether the table exists already and one of its valid indexes has
 *		column as its first key column.  The only catalog lint() reads: a
 *		foreign key added to a live table that has its index is fine.
 */
static bool
live_index_leads_with(RangeVar *rel, const char *column)
{
	Oid			relid = InvalidOid;
	AttrNumber	attnum;
	Relation	pg_index;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	bool		found = false;

	if (rel->schemaname == NULL || OidIsValid(get_namespace_oid(rel->schemaname, true)))
		relid = RangeVarGetRelid(rel, NoLock, true);
	if (!OidIsValid(relid))
		return false;
	attnum = get_attnum(relid, column);
	if (attnum == InvalidAttrNumber)
		return false;

	/* pg_index is readable by everyone, as lint() is callable by anyone */
	pg_index = table_open(IndexRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_index_indrelid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	scan = systable_beginscan(pg_index, IndexIndrelidIndexId, true, NULL, 1, &key);
	while (!found && HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_index ix = (Form_pg_index) GETSTRUCT(tup);

		found = ix->indisvalid && ix->indnkeyatts > 0 && ix->indkey.values[0] == attnum &&
			heap_attisnull(tup, Anum_pg_index_indpred, NULL);
	}
	systable_endscan(scan);
	table_close(pg_index, AccessShareLock);
	return found;
}

/*
 * am_lint_foreign_keys
 *		Foreign keys whose column no index leads with: none of the
 *		migration's, and, on a table that exists, none of its own.
 */
void
am_lint_foreign_keys(LintState *ls, List *fks)
{
	ListCell   *lc;

	foreach(lc, fks)
	{
		FkRef	   *f = lfirst(lc);

		if (am_lint_nameset_has(ls->indexed, psprintf("%s.%s", am_lint_qualified(f->rel), f->column)) ||
			live_index_leads_with(f->rel, f->column))
			continue;
		ls->cur = f->stmtidx;
		am_lint_add_finding(ls, "warning", "foreign_key_without_index", am_lint_quoted(f->rel),
					psprintf("foreign key column %s has no index leading with it",
							 quote_identifier(f->column)),
					pstrdup("Index the referencing column: deletes and updates of the referenced row otherwise scan the whole table."),
					-1);
	}
}
