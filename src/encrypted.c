/*-------------------------------------------------------------------------
 *
 * encrypted.c
 *	  Tables that hold only ciphertext and its metadata.
 *
 * A zero-knowledge application (Aura) keeps health data on the server only
 * as client-encrypted envelopes.  aura_migrate.encrypted_table names those
 * tables by a LIKE pattern on schema.table; a column of one that is not
 * ciphertext or metadata (bytea, uuid, timestamp, timestamptz, an integer
 * named version or *_version, or a column the rule allows) is plaintext on
 * the server: plaintext_in_encrypted_table, an error of check_rls() (the
 * live columns) and of lint() (the columns a migration adds).
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/encrypted.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

#include "encrypted.h"
#include "owner.h"

/*
 * am_encrypted_rules
 *		The rows of aura_migrate.encrypted_table (AmEncryptedRule *), in the
 *		caller's memory context; NIL before engine 0.4 created the table.
 */
List *
am_encrypted_rules(void)
{
	MemoryContext callercxt = CurrentMemoryContext;
	Oid			nsp = get_namespace_oid("aura_migrate", true);
	List	   *rules = NIL;
	uint64		i;
	int			nest;

	if (!OidIsValid(nsp) || !OidIsValid(get_relname_relid("encrypted_table", nsp)))
		return NIL;

	/* the caller need not read the table: the extension's owner reads it */
	nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (am_spi_owner("SELECT e.table_pattern, e.allowed_columns::pg_catalog.text[]"
					 "  FROM aura_migrate.encrypted_table e ORDER BY 1",
					 0, NULL, NULL, NULL, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read aura_migrate.encrypted_table");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		isnull;
		Datum		d;
		MemoryContext spicxt = MemoryContextSwitchTo(callercxt);
		AmEncryptedRule *r = palloc0(sizeof(AmEncryptedRule));

		r->pattern = TextDatumGetCString(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
		d = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull);
		if (!isnull)
		{
			Datum	   *elems;
			bool	   *nulls;
			int			n;
			int			k;

			deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false,
							  TYPALIGN_INT, &elems, &nulls, &n);
			for (k = 0; k < n; k++)
				if (!nulls[k])
					r->allowed = lappend(r->allowed, TextDatumGetCString(elems[k]));
		}
		rules = lappend(rules, r);
		MemoryContextSwitchTo(spicxt);
	}
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	AtEOXact_GUC(false, nest);
	return rules;
}

/*
 * am_encrypted_match
 *		The first rule whose pattern schema.table matches (LIKE), or NULL.
 */
AmEncryptedRule *
am_encrypted_match(List *rules, const char *nspname, const char *relname)
{
	ListCell   *lc;
	text	   *name;

	if (rules == NIL)
		return NULL;
	name = cstring_to_text(psprintf("%s.%s", nspname, relname));
	foreach(lc, rules)
	{
		AmEncryptedRule *r = (AmEncryptedRule *) lfirst(lc);

		if (DatumGetBool(DirectFunctionCall2Coll(textlike, DEFAULT_COLLATION_OID,
												 PointerGetDatum(name),
												 PointerGetDatum(cstring_to_text(r->pattern)))))
			return r;
	}
	return NULL;
}

/*
 * am_encrypted_match_rel
 *		The rule of a table, or of a table it inherits from or is a
 *		partition of (its rows are read through that one), or NULL.
 */
AmEncryptedRule *
am_encrypted_match_rel(List *rules, Oid relid, int depth)
{
	AmEncryptedRule *rule;
	Relation	inh;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	char	   *nsp = get_namespace_name(get_rel_namespace(relid));
	char	   *rel = get_rel_name(relid);

	if (rules == NIL || nsp == NULL || rel == NULL)
		return NULL;
	rule = am_encrypted_match(rules, nsp, rel);
	if (rule != NULL || depth > 16)
		return rule;
	inh = table_open(InheritsRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_inherits_inhrelid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	scan = systable_beginscan(inh, InheritsRelidSeqnoIndexId, true, NULL, 1, &key);
	while (rule == NULL && HeapTupleIsValid(tup = systable_getnext(scan)))
		rule = am_encrypted_match_rel(rules, ((Form_pg_inherits) GETSTRUCT(tup))->inhparent,
									  depth + 1);
	systable_endscan(scan);
	table_close(inh, AccessShareLock);
	return rule;
}

/*
 * am_ciphertext_column
 *		Whether a column of an encrypted table holds ciphertext or metadata:
 *		its type (through domains) is bytea, uuid, timestamp or timestamptz,
 *		it is an integer named version or *_version, or the rule allows it
 *		by name (as a scalar: not an array, a composite, json, jsonb or
 *		xml).  typid InvalidOid (a type that does not exist yet) is not,
 *		unless allowed by name.
 */
bool
am_ciphertext_column(AmEncryptedRule *rule, const char *colname, Oid typid)
{
	ListCell   *lc;
	size_t		len = strlen(colname);
	Oid			base;

	base = OidIsValid(typid) ? getBaseType(typid) : InvalidOid;
	foreach(lc, rule->allowed)
		if (strcmp((char *) lfirst(lc), colname) == 0)
		{
			char		category;
			bool		preferred;

			/*
			 * Allowed by name, but not as a container that can hold a whole
			 * health record (key_id turned into jsonb).
			 */
			if (!OidIsValid(base))
				return true;
			get_type_category_preferred(base, &category, &preferred);
			return !(category == TYPCATEGORY_ARRAY || category == TYPCATEGORY_COMPOSITE ||
					 base == JSONOID || base == JSONBOID || base == XMLOID);
		}
	if (!OidIsValid(typid))
		return false;
	if (base == BYTEAOID || base == UUIDOID || base == TIMESTAMPOID || base == TIMESTAMPTZOID)
		return true;
	if ((base == INT2OID || base == INT4OID || base == INT8OID) &&
		(strcmp(colname, "version") == 0 ||
		 (len > 8 && strcmp(colname + len - 8, "_version") == 0)))
		return true;
	return false;
}

/*
 * am_plaintext_message
 *		The message and hint of plaintext_in_encrypted_table.
 */
void
am_plaintext_message(const char *qualname, const char *colname, Oid typid,
					 AmEncryptedRule *rule, char **message, char **hint)
{
	*message = psprintf("column \"%s\" of table \"%s\" is of type %s, but the table holds only client-encrypted data (aura_migrate.encrypted_table pattern \"%s\"): the server would hold it in plaintext",
						colname, qualname,
						OidIsValid(typid) ? format_type_be(typid) : "unknown",
						rule->pattern);
	*hint = psprintf("Keep the value inside the encrypted envelope (the ciphertext column). If it is metadata, not user data, allow it: UPDATE aura_migrate.encrypted_table SET allowed_columns = allowed_columns || %s::name WHERE table_pattern = %s;",
					 quote_literal_cstr(colname), quote_literal_cstr(rule->pattern));
}
