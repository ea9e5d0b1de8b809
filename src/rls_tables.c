/*-------------------------------------------------------------------------
 *
 * rls_tables.c
 *	  Reading the tables of the checked schemas for check_rls(): their row
 *	  level security flags and owner, their owner and scope columns, the
 *	  first key column of their indexes, and what anon, PUBLIC and the
 *	  zero-knowledge roles may do with them.
 *
 * This was one catalog query of many correlated subqueries.  With a
 * thousand tables, planning it and running it in a new session took more
 * than half of check_rls() (about 115 ms of 195 ms, most of it per-table
 * executor work and, on the first call, the catalog cache filled by
 * has_table_privilege()).  The same facts are read here through the
 * catalogs' own indexes, table by table, and the privileges are computed
 * from the ACLs already in hand.  Facts about the tables that foreign keys
 * point to are looked up once per run.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/rls_tables.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/catalog.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_index.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "rls.h"

/* privileges of has_table_privilege() for anon, and of a column's ACL */
#define TABLE_PRIVS (ACL_SELECT | ACL_INSERT | ACL_UPDATE | ACL_DELETE | \
					 ACL_TRUNCATE | ACL_REFERENCES | ACL_TRIGGER)
#define COLUMN_PRIVS (ACL_SELECT | ACL_INSERT | ACL_UPDATE | ACL_REFERENCES)

/* A table found in pg_class, before the rest is read. */
typedef struct Candidate
{
	Oid			relid;
	char	   *nspname;
	char	   *relname;
	Oid			owner;
	bool		rls;
	bool		force;
	bool		system;			/* IsSystemClass() */
	Acl		   *acl;			/* relacl, or NULL */
} Candidate;

/* One single-column foreign key. */
typedef struct ForeignKey
{
	int16		attnum;			/* conkey[1] */
	Oid			confrelid;
	int16		confattnum;		/* confkey[1] */
} ForeignKey;

/*
 * What this run knows of a table a foreign key points to, or of a table
 * that points to one: looked up once.
 */
typedef struct RelFacts
{
	Oid			relid;			/* hash key */
	bool		exists;
	char	   *relname;
	Oid			nspid;
	List	   *fks;			/* its single-column foreign keys */
	bool		user_col;		/* a column user_id, or a foreign key to users */
	bool		referrers_read;
	List	   *referrers;		/* tables with a user column whose foreign
								 * key points here */
} RelFacts;

typedef struct TablesState
{
	AmRlsRun   *run;
	List	   *nsp_oids;		/* the checked schemas that exist */
	Oid			auth_nsp;
	HTAB	   *facts;			/* RelFacts by Oid */
	HTAB	   *ext_members;	/* Oid keys: tables of an extension to skip */
	List	   *definer_owner;	/* Oids, with definer_fn alike */
	List	   *definer_fn;
	bool		views;			/* a view or materialized view was seen */
} TablesState;

static List *single_column_fks(Oid relid);

/*
 * checked_namespace
 *		Whether nspid is one of the checked schemas.
 */
static bool
checked_namespace(TablesState *st, Oid nspid)
{
	return list_member_oid(st->nsp_oids, nspid);
}

/*
 * users_namespace
 *		Whether a users table in nspid is the users table: auth.users, or a
 *		users table of a checked schema.
 */
static bool
users_namespace(TablesState *st, Oid nspid)
{
	return (OidIsValid(st->auth_nsp) && nspid == st->auth_nsp) ||
		checked_namespace(st, nspid);
}

/*
 * rel_facts
 *		The facts of relid, read on first use.
 */
static RelFacts *
rel_facts(TablesState *st, Oid relid)
{
	RelFacts   *f;
	bool		found;
	HeapTuple	tup;
	ListCell   *lc;

	f = hash_search(st->facts, &relid, HASH_ENTER, &found);
	if (found)
		return f;
	f->exists = false;
	f->relname = NULL;
	f->nspid = InvalidOid;
	f->fks = NIL;
	f->user_col = false;
	f->referrers_read = false;
	f->referrers = NIL;

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		return f;
	f->exists = true;
	f->relname = pstrdup(NameStr(((Form_pg_class) GETSTRUCT(tup))->relname));
	f->nspid = ((Form_pg_class) GETSTRUCT(tup))->relnamespace;
	ReleaseSysCache(tup);

	f->fks = single_column_fks(relid);
	f->user_col = SearchSysCacheExistsAttName(relid, "user_id");
	foreach(lc, f->fks)
	{
		ForeignKey *k = (ForeignKey *) lfirst(lc);
		char	   *name;

		if (f->user_col)
			break;
		name = get_rel_name(k->confrelid);
		if (name != NULL && strcmp(name, "users") == 0)
			f->user_col = true;
	}
	return f;
}

/*
 * single_column_fks
 *		The foreign keys of relid on one column, through pg_constraint's
 *		index on conrelid.
 */
static List *
single_column_fks(Oid relid)
{
	Relation	rel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *fks = NIL;

	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, ConstraintRelidTypidNameIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);
		bool		isnull;
		Datum		d;
		ArrayType  *conkey;
		ArrayType  *confkey;
		ForeignKey *k;

		if (con->contype != CONSTRAINT_FOREIGN)
			continue;
		d = heap_getattr(tup, Anum_pg_constraint_conkey, RelationGetDescr(rel), &isnull);
		if (isnull)
			continue;
		conkey = DatumGetArrayTypeP(d);
		if (ARR_NDIM(conkey) != 1 || ARR_DIMS(conkey)[0] != 1 || ARR_HASNULL(conkey))
			continue;
		d = heap_getattr(tup, Anum_pg_constraint_confkey, RelationGetDescr(rel), &isnull);
		if (isnull)
			continue;
		confkey = DatumGetArrayTypeP(d);
		if (ARR_NDIM(confkey) != 1 || ARR_DIMS(confkey)[0] != 1 || ARR_HASNULL(confkey))
			continue;
		k = palloc(sizeof(ForeignKey));
		k->attnum = ((int16 *) ARR_DATA_PTR(conkey))[0];
		k->confrelid = con->confrelid;
		k->confattnum = ((int16 *) ARR_DATA_PTR(confkey))[0];
		fks = lappend(fks, k);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return fks;
}

/*
 * fk_to_users
 *		Whether foreign key k leads to the users: to users.id (in auth or a
 *		checked schema), or to a column of a profile table that is itself a
 *		foreign key to such a users table (profiles.id REFERENCES
 *		auth.users).
 */
static bool
fk_to_users(TablesState *st, ForeignKey *k)
{
	RelFacts   *r = rel_facts(st, k->confrelid);
	ListCell   *lc;

	if (!r->exists)
		return false;
	if (strcmp(r->relname, "users") == 0 && users_namespace(st, r->nspid))
	{
		char	   *att = get_attname(k->confrelid, k->confattnum, true);

		if (att != NULL && strcmp(att, "id") == 0)
			return true;
	}
	foreach(lc, r->fks)
	{
		ForeignKey *k2 = (ForeignKey *) lfirst(lc);
		RelFacts   *u;

		if (k2->attnum != k->confattnum)
			continue;
		u = rel_facts(st, k2->confrelid);
		if (u->exists && strcmp(u->relname, "users") == 0 && users_namespace(st, u->nspid))
			return true;
	}
	return false;
}

/*
 * referrers
 *		The tables with a user column (user_id, or a foreign key to a users
 *		table) that have a foreign key to relid: found through pg_depend's
 *		index on what is referenced, once per run.
 */
static List *
referrers(TablesState *st, Oid relid)
{
	RelFacts   *f = rel_facts(st, relid);
	List	   *found = NIL;
	Relation	dep;
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;
	ListCell   *lc;

	if (f->referrers_read)
		return f->referrers;

	dep = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(RelationRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(dep, DependReferenceIndexId, true, NULL, 2, key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_depend d = (Form_pg_depend) GETSTRUCT(tup);
		HeapTuple	con;

		if (d->classid != ConstraintRelationId)
			continue;
		con = SearchSysCache1(CONSTROID, ObjectIdGetDatum(d->objid));
		if (!HeapTupleIsValid(con))
			continue;
		if (((Form_pg_constraint) GETSTRUCT(con))->contype == CONSTRAINT_FOREIGN &&
			((Form_pg_constraint) GETSTRUCT(con))->confrelid == relid)
			found = list_append_unique_oid(found,
										   ((Form_pg_constraint) GETSTRUCT(con))->conrelid);
		ReleaseSysCache(con);
	}
	systable_endscan(scan);
	table_close(dep, AccessShareLock);

	foreach(lc, found)
	{
		if (!rel_facts(st, lfirst_oid(lc))->user_col)
			found = foreach_delete_current(found, lc);
	}
	f->referrers = found;
	f->referrers_read = true;
	return found;
}

/*
 * extension_members
 *		The tables to leave out: those of an extension, when the extension's
 *		or the table's owner is a superuser (not what a migrator added).
 */
static HTAB *
extension_members(void)
{
	HASHCTL		ctl;
	HTAB	   *members;
	Relation	ext;
	Relation	dep;
	SysScanDesc escan;
	HeapTuple	etup;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(Oid) * 2;
	ctl.hcxt = CurrentMemoryContext;
	members = hash_create("check_rls extension tables", 64, &ctl,
						  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	ext = table_open(ExtensionRelationId, AccessShareLock);
	dep = table_open(DependRelationId, AccessShareLock);
	escan = systable_beginscan(ext, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(etup = systable_getnext(escan)))
	{
		Form_pg_extension x = (Form_pg_extension) GETSTRUCT(etup);
		ScanKeyData key[2];
		SysScanDesc scan;
		HeapTuple	tup;

		ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(ExtensionRelationId));
		ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(x->oid));
		scan = systable_beginscan(dep, DependReferenceIndexId, true, NULL, 2, key);
		while (HeapTupleIsValid(tup = systable_getnext(scan)))
		{
			Form_pg_depend d = (Form_pg_depend) GETSTRUCT(tup);
			Oid		   *entry;

			if (d->classid != RelationRelationId || d->deptype != DEPENDENCY_EXTENSION)
				continue;
			entry = hash_search(members, &d->objid, HASH_ENTER, NULL);
			entry[1] = x->extowner;
		}
		systable_endscan(scan);
	}
	systable_endscan(escan);
	table_close(dep, AccessShareLock);
	table_close(ext, AccessShareLock);
	return members;
}

/*
 * read_definer_fns
 *		For each role owning a SECURITY DEFINER function of a checked
 *		schema, one of them (the least by name) as schema.name(types).
 */
static void
read_definer_fns(TablesState *st, Datum schemas)
{
	Oid			argtypes[1] = {NAMEARRAYOID};
	Datum		values[1] = {schemas};
	uint64		i;

	if (SPI_execute_with_args("SELECT p.proowner,"
							  "       min(pg_catalog.format('%I.%I(%s)', pn.nspname, p.proname,"
							  "           pg_catalog.oidvectortypes(p.proargtypes)))"
							  "  FROM pg_catalog.pg_proc p"
							  "  JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace"
							  " WHERE p.prosecdef AND pn.nspname = ANY ($1)"
							  " GROUP BY p.proowner",
							  1, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the definer functions of the checked schemas");
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Oid			owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
														   SPI_tuptable->tupdesc, 1,
														   &isnull));

		st->definer_owner = lappend_oid(st->definer_owner, owner);
		st->definer_fn = lappend(st->definer_fn, am_rls_spi_str(SPI_tuptable->vals[i], 2));
	}
}

/*
 * candidate_from_tuple
 *		A pg_class row of a checked schema as a Candidate, or NULL when it
 *		is not a table or not in a checked schema.
 */
static Candidate *
candidate_from_tuple(TablesState *st, HeapTuple tup, TupleDesc td, List *nsp_names)
{
	Form_pg_class form = (Form_pg_class) GETSTRUCT(tup);
	Candidate  *c;
	ListCell   *lo;
	ListCell   *ln;
	bool		isnull;
	Datum		acl;

	if (form->relkind == RELKIND_VIEW || form->relkind == RELKIND_MATVIEW)
	{
		if (checked_namespace(st, form->relnamespace))
			st->views = true;
		return NULL;
	}
	if (form->relkind != RELKIND_RELATION && form->relkind != RELKIND_PARTITIONED_TABLE)
		return NULL;
	c = palloc0(sizeof(Candidate));
	forboth(lo, st->nsp_oids, ln, nsp_names)
	{
		if (lfirst_oid(lo) == form->relnamespace)
			c->nspname = (char *) lfirst(ln);
	}
	if (c->nspname == NULL)
	{
		pfree(c);
		return NULL;
	}
	c->relid = form->oid;
	c->relname = pstrdup(NameStr(form->relname));
	c->owner = form->relowner;
	c->rls = form->relrowsecurity;
	c->force = form->relforcerowsecurity;
	c->system = IsSystemClass(form->oid, form);
	acl = heap_getattr(tup, Anum_pg_class_relacl, td, &isnull);
	c->acl = isnull ? NULL : DatumGetAclPCopy(acl);
	return c;
}

/*
 * candidate_cmp
 *		list_sort() order of the tables: schema, then name, as name
 *		compares.
 */
static int
candidate_cmp(const ListCell *a, const ListCell *b)
{
	const Candidate *x = (const Candidate *) lfirst(a);
	const Candidate *y = (const Candidate *) lfirst(b);
	int			r = strcmp(x->nspname, y->nspname);

	return r != 0 ? r : strcmp(x->relname, y->relname);
}

/*
 * read_candidates
 *		The tables and partitioned tables of the checked schemas, or of
 *		those of them in run->only, in schema and name order.
 */
static List *
read_candidates(TablesState *st, List *nsp_names)
{
	Relation	rel = table_open(RelationRelationId, AccessShareLock);
	TupleDesc	td = RelationGetDescr(rel);
	List	   *found = NIL;

	if (st->run->only != (Datum) 0)
	{
		ArrayType  *only = DatumGetArrayTypeP(st->run->only);
		Datum	   *elems;
		bool	   *nulls;
		int			nelems;
		int			i;
		List	   *seen = NIL;

		deconstruct_array(only, OIDOID, sizeof(Oid), true, TYPALIGN_INT,
						  &elems, &nulls, &nelems);
		for (i = 0; i < nelems; i++)
		{
			Oid			relid = DatumGetObjectId(elems[i]);
			HeapTuple	tup;
			Candidate  *c;

			if (nulls[i] || list_member_oid(seen, relid))
				continue;
			seen = lappend_oid(seen, relid);
			tup = SearchSysCacheCopy1(RELOID, ObjectIdGetDatum(relid));
			if (!HeapTupleIsValid(tup))
				continue;
			c = candidate_from_tuple(st, tup, td, nsp_names);
			if (c != NULL)
				found = lappend(found, c);
			heap_freetuple(tup);
		}
	}
	else
	{
		SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
		HeapTuple	tup;

		while (HeapTupleIsValid(tup = systable_getnext(scan)))
		{
			Candidate  *c = candidate_from_tuple(st, tup, td, nsp_names);

			if (c != NULL)
				found = lappend(found, c);
		}
		systable_endscan(scan);
		/* the views check has nothing to read */
		st->run->no_views = !st->views;
	}
	table_close(rel, AccessShareLock);

	list_sort(found, candidate_cmp);
	return found;
}

/*
 * acl_public_or_member
 *		Whether acl grants anything to PUBLIC, or (when roleid is valid) to
 *		a role roleid is a member of.
 */
static bool
acl_public_or_member(Acl *acl, Oid roleid)
{
	AclItem    *items;
	int			i;

	if (acl == NULL)
		return false;
	items = ACL_DAT(acl);
	for (i = 0; i < ACL_NUM(acl); i++)
	{
		if (ACLITEM_GET_PRIVS(items[i]) == 0)
			continue;
		if (items[i].ai_grantee == ACL_ID_PUBLIC)
			return true;
		if (OidIsValid(roleid) && is_member_of_role(roleid, items[i].ai_grantee))
			return true;
	}
	return false;
}

/*
 * table_privileged
 *		has_table_privilege(roleid, table, TABLE_PRIVS) from the table's
 *		ACL in hand: superusers, the ACL (the owner's default when NULL),
 *		and the pg_read_all_data and pg_write_all_data roles.  A system
 *		catalog grants no writes but to superusers.
 */
static bool
table_privileged(Candidate *c, Oid roleid)
{
	AclMode		mask = TABLE_PRIVS;
	Acl		   *acl;

	if (superuser_arg(roleid))
		return true;
	if (c->system)
		mask &= ~(ACL_INSERT | ACL_UPDATE | ACL_DELETE | ACL_TRUNCATE);
	acl = c->acl ? c->acl : acldefault(OBJECT_TABLE, c->owner);
	if (aclmask(acl, roleid, c->owner, mask, ACLMASK_ANY) != 0)
		return true;
	if (has_privs_of_role(roleid, ROLE_PG_READ_ALL_DATA))
		return true;
	return (mask & (ACL_INSERT | ACL_UPDATE | ACL_DELETE)) != 0 &&
		has_privs_of_role(roleid, ROLE_PG_WRITE_ALL_DATA);
}

/*
 * default_by_uid
 *		The columns of relid whose default calls auth.uid(): through
 *		pg_attrdef's index and each default's dependencies.
 */
static void
default_by_uid(TablesState *st, Oid relid, List **cands)
{
	Relation	ad;
	Relation	dep;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	if (st->run->fns->uid == NIL)
		return;
	ad = table_open(AttrDefaultRelationId, AccessShareLock);
	dep = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_attrdef_adrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(ad, AttrDefaultIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_attrdef def = (Form_pg_attrdef) GETSTRUCT(tup);
		ScanKeyData dkey[3];
		SysScanDesc dscan;
		HeapTuple	dtup;

		ScanKeyInit(&dkey[0], Anum_pg_depend_classid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(AttrDefaultRelationId));
		ScanKeyInit(&dkey[1], Anum_pg_depend_objid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(def->oid));
		ScanKeyInit(&dkey[2], Anum_pg_depend_objsubid, BTEqualStrategyNumber,
					F_INT4EQ, Int32GetDatum(0));
		dscan = systable_beginscan(dep, DependDependerIndexId, true, NULL, 3, dkey);
		while (HeapTupleIsValid(dtup = systable_getnext(dscan)))
		{
			Form_pg_depend d = (Form_pg_depend) GETSTRUCT(dtup);

			if (d->refclassid == ProcedureRelationId &&
				list_member_oid(st->run->fns->uid, d->refobjid))
				*cands = list_append_unique_int(*cands, def->adnum);
		}
		systable_endscan(dscan);
	}
	systable_endscan(scan);
	table_close(dep, AccessShareLock);
	table_close(ad, AccessShareLock);
}

/* A column by number and name. */
typedef struct OwnerCol
{
	int16		attnum;
	char	   *name;
} OwnerCol;

/*
 * owner_cmp
 *		Order of the owner columns: user_id first, then by number.
 */
static int
owner_cmp(const void *a, const void *b)
{
	const OwnerCol *x = (const OwnerCol *) a;
	const OwnerCol *y = (const OwnerCol *) b;
	bool		xu = strcmp(x->name, "user_id") == 0;
	bool		yu = strcmp(y->name, "user_id") == 0;

	if (xu != yu)
		return xu ? -1 : 1;
	return (x->attnum > y->attnum) - (x->attnum < y->attnum);
}

/*
 * attnum_cmp
 *		Order of columns by number.
 */
static int
attnum_cmp(const void *a, const void *b)
{
	const OwnerCol *x = (const OwnerCol *) a;
	const OwnerCol *y = (const OwnerCol *) b;

	return (x->attnum > y->attnum) - (x->attnum < y->attnum);
}

/*
 * name_cmp
 *		qsort order of C strings.
 */
static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * read_table
 *		Everything check_rls() needs of table c, in CurrentMemoryContext.
 */
static AmRlsTableInfo *
read_table(TablesState *st, Candidate *c)
{
	AmRlsRun   *run = st->run;
	AmRlsTableInfo *t = palloc0(sizeof(AmRlsTableInfo));
	HeapTuple	tup;
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	List	   *col_acls = NIL; /* the columns' ACLs */
	List	   *cands = NIL;	/* owner column candidates */
	List	   *fks;
	OwnerCol   *owners;
	OwnerCol   *scopes;
	ListCell   *lc;
	ListCell   *lc2;
	int			i;

	t->relid = c->relid;
	t->nspname = c->nspname;
	t->relname = c->relname;
	t->qualname = quote_qualified_identifier(c->nspname, c->relname);
	t->rls = c->rls;
	t->force = c->force;
	t->owner = c->owner;

	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(c->owner));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for role %u", c->owner);
	t->owner_name = pstrdup(NameStr(((Form_pg_authid) GETSTRUCT(tup))->rolname));
	t->owner_super = ((Form_pg_authid) GETSTRUCT(tup))->rolsuper;
	t->owner_bypass = ((Form_pg_authid) GETSTRUCT(tup))->rolbypassrls;
	t->owner_login = ((Form_pg_authid) GETSTRUCT(tup))->rolcanlogin;
	ReleaseSysCache(tup);
	if (!t->owner_super)
	{
		forboth(lc, st->definer_owner, lc2, st->definer_fn)
		{
			if (lfirst_oid(lc) == c->owner)
				t->definer_fn = (char *) lfirst(lc2);
		}
	}

	/*
	 * Owner columns by foreign key (to the users, or to a profile keyed by
	 * the user), and scope columns: a foreign key to a table (not the
	 * users, not itself) that a membership table references too.
	 */
	fks = single_column_fks(c->relid);
	scopes = palloc(sizeof(OwnerCol) * (list_length(fks) + 1));
	foreach(lc, fks)
	{
		ForeignKey *k = (ForeignKey *) lfirst(lc);
		RelFacts   *r;

		if (fk_to_users(st, k))
			cands = list_append_unique_int(cands, k->attnum);
		if (k->confrelid == c->relid)
			continue;
		r = rel_facts(st, k->confrelid);
		if (!r->exists || strcmp(r->relname, "users") == 0)
			continue;
		foreach(lc2, referrers(st, k->confrelid))
		{
			Oid			m = lfirst_oid(lc2);
			char	   *name;

			if (m == c->relid || m == k->confrelid)
				continue;
			name = get_attname(c->relid, k->attnum, true);
			if (name != NULL)
			{
				scopes[t->nscope].attnum = k->attnum;
				scopes[t->nscope].name = name;
				t->nscope++;
			}
			break;
		}
	}
	if (t->nscope > 1)
		qsort(scopes, t->nscope, sizeof(OwnerCol), attnum_cmp);
	t->scope_names = palloc(sizeof(char *) * (t->nscope + 1));
	for (i = 0; i < t->nscope; i++)
		t->scope_names[i] = scopes[i].name;

	/* owner columns by default: DEFAULT auth.uid() */
	default_by_uid(st, c->relid, &cands);

	/*
	 * The columns: the owner columns among the live ones (and the one
	 * called user_id), and the column ACLs.
	 */
	owners = palloc(sizeof(OwnerCol) * (list_length(cands) + 1));
	rel = table_open(AttributeRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_attribute_attrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(c->relid));
	scan = systable_beginscan(rel, AttributeRelidNumIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_attribute att = (Form_pg_attribute) GETSTRUCT(tup);
		bool		live = att->attnum > 0 && !att->attisdropped;
		bool		isnull;
		Datum		acl;

		acl = heap_getattr(tup, Anum_pg_attribute_attacl, RelationGetDescr(rel), &isnull);
		if (!isnull)
		{
			Acl		   *a = DatumGetAclPCopy(acl);

			col_acls = lappend(col_acls, a);
			/* has_column_privilege(): the column's own ACL */
			if (live && OidIsValid(run->anon) &&
				aclmask(a, run->anon, c->owner, COLUMN_PRIVS, ACLMASK_ANY) != 0)
				t->anon_priv = true;
		}
		if (!live)
			continue;
		if (strcmp(NameStr(att->attname), "user_id") == 0 ||
			list_member_int(cands, att->attnum))
		{
			owners = repalloc(owners, sizeof(OwnerCol) * (t->nowner + 1));
			owners[t->nowner].attnum = att->attnum;
			owners[t->nowner].name = pstrdup(NameStr(att->attname));
			t->nowner++;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (t->nowner > 0)
	{
		qsort(owners, t->nowner, sizeof(OwnerCol), owner_cmp);
		t->owner_attnums = palloc(sizeof(int16) * t->nowner);
		t->owner_names = palloc(sizeof(char *) * t->nowner);
		for (i = 0; i < t->nowner; i++)
		{
			t->owner_attnums[i] = owners[i].attnum;
			t->owner_names[i] = owners[i].name;
		}
	}

	/* what anon, PUBLIC and the zero-knowledge roles may do */
	if (OidIsValid(run->anon) && !t->anon_priv)
		t->anon_priv = table_privileged(c, run->anon);
	t->public_priv = acl_public_or_member(c->acl, InvalidOid);
	foreach(lc, col_acls)
		t->public_priv = t->public_priv || acl_public_or_member((Acl *) lfirst(lc), InvalidOid);
	t->zk = palloc(sizeof(char *) * (list_length(run->zk_roles) + 1));
	forboth(lc, run->zk_roles, lc2, run->zk_names)
	{
		Oid			z = lfirst_oid(lc);
		bool		access = is_member_of_role(z, c->owner) ||
			acl_public_or_member(c->acl, z);
		ListCell   *la;

		foreach(la, col_acls)
			access = access || acl_public_or_member((Acl *) lfirst(la), z);
		if (access)
			t->zk[t->nzk++] = (char *) lfirst(lc2);
	}
	if (t->nzk > 1)
		qsort(t->zk, t->nzk, sizeof(char *), name_cmp);

	/* the first key column of each valid, non-partial index */
	rel = table_open(IndexRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_index_indrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(c->relid));
	scan = systable_beginscan(rel, IndexIndrelidIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_index idx = (Form_pg_index) GETSTRUCT(tup);

		if (!idx->indisvalid || !heap_attisnull(tup, Anum_pg_index_indpred, NULL))
			continue;
		t->lead = t->lead ? repalloc(t->lead, sizeof(int16) * (t->nlead + 1)) :
			palloc(sizeof(int16));
		t->lead[t->nlead++] = idx->indkey.values[0];
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	return t;
}

/*
 * am_rls_read_tables
 *		Every table of the checked schemas (schemas, a name[] Datum), or
 *		only those of run->only, with what the checks need.  Returns a hash
 *		by Oid; *tables gets them in schema, name order.  Tables of an
 *		extension owned by a superuser (or that a superuser owns) are left
 *		out.  Allocated in run->cxt; SPI must be connected.
 */
HTAB *
am_rls_read_tables(AmRlsRun *run, Datum schemas, List **tables)
{
	TablesState st;
	MemoryContext oldcxt;
	List	   *nsp_names = NIL;
	List	   *candidates;
	HASHCTL		ctl;
	HTAB	   *byoid;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	int			i;
	ListCell   *lc;

	memset(&st, 0, sizeof(st));
	st.run = run;
	oldcxt = MemoryContextSwitchTo(run->cxt);

	deconstruct_array(DatumGetArrayTypeP(schemas), NAMEOID, NAMEDATALEN, false,
					  TYPALIGN_CHAR, &elems, &nulls, &nelems);
	for (i = 0; i < nelems; i++)
	{
		char	   *name;
		Oid			nspid;

		if (nulls[i])
			continue;
		name = NameStr(*DatumGetName(elems[i]));
		nspid = get_namespace_oid(name, true);
		if (OidIsValid(nspid) && !list_member_oid(st.nsp_oids, nspid))
		{
			st.nsp_oids = lappend_oid(st.nsp_oids, nspid);
			nsp_names = lappend(nsp_names, pstrdup(name));
		}
	}
	st.auth_nsp = get_namespace_oid("auth", true);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(RelFacts);
	ctl.hcxt = run->cxt;
	st.facts = hash_create("check_rls related tables", 64, &ctl,
						   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	st.ext_members = extension_members();
	read_definer_fns(&st, schemas);
	candidates = read_candidates(&st, nsp_names);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(AmRlsTableEntry);
	ctl.hcxt = run->cxt;
	byoid = hash_create("check_rls tables", Max(list_length(candidates), 16), &ctl,
						HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	foreach(lc, candidates)
	{
		Candidate  *c = (Candidate *) lfirst(lc);
		Oid		   *member;
		AmRlsTableInfo *t;
		AmRlsTableEntry *e;

		member = hash_search(st.ext_members, &c->relid, HASH_FIND, NULL);
		if (member != NULL && (superuser_arg(member[1]) || superuser_arg(c->owner)))
			continue;
		t = read_table(&st, c);
		e = hash_search(byoid, &t->relid, HASH_ENTER, NULL);
		e->table = t;
		*tables = lappend(*tables, t);
	}
	MemoryContextSwitchTo(oldcxt);
	return byoid;
}
