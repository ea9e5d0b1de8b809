/*-------------------------------------------------------------------------
 *
 * validate.h
 *	  The checks a migration passes before register() stores it.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/validate.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_VALIDATE_H
#define AURA_MIGRATE_VALIDATE_H

#include "utils/array.h"

#include "sqlsplit.h"

/* The template header at the top of a migration file. */
typedef struct AmHeader
{
	char	   *migration;
	char	   *description;
	char	   *author;
	char	   *created;
	char	   *environments;
	char	   *depends;
	char	   *requires;
	char	   *requires_hint;
} AmHeader;

extern void am_check_version(const char *version, const char *what);
extern void am_check_name(const char *version, const char *name);

/* versions in time order, both schemes (see am_version_key) */
#define AM_VERSION_KEY_LEN 15
extern void am_version_key(const char *version, char key[AM_VERSION_KEY_LEN + 1]);
extern int	am_version_cmp(const char *a, const char *b);
extern void am_check_created(const char *created, const char *file);
extern void am_check_environments(ArrayType *arr);
extern AmParsed *am_validate_sql(const char *version, const char *sql,
								 bool is_down, bool no_transaction);
extern void am_parse_header(const char *sql, AmHeader *h);
extern ArrayType *am_split_list(const char *list);
extern ArrayType *am_parse_requires(const char *version, const char *list);
extern bool am_raw_tree_uses_own_sequence(Node *stmt);

#endif							/* AURA_MIGRATE_VALIDATE_H */
