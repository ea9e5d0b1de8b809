DROP POLICY journal_entry_delete ON public.journal_entry;
DROP POLICY journal_entry_insert ON public.journal_entry;
DROP POLICY journal_entry_select ON public.journal_entry;
REVOKE ALL ON public.journal_entry FROM authenticated;
