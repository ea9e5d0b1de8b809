-- db/functions/aura_private.anonymise_audit_of_user.sql
--
-- Function aura_private.anonymise_audit_of_user: reference copy.
-- Source of truth: db/migrations/production/20261128001_security_hardening.sql.
-- Kept identical to it by test/shell/reference_copies.sh; edit the migration
-- (or add a new one), then run that script with --write.

CREATE FUNCTION aura_private.anonymise_audit_of_user()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
	-- Before a public.users row goes (directly, or through auth.users), its audit
	-- rows lose everything that ties them to the account: user_id, share_id and
	-- device_key_id, and in security_audit_log (events about the user's own
	-- requests and devices) the IP and device hashes too.  What happened and when
	-- stays, so deleting and re-creating an account erases no evidence.  The
	-- salted hashes in healthcare_share_audit (the provider's side of an access)
	-- stay: they cannot be reversed without the server's secret salt.  Doing this
	-- before the delete keeps the CHECK that a share_id has an owner satisfied
	-- whatever order the foreign-key actions run in.  SECURITY DEFINER: the
	-- deleting role holds no UPDATE on the audit tables.
	UPDATE public.security_audit_log AS l
	   SET user_id = NULL,
		   device_key_id = NULL,
		   ip_hash = NULL,
		   device_hash = NULL
	 WHERE l.user_id = OLD.id;
	UPDATE public.healthcare_share_audit AS a
	   SET user_id = NULL,
		   share_id = NULL
	 WHERE a.user_id = OLD.id;
	RETURN OLD;
END;
$$;
