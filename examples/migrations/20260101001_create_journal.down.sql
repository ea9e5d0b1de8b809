DROP TABLE public.journal_entry;
