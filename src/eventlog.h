/*-------------------------------------------------------------------------
 *
 * eventlog.h
 *	  Writing aura_migrate.log rows, in the current transaction or durably
 *	  through a background worker.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/eventlog.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_EVENTLOG_H
#define AURA_MIGRATE_EVENTLOG_H

/* One row of aura_migrate.log.  NULL strings and zero numbers are stored as NULL. */
typedef struct AmLogEntry
{
	int64		run_id;
	const char *version;
	const char *event;
	double		duration_ms;	/* < 0: unknown */
	const char *sqlstate;
	const char *message;
	const char *detail;
	int			statement_no;
	int			line;
	const char *statement_text;
	const char *environment;
	const char *username;
	const char *checksum;		/* of the migration content the event is about */
} AmLogEntry;

extern char *am_redact(const char *msg);
extern char *am_redact_error(int sqlerrcode, const char *msg);
extern void am_log_insert(const AmLogEntry *e);
extern bool am_log_durable(const AmLogEntry *e);

#endif							/* AURA_MIGRATE_EVENTLOG_H */
