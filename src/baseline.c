/*-------------------------------------------------------------------------
 *
 * baseline.c
 *	  baseline(): adopting the engine on a database whose schema exists.
 *
 * A database built before aura_migrate (by psql, the Supabase CLI, another
 * tool) already holds what its first migrations create; applying them would
 * fail with "relation ... already exists".  baseline(version) records every
 * pending migration up to version as applied without running it (event
 * baselined), as Flyway's baseline does, but first checks that what those
 * migrations create is there: their SQL is parsed (never executed) and
 * each object a CREATE names (tables and their columns, views, indexes,
 * sequences, types, functions, schemas, extensions, policies, triggers,
 * columns added by ALTER TABLE) is looked up in the catalogs, after the
 * later migrations' DROP and RENAME statements are taken into account.
 * What is missing is listed, and the baseline refused unless force.  What
 * is there is recorded in aura_migrate.object_change as created by its
 * migration (command tag BASELINE), as if the DDL recorder had seen it:
 * verify() watches it from then on, and reset() can take it back.
 *
 * What a DO block or a function creates is not seen; the check is a guard
 * against baselining the wrong database or the wrong version, not a proof.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/baseline.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/policy.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "authority.h"
#include "eventlog.h"
#include "owner.h"
#include "registry.h"
#include "run.h"
#include "settings.h"
#include "sqlsplit.h"
#include "validate.h"

PG_FUNCTION_INFO_V1(aura_migrate_baseline);

/* One object a migration creates, as its SQL names it. */
typedef enum AmObjKind
{
	OBJ_RELATION,				/* table, view, sequence, materialized view */
	OBJ_COLUMN,					/* name of a column of relation */
	OBJ_INDEX,					/* name of an index on relation */
	OBJ_POLICY,					/* name of a policy on relation */
	OBJ_TRIGGER,				/* name of a trigger on relation */
	OBJ_TYPE,
	OBJ_FUNCTION,
	OBJ_SCHEMA,
	OBJ_EXTENSION
} AmObjKind;

typedef struct AmExpected
{
	AmObjKind	kind;
	char	   *schema;			/* NULL: unqualified (search_path) */
	char	   *rel;			/* the relation, or the object itself */
	char	   *name;			/* column, index, policy or trigger */
	const char *what;			/* "table", "view", ... for the message */
	char	   *version;		/* the migration that creates it */
	bool		found;			/* it exists, at addr */
	ObjectAddress addr;
} AmExpected;

/*
 * same_name
 *		Whether two possibly schema-qualified names can be the same object:
 *		a schema given on both sides must agree.
 */
static bool
same_name(const char *s1, const char *n1, const char *s2, const char *n2)
{
	if (n1 == NULL || n2 == NULL || strcmp(n1, n2) != 0)
		return false;
	return s1 == NULL || s2 == NULL || strcmp(s1, s2) == 0;
}

/*
 * The schema unqualified names are created in while one migration is read:
 * NULL (the search path of the caller) until the migration sets its own
 * search_path.
 */
static char *creation_schema = NULL;

static List *
expect(List *list, AmObjKind kind, const char *what, const char *schema,
	   const char *rel, const char *name, const char *version)
{
	AmExpected *e = palloc0(sizeof(AmExpected));

	if (schema == NULL && kind != OBJ_SCHEMA && kind != OBJ_EXTENSION)
		schema = creation_schema;
	e->kind = kind;
	e->what = what;
	e->schema = schema ? pstrdup(schema) : NULL;
	e->rel = rel ? pstrdup(rel) : NULL;
	e->name = name ? pstrdup(name) : NULL;
	e->version = pstrdup(version);
	return lappend(list, e);
}

/*
 * forget_relation
 *		A relation was dropped: forget it and what hangs on it.
 */
static List *
forget_relation(List *list, const char *schema, const char *rel)
{
	ListCell   *lc;

	foreach(lc, list)
	{
		AmExpected *e = lfirst(lc);

		if (e->kind != OBJ_TYPE && e->kind != OBJ_FUNCTION &&
			e->kind != OBJ_SCHEMA && e->kind != OBJ_EXTENSION &&
			same_name(e->schema, e->rel, schema, rel))
			list = foreach_delete_current(list, lc);
		/* an index is dropped by its own name */
		else if (e->kind == OBJ_INDEX && e->name && strcmp(e->name, rel) == 0)
			list = foreach_delete_current(list, lc);
	}
	return list;
}

static List *
forget(List *list, AmObjKind kind, const char *schema, const char *rel,
	   const char *name)
{
	ListCell   *lc;

	foreach(lc, list)
	{
		AmExpected *e = lfirst(lc);

		if (e->kind == kind && same_name(e->schema, e->rel, schema, rel) &&
			(name == NULL || (e->name && strcmp(e->name, name) == 0)))
			list = foreach_delete_current(list, lc);
	}
	return list;
}

/*
 * forget_schema
 *		A schema was dropped (with CASCADE, or empty): forget it and
 *		everything expected in it.
 */
static List *
forget_schema(List *list, const char *schema)
{
	ListCell   *lc;

	foreach(lc, list)
	{
		AmExpected *e = lfirst(lc);

		if ((e->kind == OBJ_SCHEMA && strcmp(e->rel, schema) == 0) ||
			(e->schema != NULL && strcmp(e->schema, schema) == 0))
			list = foreach_delete_current(list, lc);
	}
	return list;
}

/* the last name and the one before it, of a qualified name list */
static void
split_names(List *names, char **schema, char **name)
{
	int			n = list_length(names);

	*name = strVal(llast(names));
	*schema = n >= 2 ? strVal(list_nth(names, n - 2)) : NULL;
}

/*
 * expect_statement
 *		What one statement creates, drops or renames, applied to list.
 */
static List *
expect_statement(List *list, Node *n, const char *version)
{
	ListCell   *lc;

	switch (nodeTag(n))
	{
		case T_CreateStmt:
			{
				CreateStmt *cs = (CreateStmt *) n;

				list = expect(list, OBJ_RELATION, "table", cs->relation->schemaname,
							  cs->relation->relname, NULL, version);
				foreach(lc, cs->tableElts)
					if (IsA(lfirst(lc), ColumnDef))
						list = expect(list, OBJ_COLUMN, "column", cs->relation->schemaname,
									  cs->relation->relname,
									  ((ColumnDef *) lfirst(lc))->colname, version);
				break;
			}
		case T_CreateTableAsStmt:
			{
				IntoClause *into = ((CreateTableAsStmt *) n)->into;

				list = expect(list, OBJ_RELATION,
							  ((CreateTableAsStmt *) n)->objtype == OBJECT_MATVIEW ?
							  "materialized view" : "table",
							  into->rel->schemaname, into->rel->relname, NULL, version);
				break;
			}
		case T_ViewStmt:
			list = expect(list, OBJ_RELATION, "view", ((ViewStmt *) n)->view->schemaname,
						  ((ViewStmt *) n)->view->relname, NULL, version);
			break;
		case T_CreateSeqStmt:
			list = expect(list, OBJ_RELATION, "sequence",
						  ((CreateSeqStmt *) n)->sequence->schemaname,
						  ((CreateSeqStmt *) n)->sequence->relname, NULL, version);
			break;
		case T_IndexStmt:
			if (((IndexStmt *) n)->idxname != NULL)
				list = expect(list, OBJ_INDEX, "index", ((IndexStmt *) n)->relation->schemaname,
							  ((IndexStmt *) n)->relation->relname,
							  ((IndexStmt *) n)->idxname, version);
			break;
		case T_CreatePolicyStmt:
			list = expect(list, OBJ_POLICY, "policy", ((CreatePolicyStmt *) n)->table->schemaname,
						  ((CreatePolicyStmt *) n)->table->relname,
						  ((CreatePolicyStmt *) n)->policy_name, version);
			break;
		case T_CreateTrigStmt:
			list = expect(list, OBJ_TRIGGER, "trigger", ((CreateTrigStmt *) n)->relation->schemaname,
						  ((CreateTrigStmt *) n)->relation->relname,
						  ((CreateTrigStmt *) n)->trigname, version);
			break;
		case T_CreateSchemaStmt:
			if (((CreateSchemaStmt *) n)->schemaname != NULL)
				list = expect(list, OBJ_SCHEMA, "schema", NULL,
							  ((CreateSchemaStmt *) n)->schemaname, NULL, version);
			break;
		case T_CreateExtensionStmt:
			list = expect(list, OBJ_EXTENSION, "extension", NULL,
						  ((CreateExtensionStmt *) n)->extname, NULL, version);
			break;
		case T_CreateEnumStmt:
		case T_CreateRangeStmt:
		case T_CreateDomainStmt:
		case T_CompositeTypeStmt:
			{
				char	   *schema = NULL;
				char	   *name;

				if (IsA(n, CompositeTypeStmt))
				{
					schema = ((CompositeTypeStmt *) n)->typevar->schemaname;
					name = ((CompositeTypeStmt *) n)->typevar->relname;
				}
				else
					split_names(IsA(n, CreateEnumStmt) ? ((CreateEnumStmt *) n)->typeName :
								IsA(n, CreateRangeStmt) ? ((CreateRangeStmt *) n)->typeName :
								((CreateDomainStmt *) n)->domainname, &schema, &name);
				list = expect(list, OBJ_TYPE, IsA(n, CreateDomainStmt) ? "domain" : "type",
							  schema, name, NULL, version);
				break;
			}
		case T_CreateFunctionStmt:
			{
				char	   *schema;
				char	   *name;

				split_names(((CreateFunctionStmt *) n)->funcname, &schema, &name);
				list = expect(list, OBJ_FUNCTION,
							  ((CreateFunctionStmt *) n)->is_procedure ? "procedure" : "function",
							  schema, name, NULL, version);
				break;
			}
		case T_AlterTableStmt:
			{
				AlterTableStmt *at = (AlterTableStmt *) n;

				foreach(lc, at->cmds)
				{
					AlterTableCmd *cmd = lfirst(lc);

					if (cmd->subtype == AT_AddColumn && IsA(cmd->def, ColumnDef))
						list = expect(list, OBJ_COLUMN, "column", at->relation->schemaname,
									  at->relation->relname,
									  ((ColumnDef *) cmd->def)->colname, version);
					else if (cmd->subtype == AT_DropColumn)
						list = forget(list, OBJ_COLUMN, at->relation->schemaname,
									  at->relation->relname, cmd->name);
				}
				break;
			}
		case T_RenameStmt:
			{
				RenameStmt *rs = (RenameStmt *) n;

				foreach(lc, list)
				{
					AmExpected *e = lfirst(lc);
					char	   *schema;
					char	   *name;

					if (rs->renameType == OBJECT_FUNCTION || rs->renameType == OBJECT_PROCEDURE ||
						rs->renameType == OBJECT_ROUTINE)
					{
						split_names(((ObjectWithArgs *) rs->object)->objname, &schema, &name);
						if (e->kind == OBJ_FUNCTION && same_name(e->schema, e->rel, schema, name))
							e->rel = pstrdup(rs->newname);
						continue;
					}
					if (rs->renameType == OBJECT_TYPE || rs->renameType == OBJECT_DOMAIN)
					{
						split_names((List *) rs->object, &schema, &name);
						if (e->kind == OBJ_TYPE && same_name(e->schema, e->rel, schema, name))
							e->rel = pstrdup(rs->newname);
						continue;
					}
					if (rs->relation == NULL)
						break;
					if (rs->renameType == OBJECT_INDEX)
					{
						if (e->kind == OBJ_INDEX && e->name &&
							strcmp(e->name, rs->relation->relname) == 0)
							e->name = pstrdup(rs->newname);
					}
					else if (rs->renameType == OBJECT_TRIGGER || rs->renameType == OBJECT_POLICY)
					{
						if (e->kind == (rs->renameType == OBJECT_TRIGGER ? OBJ_TRIGGER : OBJ_POLICY) &&
							e->name && strcmp(e->name, rs->subname) == 0 &&
							same_name(e->schema, e->rel, rs->relation->schemaname,
									  rs->relation->relname))
							e->name = pstrdup(rs->newname);
					}
					else if (rs->renameType == OBJECT_COLUMN)
					{
						if (e->kind == OBJ_COLUMN && e->name && strcmp(e->name, rs->subname) == 0 &&
							same_name(e->schema, e->rel, rs->relation->schemaname,
									  rs->relation->relname))
							e->name = pstrdup(rs->newname);
					}
					else if ((rs->renameType == OBJECT_TABLE || rs->renameType == OBJECT_VIEW ||
							  rs->renameType == OBJECT_MATVIEW || rs->renameType == OBJECT_SEQUENCE) &&
							 e->kind != OBJ_TYPE && e->kind != OBJ_FUNCTION &&
							 e->kind != OBJ_SCHEMA && e->kind != OBJ_EXTENSION &&
							 same_name(e->schema, e->rel, rs->relation->schemaname,
									   rs->relation->relname))
						e->rel = pstrdup(rs->newname);
				}
				break;
			}
		case T_VariableSetStmt:
			{
				VariableSetStmt *vs = (VariableSetStmt *) n;

				/* SET search_path TO app, public: unqualified names go to app */
				if (vs->name == NULL || strcmp(vs->name, "search_path") != 0)
					break;
				creation_schema = NULL;
				if (vs->kind == VAR_SET_VALUE)
					foreach(lc, vs->args)
					{
						Node	   *arg = lfirst(lc);

						if (IsA(arg, A_Const) && IsA(&((A_Const *) arg)->val, String) &&
							strcmp(strVal(&((A_Const *) arg)->val), "$user") != 0)
						{
							creation_schema = pstrdup(strVal(&((A_Const *) arg)->val));
							break;
						}
					}
				break;
			}
		case T_DropStmt:
			{
				DropStmt   *ds = (DropStmt *) n;

				foreach(lc, ds->objects)
				{
					Node	   *obj = lfirst(lc);
					char	   *schema = NULL;
					char	   *name = NULL;

					switch (ds->removeType)
					{
						case OBJECT_TABLE:
						case OBJECT_VIEW:
						case OBJECT_MATVIEW:
						case OBJECT_SEQUENCE:
						case OBJECT_INDEX:
						case OBJECT_FOREIGN_TABLE:
							split_names((List *) obj, &schema, &name);
							list = forget_relation(list, schema, name);
							break;
						case OBJECT_FUNCTION:
						case OBJECT_PROCEDURE:
						case OBJECT_ROUTINE:
							split_names(((ObjectWithArgs *) obj)->objname, &schema, &name);
							list = forget(list, OBJ_FUNCTION, schema, name, NULL);
							break;
						case OBJECT_TYPE:
						case OBJECT_DOMAIN:
							split_names(((TypeName *) obj)->names, &schema, &name);
							list = forget(list, OBJ_TYPE, schema, name, NULL);
							break;
						case OBJECT_SCHEMA:
							list = forget_schema(list, strVal(obj));
							break;
						case OBJECT_EXTENSION:
							list = forget(list, OBJ_EXTENSION, NULL, strVal(obj), NULL);
							break;
						case OBJECT_POLICY:
						case OBJECT_TRIGGER:
							{
								/* [schema.]table.name */
								List	   *names = (List *) obj;
								int			k = list_length(names);

								if (k < 2)
									break;
								name = strVal(llast(names));
								list = forget(list, ds->removeType == OBJECT_POLICY ? OBJ_POLICY : OBJ_TRIGGER,
											  k >= 3 ? strVal(list_nth(names, k - 3)) : NULL,
											  strVal(list_nth(names, k - 2)), name);
								break;
							}
						default:
							break;
					}
				}
				break;
			}
		default:
			break;
	}
	return list;
}

/*
 * find_function
 *		A function or procedure of that name, in schema or (unqualified) in
 *		a schema of the search path; InvalidOid when there is none.
 */
static Oid
find_function(const char *schema, const char *name)
{
	CatCList   *cl = SearchSysCacheList1(PROCNAMEARGSNSP, CStringGetDatum(name));
	List	   *path = schema ? NIL : fetch_search_path(false);
	Oid			nsp = schema ? get_namespace_oid(schema, true) : InvalidOid;
	Oid			found = InvalidOid;
	int			i;

	for (i = 0; i < cl->n_members && !OidIsValid(found); i++)
	{
		Form_pg_proc p = (Form_pg_proc) GETSTRUCT(&cl->members[i]->tuple);

		if (schema ? p->pronamespace == nsp : list_member_oid(path, p->pronamespace))
			found = p->oid;
	}
	ReleaseSysCacheList(cl);
	return found;
}

/*
 * locate
 *		Look the object up in the catalogs: true, with its address, when it
 *		exists.
 */
static bool
locate(AmExpected *e, ObjectAddress *addr)
{
	Oid			relid = InvalidOid;

	memset(addr, 0, sizeof(ObjectAddress));
	switch (e->kind)
	{
		case OBJ_SCHEMA:
			ObjectAddressSet(*addr, NamespaceRelationId, get_namespace_oid(e->rel, true));
			return OidIsValid(addr->objectId);
		case OBJ_EXTENSION:
			ObjectAddressSet(*addr, ExtensionRelationId, get_extension_oid(e->rel, true));
			return OidIsValid(addr->objectId);
		case OBJ_FUNCTION:
			ObjectAddressSet(*addr, ProcedureRelationId, find_function(e->schema, e->rel));
			return OidIsValid(addr->objectId);
		case OBJ_TYPE:
			{
				List	   *names = e->schema ?
					list_make2(makeString(e->schema), makeString(e->rel)) :
					list_make1(makeString(e->rel));

				ObjectAddressSet(*addr, TypeRelationId,
								 LookupTypeNameOid(NULL, makeTypeNameFromNameList(names), true));
				return OidIsValid(addr->objectId);
			}
		default:
			break;
	}

	if (e->schema == NULL || OidIsValid(get_namespace_oid(e->schema, true)))
		relid = RangeVarGetRelid(makeRangeVar(e->schema, e->rel, -1), NoLock, true);
	if (!OidIsValid(relid))
		return false;
	switch (e->kind)
	{
		case OBJ_RELATION:
			ObjectAddressSet(*addr, RelationRelationId, relid);
			break;
		case OBJ_COLUMN:
			ObjectAddressSubSet(*addr, RelationRelationId, relid, get_attnum(relid, e->name));
			return addr->objectSubId != InvalidAttrNumber;
		case OBJ_INDEX:
			ObjectAddressSet(*addr, RelationRelationId,
							 get_relname_relid(e->name, get_rel_namespace(relid)));
			break;
		case OBJ_POLICY:
			ObjectAddressSet(*addr, PolicyRelationId, get_relation_policy_oid(relid, e->name, true));
			break;
		case OBJ_TRIGGER:
			ObjectAddressSet(*addr, TriggerRelationId, get_trigger_oid(relid, e->name, true));
			break;
		default:
			return false;
	}
	return OidIsValid(addr->objectId);
}

/*
 * record_object
 *		What a baselined migration creates and is there is recorded as
 *		created by it (command tag BASELINE), as the DDL recorder would have:
 *		verify() then watches it (object_missing), no longer reports it as
 *		made outside migrations, and reset() can take it back.  A table
 *		brings the indexes of its constraints and the sequences of its
 *		columns, as CREATE TABLE makes them.  Columns are left out, as the
 *		recorder leaves them.  Connected to SPI.
 */
static void
record_object(const char *version, int64 run_id, const ObjectAddress *addr,
			  const char *username)
{
	Oid			argtypes[6] = {TEXTOID, INT8OID, OIDOID, OIDOID, INT4OID, TEXTOID};
	Datum		values[6];

	if (addr->objectSubId != 0)
		return;
	values[0] = CStringGetTextDatum(version);
	values[1] = Int64GetDatum(run_id);
	values[2] = ObjectIdGetDatum(addr->classId);
	values[3] = ObjectIdGetDatum(addr->objectId);
	values[4] = Int32GetDatum(addr->objectSubId);
	values[5] = CStringGetTextDatum(username);
	if (am_spi_owner("INSERT INTO aura_migrate.object_change (version, run_id, action, "
					 "command_tag, object_type, schema_name, object_identity, classid, "
					 "objid, objsubid, changed_by) "
					 "SELECT $1, $2, 'created', 'BASELINE', i.type, i.schema, i.identity, "
					 "       o.classid, o.objid, $5, $6 "
					 "FROM (SELECT $3 AS classid, $4 AS objid "
					 "      UNION ALL "	/* a table's constraint indexes */
					 "      SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, k.conindid "
					 "        FROM pg_catalog.pg_constraint k "
					 "       WHERE $3 = 'pg_catalog.pg_class'::pg_catalog.regclass "
					 "         AND k.conrelid = $4 AND k.conindid <> 0 "
					 "      UNION ALL "	/* and the sequences of its columns */
					 "      SELECT d.classid, d.objid FROM pg_catalog.pg_depend d "
					 "        JOIN pg_catalog.pg_class q ON q.oid = d.objid AND q.relkind = 'S' "
					 "       WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
					 "         AND d.refclassid = $3 AND d.refobjid = $4 "
					 "         AND d.deptype IN ('a', 'i')) o, "
					 "     pg_catalog.pg_identify_object(o.classid, o.objid, $5) i "
					 "WHERE i.identity IS NOT NULL",
					 6, argtypes, values, NULL, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not record what migration %s created", version);
}

/*
 * describe
 *		"table public.profiles (migration 20240101000000)", as a line of the
 *		list of what is missing.
 */
static void
describe(StringInfo buf, AmExpected *e)
{
	const char *rel = e->schema ? quote_qualified_identifier(e->schema, e->rel) :
		quote_identifier(e->rel);

	appendStringInfoString(buf, "\n  ");
	if (e->name != NULL && e->kind == OBJ_COLUMN)
		appendStringInfo(buf, "column %s.%s", rel, quote_identifier(e->name));
	else if (e->name != NULL)
		appendStringInfo(buf, "%s %s on %s", e->what, quote_identifier(e->name), rel);
	else
		appendStringInfo(buf, "%s %s", e->what, rel);
	appendStringInfo(buf, " (migration %s)", e->version);
}

/*
 * aura_migrate_baseline
 *		SQL: aura_migrate.baseline(version text, force boolean DEFAULT false)
 *			 RETURNS TABLE (version text, name text, status text)
 *
 * Records every pending migration of this environment up to and including
 * version as applied without running it.  Refused when version is not
 * registered, when a later migration is applied already, and, unless
 * force, when what the migrations create is not all there.  EXECUTE is
 * revoked from PUBLIC.
 */
Datum
aura_migrate_baseline(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *target;
	bool		force;
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	MemoryContext cxt;
	MemoryContext oldcxt;
	List	   *expected = NIL;
	StringInfoData missing;
	int			nmissing = 0;
	int			npending;
	char	  **versions;
	char	  **names;
	char	  **sqls;
	int64		run_id;
	const char *env = am_environment_name();
	char	   *username = GetUserNameFromId(GetUserId(), false);
	ListCell   *lc;
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("version must not be null")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("force must not be null")));
	target = text_to_cstring(PG_GETARG_TEXT_PP(0));
	force = PG_GETARG_BOOL(1);
	am_check_version(target, "version");

	InitMaterializedSRF(fcinfo, 0);
	am_require_current_version();
	am_require_read_committed("baseline");
	am_lock_registry();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	values[0] = CStringGetTextDatum(target);
	values[1] = CStringGetTextDatum(env);
	if (am_spi_owner("SELECT EXISTS (SELECT 1 FROM aura_migrate.migration WHERE version = $1), "
					 "(SELECT version FROM aura_migrate.history "
					 "  WHERE aura_migrate.version_key(version) > aura_migrate.version_key($1) "
					 "  ORDER BY aura_migrate.version_key(version) DESC LIMIT 1)",
					 1, argtypes, values, NULL, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not look up migration %s", target);
	if (strcmp(am_spi_getstr(0, 1), "t") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("migration %s is not registered", target),
				 errhint("Register the migrations the database already has (run-migration.sh import DIR registers a folder), then baseline.")));
	if (am_spi_getstr(0, 2) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot baseline at %s: migration %s, a later one, is already applied",
						target, am_spi_getstr(0, 2)),
				 errdetail("A baseline records the migrations up to a version as applied; it cannot come after later ones."),
				 errhint("Baseline at a version after the newest applied one, or apply the pending migrations instead.")));

	/* the pending migrations up to target, in order */
	if (am_spi_owner("SELECT m.version, m.name, m.up_sql, m.registered_by "
					 "FROM aura_migrate.migration m "
					 "WHERE NOT EXISTS (SELECT 1 FROM aura_migrate.history h "
					 "                  WHERE h.version = m.version) "
					 "AND aura_migrate.version_key(m.version) <= aura_migrate.version_key($1) "
					 "AND (m.environments IS NULL OR $2 = ANY (m.environments)) "
					 "ORDER BY aura_migrate.version_key(m.version)",
					 2, argtypes, values, NULL, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the pending migrations");
	npending = (int) SPI_processed;
	versions = palloc(sizeof(char *) * Max(npending, 1));
	names = palloc(sizeof(char *) * Max(npending, 1));
	sqls = palloc(sizeof(char *) * Max(npending, 1));
	for (i = 0; i < npending; i++)
	{
		versions[i] = am_spi_getstr(i, 1);
		names[i] = am_spi_getstr(i, 2);
		sqls[i] = am_spi_getstr(i, 3);
		am_require_registrar_privileges(versions[i], am_spi_getstr(i, 4), true);
	}
	if (npending == 0)
	{
		ereport(NOTICE,
				(errmsg("no pending migration up to %s", target),
				 errdetail("Nothing was recorded.")));
		if (SPI_finish() != SPI_OK_FINISH)
			elog(ERROR, "SPI_finish failed");
		return (Datum) 0;
	}

	/* what they create, after their own drops and renames */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "aura_migrate baseline",
								ALLOCSET_DEFAULT_SIZES);
	for (i = 0; i < npending; i++)
	{
		MemoryContext parsecxt = AllocSetContextCreate(cxt, "aura_migrate baseline parse",
													   ALLOCSET_DEFAULT_SIZES);
		AmParsed   *parsed;
		int			s;

		oldcxt = MemoryContextSwitchTo(parsecxt);
		parsed = am_parse_sql(sqls[i]);
		MemoryContextSwitchTo(cxt);
		creation_schema = NULL;		/* each migration starts afresh */
		for (s = 0; !parsed->failed && s < parsed->nstmts; s++)
			expected = expect_statement(expected, parsed->stmts[s].raw->stmt, versions[i]);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextDelete(parsecxt);
	}
	creation_schema = NULL;

	initStringInfo(&missing);
	foreach(lc, expected)
	{
		AmExpected *e = lfirst(lc);

		if (locate(e, &e->addr))
		{
			e->found = true;
			continue;
		}
		if (++nmissing <= 20)
			describe(&missing, e);
	}
	if (nmissing > 20)
		appendStringInfo(&missing, "\n  ... and %d more", nmissing - 20);
	if (nmissing > 0)
		ereport(force ? WARNING : ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg_plural("%d object the migrations up to %s create does not exist",
							   "%d objects the migrations up to %s create do not exist",
							   nmissing, nmissing, target),
				 errdetail("Missing:%s", missing.data),
				 force ?
				 errhint("They are recorded as applied all the same (force => true).") :
				 errhint("Is this the right database, and the right version?  Baseline at an earlier version, or pass force => true to record them as applied all the same.")));

	/* record them */
	run_id = am_next_run_id();
	for (i = 0; i < npending; i++)
	{
		Oid			hargtypes[4] = {TEXTOID, INT8OID, TEXTOID, TEXTOID};
		Datum		hvalues[4];
		Datum		row[3];
		bool		nulls[3] = {false, false, false};
		AmLogEntry	e;

		hvalues[0] = CStringGetTextDatum(versions[i]);
		hvalues[1] = Int64GetDatum(run_id);
		hvalues[2] = CStringGetTextDatum(env);
		hvalues[3] = CStringGetTextDatum(username);
		if (am_spi_owner("INSERT INTO aura_migrate.history (version, name, checksum, "
						 "statements, run_id, applied_by, environment, duration_ms, "
						 "registered_by) "
						 "SELECT m.version, m.name, m.checksum, m.statements, $2, "
						 "       $4, $3, 0, m.registered_by "
						 "FROM aura_migrate.migration m WHERE m.version = $1 "
						 "RETURNING checksum",
						 4, hargtypes, hvalues, NULL, 1) != SPI_OK_INSERT_RETURNING ||
			SPI_processed != 1)
			elog(ERROR, "could not record migration %s", versions[i]);

		memset(&e, 0, sizeof(e));
		e.run_id = run_id;
		e.version = versions[i];
		e.event = "baselined";
		e.duration_ms = -1;
		e.message = nmissing > 0 ?
			psprintf("recorded as applied without running it, with force: %d objects the migrations up to %s create were missing",
					 nmissing, target) :
			pstrdup("recorded as applied without running it");
		e.environment = env;
		e.username = username;
		e.checksum = am_spi_getstr(0, 1);
		am_log_insert(&e);

		row[0] = CStringGetTextDatum(versions[i]);
		row[1] = CStringGetTextDatum(names[i]);
		row[2] = CStringGetTextDatum("baselined");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, row, nulls);
	}

	/* what they create is recorded as theirs */
	foreach(lc, expected)
	{
		AmExpected *e = lfirst(lc);

		if (e->found)
			record_object(e->version, run_id, &e->addr, username);
	}
	MemoryContextDelete(cxt);

	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	return (Datum) 0;
}
