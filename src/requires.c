/*-------------------------------------------------------------------------
 *
 * requires.c
 *	  The "-- Requires:" pre-check: does each named object exist?
 *
 * Existence is read from the catalogs directly (namespace, role,
 * relation, function and extension look-ups by name), never through SQL
 * functions such as to_regprocedure() that also check the privilege to
 * use a schema: whether the object exists must not depend on what the
 * extension's owner, or the caller, may read.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/requires.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "commands/extension.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "compat.h"
#include "requires.h"

/*
 * split_qualified
 *		Split "a.b" (identifiers quoted or not, as SQL writes them) into its
 *		parts; false when it is not a valid name.
 */
static bool
split_qualified(const char *name, List **parts)
{
	char	   *copy = pstrdup(name);

	return SplitIdentifierString(copy, '.', parts) && *parts != NIL &&
		list_length(*parts) <= 2;
}

/*
 * namespace_of
 *		The namespace named by the first of two parts, InvalidOid when it
 *		does not exist.
 */
static Oid
namespace_of(List *parts)
{
	return get_namespace_oid((char *) linitial(parts), true);
}

/*
 * relation_exists
 *		A relation "schema.name" or, unqualified, one on the search path.
 */
static bool
relation_exists(const char *name)
{
	List	   *parts;

	if (!split_qualified(name, &parts))
		return false;
	if (list_length(parts) == 2)
	{
		Oid			nsp = namespace_of(parts);

		return OidIsValid(nsp) &&
			OidIsValid(get_relname_relid((char *) lsecond(parts), nsp));
	}
	return OidIsValid(RelnameGetRelid((char *) linitial(parts)));
}

/*
 * arg_types_match
 *		Whether proc's argument types are those listed in args ("uuid, text";
 *		empty for none).
 */
static bool
arg_types_match(Form_pg_proc proc, const char *args)
{
	char	   *copy = pstrdup(args);
	char	   *p = copy;
	int			n = 0;

	while (*p == ' ')
		p++;
	if (*p == '\0')
		return proc->pronargs == 0;
	for (;;)
	{
		char	   *comma = strchr(p, ',');
		char	   *end;
		Oid			t;

		if (comma != NULL)
			*comma = '\0';
		end = p + strlen(p);
		while (end > p && end[-1] == ' ')
			*--end = '\0';
		if (n >= proc->pronargs)
			return false;
		t = am_type_by_name(p);
		if (!OidIsValid(t) || t != proc->proargtypes.values[n])
			return false;
		n++;
		if (comma == NULL)
			break;
		p = comma + 1;
		while (*p == ' ')
			p++;
	}
	return n == proc->pronargs;
}

/*
 * function_exists
 *		A function "schema.name", "schema.name()" or "schema.name(types)";
 *		unqualified, one in a schema on the search path.  Without the
 *		parentheses any argument list matches.
 */
static bool
function_exists(const char *spec)
{
	const char *paren = strchr(spec, '(');
	char	   *name = paren ? pnstrdup(spec, paren - spec) : pstrdup(spec);
	char	   *args = NULL;
	List	   *parts;
	Oid			nsp = InvalidOid;
	CatCList   *list;
	bool		found = false;
	int			i;

	if (paren != NULL)
	{
		const char *close = strrchr(paren, ')');

		if (close == NULL)
			return false;
		args = pnstrdup(paren + 1, close - paren - 1);
	}
	if (!split_qualified(name, &parts))
		return false;
	if (list_length(parts) == 2)
	{
		nsp = namespace_of(parts);
		if (!OidIsValid(nsp))
			return false;
	}

	list = SearchSysCacheList1(PROCNAMEARGSNSP,
							   CStringGetDatum((char *) llast(parts)));
	for (i = 0; i < list->n_members && !found; i++)
	{
		Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(&list->members[i]->tuple);

		if (OidIsValid(nsp) ? proc->pronamespace != nsp :
			!isTempOrTempToastNamespace(proc->pronamespace) &&
			!list_member_oid(fetch_search_path(false), proc->pronamespace))
			continue;
		if (args == NULL || arg_types_match(proc, args))
			found = true;
	}
	ReleaseSysCacheList(list);
	return found;
}

/*
 * am_requirement_exists
 *		Whether the object one "-- Requires:" item names exists: "schema X",
 *		"role X", "table X", "function X(...)" or "extension X".
 */
bool
am_requirement_exists(const char *item)
{
	const char *sp = strchr(item, ' ');
	char	   *kind;
	char	   *obj;
	List	   *parts;

	if (sp == NULL)
		return false;
	kind = pnstrdup(item, sp - item);
	while (*sp == ' ')
		sp++;
	obj = pstrdup(sp);

	if (strcmp(kind, "table") == 0)
		return relation_exists(obj);
	if (strcmp(kind, "function") == 0)
		return function_exists(obj);
	if (!split_qualified(obj, &parts) || list_length(parts) != 1)
		return false;
	if (strcmp(kind, "schema") == 0)
		return OidIsValid(get_namespace_oid((char *) linitial(parts), true));
	if (strcmp(kind, "role") == 0)
		return OidIsValid(get_role_oid((char *) linitial(parts), true));
	if (strcmp(kind, "extension") == 0)
		return OidIsValid(get_extension_oid((char *) linitial(parts), true));
	return false;
}
