/*-------------------------------------------------------------------------
 *
 * rls_common.c
 *	  What the files of the row level security checker share: adding a
 *	  finding to a run, and reading SPI result columns.
 *
 * A leaf: rls.c, rls_objects.c and rls_probe.c call it, it calls none of
 * them.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/rls_common.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdarg.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "rls.h"

/*
 * am_rls_add_finding
 *		Append a finding to the run; strings are copied into the run's
 *		context, so callers may pass transient ones.
 */
void
am_rls_add_finding(AmRlsRun *run, const char *severity, const char *code,
				   const char *object, const char *hint, const char *fmt,...)
{
	MemoryContext old = MemoryContextSwitchTo(run->cxt);
	AmRlsFinding *f = palloc0(sizeof(AmRlsFinding));
	StringInfoData buf;

	f->severity = severity;
	f->code = code;
	f->object = object ? pstrdup(object) : NULL;
	f->hint = hint ? pstrdup(hint) : NULL;

	initStringInfo(&buf);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	f->message = buf.data;
	run->findings = lappend(run->findings, f);
	MemoryContextSwitchTo(old);
}

/*
 * spi_str
 *		A column of an SPI row as a string in the current context, or NULL.
 */
char *
am_rls_spi_str(HeapTuple tup, int col)
{
	char	   *v = SPI_getvalue(tup, SPI_tuptable->tupdesc, col);

	return v ? pstrdup(v) : NULL;
}

/*
 * spi_bool
 *		A boolean column of an SPI row; NULL reads as false.
 */
bool
am_rls_spi_bool(HeapTuple tup, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, SPI_tuptable->tupdesc, col, &isnull);

	return !isnull && DatumGetBool(d);
}

/*
 * spi_int2_array
 *		An int2[] column as a C array in the current context; NULL or empty
 *		gives n = 0.
 */
int16 *
am_rls_spi_int2_array(HeapTuple tup, int col, int *n)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, SPI_tuptable->tupdesc, col, &isnull);
	Datum	   *elems;
	bool	   *enulls;
	int			nelems;
	int16	   *result;
	int			i;

	*n = 0;
	if (isnull)
		return NULL;
	deconstruct_array(DatumGetArrayTypePCopy(d), INT2OID, sizeof(int16), true,
					  TYPALIGN_SHORT, &elems, &enulls, &nelems);
	result = palloc(sizeof(int16) * (nelems + 1));
	for (i = 0; i < nelems; i++)
		result[i] = enulls[i] ? 0 : DatumGetInt16(elems[i]);
	*n = nelems;
	return result;
}

/*
 * spi_text_array
 *		A text[] column as a C array of strings in the current context.
 */
char **
am_rls_spi_text_array(HeapTuple tup, int col, int *n)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, SPI_tuptable->tupdesc, col, &isnull);
	Datum	   *elems;
	bool	   *enulls;
	int			nelems;
	char	  **result;
	int			i;

	*n = 0;
	if (isnull)
		return NULL;
	deconstruct_array(DatumGetArrayTypePCopy(d), TEXTOID, -1, false,
					  TYPALIGN_INT, &elems, &enulls, &nelems);
	result = palloc(sizeof(char *) * (nelems + 1));
	for (i = 0; i < nelems; i++)
		result[i] = enulls[i] ? pstrdup("") : TextDatumGetCString(elems[i]);
	*n = nelems;
	return result;
}
