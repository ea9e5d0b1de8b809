/*-------------------------------------------------------------------------
 *
 * authority.c
 *	  Which role a migration's SQL runs as: never one with more privileges
 *	  than the role that wrote it.
 *
 * A user migration was registered (or last replaced) by a role R; the
 * role applying it is the caller C.  The rule:
 *
 *	- when R holds every privilege of C (R is C, R is a member of C with
 *	  inheritance, or R is a superuser), it runs as C, as it always did;
 *	- when C holds every privilege of R (a DBA applying a migrator's work),
 *	  it runs as R, under SECURITY_RESTRICTED_OPERATION: what it creates
 *	  belongs to R, and it can do nothing R could not;
 *	- otherwise it is refused before anything is applied.
 *
 * The registry belongs to the extension's owner, who can rewrite any of
 * its rows, registrar included.  When that owner is not a superuser, a
 * row is trusted no further than the owner either: the role a migration
 * runs as must also be one whose privileges the owner holds.
 *
 * Bundled migrations are shipped code: they run as the caller, provided
 * their SQL is byte for byte in one of the installed script files of
 * aura_migrate or of an extension that requires it, such as aura_schema
 * (files only the file system's owner can change).  A "bundled" row
 * whose SQL is not there was written by the registry's owner, and is
 * treated as registered by it.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/authority.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>

#include "access/genam.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"

#include "run.h"
#include "authority.h"
#include "owner.h"
#include "validate.h"

/*
 * read_script
 *		The contents of one installed script file, or NULL.
 */
static char *
read_script(const char *path)
{
	struct stat st;
	FILE	   *f;
	char	   *buf;
	size_t		n;

	if (stat(path, &st) != 0 || st.st_size <= 0 || st.st_size > MaxAllocSize - 1)
		return NULL;
	f = AllocateFile(path, PG_BINARY_R);
	if (f == NULL)
		return NULL;
	buf = palloc(st.st_size + 1);
	n = fread(buf, 1, st.st_size, f);
	FreeFile(f);
	buf[n] = '\0';
	return buf;
}

/*
 * dependent_extensions
 *		aura_migrate and every installed extension that requires it (such as
 *		aura_schema), as a list of names: the extensions whose scripts may
 *		ship migrations.
 */
static List *
dependent_extensions(void)
{
	Oid			self = get_extension_oid("aura_migrate", true);
	List	   *names = list_make1(pstrdup("aura_migrate"));
	Relation	rel;
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tup;

	if (!OidIsValid(self))
		return names;
	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&keys[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(ExtensionRelationId));
	ScanKeyInit(&keys[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(self));
	scan = systable_beginscan(rel, DependReferenceIndexId, true, NULL, 2, keys);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tup);
		char	   *name;

		if (dep->classid != ExtensionRelationId)
			continue;
		name = get_extension_name(dep->objid);
		if (name != NULL)
			names = lappend(names, name);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return names;
}

/*
 * am_may_register_bundled
 *		Whether the running script is allowed to register bundled
 *		migrations: that of aura_migrate itself or of an extension that
 *		requires it, during CREATE EXTENSION or ALTER EXTENSION UPDATE.
 */
bool
am_may_register_bundled(void)
{
	ListCell   *lc;
	char	   *current;

	if (!creating_extension)
		return false;
	current = get_extension_name(CurrentExtensionObject);
	if (current == NULL)
		return false;
	foreach(lc, dependent_extensions())
		if (strcmp((char *) lfirst(lc), current) == 0)
			return true;
	return false;
}

/*
 * tag_at_end
 *		The length of the dollar-quote tag ($aura_file$ or $aura_file_N$,
 *		as scripts/gen-register-sql.sh writes them) that ends just before
 *		text + pos, or 0.
 */
static int
tag_at_end(const char *text, size_t pos)
{
	size_t		i;

	if (pos == 0 || text[pos - 1] != '$')
		return 0;
	for (i = pos - 1; i > 0; i--)
		if (text[i - 1] == '$')
			break;
	if (i == 0)
		return 0;
	i--;						/* the opening '$' */
	if (strncmp(text + i, "$aura_file", 10) != 0)
		return 0;
	return (int) (pos - i);
}

/*
 * shipped_in
 *		Whether script holds sql as the whole body of a dollar-quoted
 *		argument of a _register_bundled() call for a file of version.
 */
static bool
shipped_in(const char *script, const char *version, const char *sql)
{
	size_t		len = strlen(sql);
	const char *p = script;

	while ((p = strstr(p, sql)) != NULL)
	{
		size_t		pos = p - script;
		int			tlen = tag_at_end(script, pos);

		if (tlen > 0 && strncmp(p + len, script + pos - tlen, tlen) == 0)
		{
			/* the call this body belongs to: the nearest one before it */
			const char *call = NULL;
			const char *q = script;
			const char *hit;

			while ((hit = strstr(q, "_register_bundled('")) != NULL && hit < p)
			{
				call = hit;
				q = hit + 1;
			}
			if (call != NULL)
			{
				const char *file = call + strlen("_register_bundled('");
				const char *end = strstr(call, ") AS result;");

				if ((end == NULL || end > p) &&
					strncmp(file, version, strlen(version)) == 0 &&
					file[strlen(version)] == '_')
					return true;
			}
		}
		p++;
	}
	return false;
}

/*
 * am_sql_is_shipped
 *		Whether sql is, byte for byte, the whole up or down SQL of migration
 *		version as one of the installed script files
 *		(SHAREDIR/extension/NAME--*.sql) of aura_migrate or of an installed
 *		extension that requires it registers it.  A piece of a script is
 *		not enough.
 */
bool
am_sql_is_shipped(const char *version, const char *sql)
{
	char		sharepath[MAXPGPATH];
	char	   *dirname;
	DIR		   *dir;
	struct dirent *de;
	bool		found = false;
	List	   *exts = dependent_extensions();

	if (sql == NULL || sql[0] == '\0')
		return false;
	get_share_path(my_exec_path, sharepath);
	dirname = psprintf("%s/extension", sharepath);
	dir = AllocateDir(dirname);
	if (dir == NULL)
		return false;
	while (!found && (de = ReadDir(dir, dirname)) != NULL)
	{
		size_t		len = strlen(de->d_name);
		bool		ours = false;
		ListCell   *lc;
		char	   *contents;

		if (len < 5 || strcmp(de->d_name + len - 4, ".sql") != 0)
			continue;
		foreach(lc, exts)
		{
			const char *ext = (const char *) lfirst(lc);
			size_t		elen = strlen(ext);

			if (strncmp(de->d_name, ext, elen) == 0 &&
				strncmp(de->d_name + elen, "--", 2) == 0)
				ours = true;
		}
		if (!ours)
			continue;
		contents = read_script(psprintf("%s/%s", dirname, de->d_name));
		if (contents != NULL && shipped_in(contents, version, sql))
			found = true;
		if (contents != NULL)
			pfree(contents);
	}
	FreeDir(dir);
	return found;
}

/*
 * may_run_as
 *		Whether a migration written by author (InvalidOid: nobody's in
 *		particular) may run as role, given the registry's owner.
 */
static bool
may_run_as(Oid role, Oid author, Oid owner, bool owner_bounds)
{
	if (OidIsValid(author) && !has_privs_of_role(author, role))
		return false;
	if (owner_bounds && !has_privs_of_role(owner, role))
		return false;
	return true;
}

/*
 * am_choose_executor
 *		Decide the role m runs as (m->run_as, InvalidOid for the caller),
 *		or refuse with a clear error.  shipped: m's SQL is the extension's
 *		own (see am_sql_is_shipped()).  Called connected to SPI.
 */
void
am_choose_executor(AmMigration *m, bool shipped)
{
	Oid			caller = GetUserId();
	Oid			owner = am_extension_owner();
	bool		owner_bounds = !superuser_arg(owner);
	Oid			author = InvalidOid;
	const char *author_name;

	m->run_as = InvalidOid;
	if (shipped)
		return;

	/*
	 * The DROPs reset() writes for a migration without down SQL take back
	 * what its SQL did: they are bounded by the same role.
	 */
	if (m->registered_by != NULL)
	{
		author = get_role_oid(m->registered_by, true);
		if (!OidIsValid(author))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("role \"%s\", which registered migration %s, does not exist",
							m->registered_by, m->version),
					 errdetail("A migration runs with no more privileges than the role that registered it; nothing was applied."),
					 errhint("Register the migration again as an existing role, with replace => true.")));
	}
	else
		author = owner;			/* written by the registry's owner */
	author_name = GetUserNameFromId(author, false);

	if (may_run_as(caller, author, owner, owner_bounds))
		return;
	if (has_privs_of_role(caller, author) &&
		may_run_as(author, author, owner, owner_bounds))
	{
		m->run_as = author;
		return;
	}
	if (owner_bounds && has_privs_of_role(caller, owner) &&
		may_run_as(owner, author, owner, owner_bounds))
	{
		m->run_as = owner;
		return;
	}

	if (owner_bounds && has_privs_of_role(caller, author))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("migration %s is trusted only as far as the extension's owner", m->version),
				 errdetail("Extension \"aura_migrate\" belongs to role \"%s\", which is not a superuser and could have written the entry of a migration registered by \"%s\"; nothing was done.",
						   GetUserNameFromId(owner, false), author_name),
				 errhint("Run it as a role whose privileges role \"%s\" holds.",
						 GetUserNameFromId(owner, false))));
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("role \"%s\" cannot run migration %s", GetUserNameFromId(caller, false),
					m->version),
			 errdetail("It was registered by role \"%s\".  A migration runs with no more privileges than the role that registered it, and role \"%s\" is neither covered by that role's privileges nor able to act as it; nothing was done.",
					   author_name, GetUserNameFromId(caller, false)),
			 errhint("Run it as role \"%s\" (or a role it is a member of), or as a role that can act as it.",
					 author_name)));
}

/*
 * am_executor_enter, am_executor_leave
 *		Run what follows as m->run_as, when set, under
 *		SECURITY_RESTRICTED_OPERATION; and back.  On error the
 *		(sub)transaction's abort restores the caller.
 */
void
am_executor_enter(AmMigration *m, AmExecutorSave *save)
{
	GetUserIdAndSecContext(&save->userid, &save->sec_context);
	if (OidIsValid(m->run_as))
		SetUserIdAndSecContext(m->run_as, save->sec_context |
							   SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
}

void
am_executor_leave(AmExecutorSave *save)
{
	SetUserIdAndSecContext(save->userid, save->sec_context);
}

/*
 * am_require_registrar_privileges
 *		baseline() records a migration as applied without running it, and
 *		unregister() forgets it: neither runs its SQL, but both decide that
 *		it will never run.  That is for a role holding the privileges of the
 *		role that registered it: a migrator cannot skip or drop a
 *		superuser's migration (a security fix, say).
 */
void
am_require_registrar_privileges(const char *version, const char *registered_by,
								bool baseline)
{
	Oid			author = registered_by ? get_role_oid(registered_by, true) : InvalidOid;

	if (OidIsValid(author) && has_privs_of_role(GetUserId(), author))
		return;
	if (baseline)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" cannot baseline migration %s, registered by role \"%s\"",
						GetUserNameFromId(GetUserId(), false), version,
						registered_by ? registered_by : "(unknown)"),
				 errdetail("Recording a migration as applied without running it needs the privileges of the role that registered it; nothing was recorded."),
				 errhint("Baseline as role \"%s\", or at an earlier version.",
						 registered_by ? registered_by : "(unknown)")));
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("role \"%s\" cannot unregister migration %s, registered by role \"%s\"",
					GetUserNameFromId(GetUserId(), false), version,
					registered_by ? registered_by : "(unknown)"),
			 errdetail("Forgetting a migration needs the privileges of the role that registered it."),
			 errhint("Unregister it as role \"%s\".", registered_by ? registered_by : "(unknown)")));
}
