/*-------------------------------------------------------------------------
 *
 * encrypted.h
 *	  Tables that hold only ciphertext: aura_migrate.encrypted_table.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * src/encrypted.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_ENCRYPTED_H
#define AURA_MIGRATE_ENCRYPTED_H

#include "nodes/pg_list.h"

/* one row of aura_migrate.encrypted_table */
typedef struct AmEncryptedRule
{
	char	   *pattern;		/* LIKE pattern on schema.table */
	List	   *allowed;		/* column names (char *) */
} AmEncryptedRule;

extern List *am_encrypted_rules(void);
extern AmEncryptedRule *am_encrypted_match(List *rules, const char *nspname,
										   const char *relname);
extern AmEncryptedRule *am_encrypted_match_rel(List *rules, Oid relid, int depth);
extern bool am_ciphertext_column(AmEncryptedRule *rule, const char *colname,
								 Oid typid);
extern void am_plaintext_message(const char *qualname, const char *colname,
								 Oid typid, AmEncryptedRule *rule,
								 char **message, char **hint);

#endif							/* AURA_MIGRATE_ENCRYPTED_H */
