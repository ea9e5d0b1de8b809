/*
 * db/rules/1.2/encrypted_tables.sql
 *		Aura's encrypted tables, for the engine's checks: appended by
 *		scripts/gen-aura-schema.sh to the script that brings aura_schema 1.2.
 *
 * Aura's server never holds plaintext health data: public.encrypted_* hold
 * CryptoEnvelopes (ciphertext, nonce and aad as bytea; key_id and algorithm,
 * which say how to decrypt and nothing about the user) with ids, versions,
 * timestamps and the sync tombstone flag.  Any other column there is
 * plaintext_in_encrypted_table (check_rls() and lint()).
 */

DO $$
BEGIN
	IF to_regclass('aura_migrate.encrypted_table') IS NULL THEN
		RAISE EXCEPTION 'aura_schema 1.2 needs aura_migrate 0.4 or later'
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'ALTER EXTENSION aura_migrate UPDATE; then update aura_schema.';
	END IF;
END
$$;

INSERT INTO aura_migrate.encrypted_table (table_pattern, allowed_columns, source, note)
VALUES ('public.encrypted\_%', '{key_id,algorithm,is_deleted}', 'bundled',
		'Aura is zero knowledge: these tables hold CryptoEnvelopes and their metadata only')
ON CONFLICT (table_pattern) DO NOTHING;
