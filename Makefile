# Makefile for aura_migrate (PGXS)
#
# The install script aura_migrate--$(EXTVERSION).sql is generated from the
# readable sources in src/sql/ and the bundled Aura migrations in
# db/migrations/production/ (scripts/gen-register-sql.sh).  The control file is
# the single source of the version.

EXTENSION = aura_migrate
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = aura_migrate
OBJS = \
	src/aura_migrate.o \
	src/apply.o \
	src/authority.o \
	src/checksum.o \
	src/environment.o \
	src/eventlog.o \
	src/guard.o \
	src/objects.o \
	src/registry.o \
	src/requires.o \
	src/rollback.o \
	src/toplevel.o \
	src/validate.o \
	src/sqlsplit.o \
	src/lint.o \
	$(patsubst %.c,%.o,$(EXTRA_SRCS))

DATA_built = $(EXTENSION)--$(EXTVERSION).sql

BUNDLED = $(sort $(wildcard db/migrations/production/*.sql))
SQL_EXTRA ?= $(wildcard src/sql/check_rls.sql)
SQL_SOURCES = src/sql/aura_migrate.sql src/sql/lint.sql $(SQL_EXTRA)
PROBE_FIXTURES = $(sort $(wildcard db/probes/*.sql))

REGRESS_ENGINE = registry register_bad apply failure migrate status safety environments notransaction
REGRESS_LINT = lint
REGRESS_RLS = check_rls_aura check_rls check_rls_probes
# trust_owner last: it re-creates the extension under another owner and back
REGRESS_TRUST = trust_guard trust_migrator trust_environment trust_recorder trust_privacy trust_owner
REGRESS = $(REGRESS_ENGINE) $(REGRESS_LINT) $(REGRESS_RLS) $(REGRESS_TRUST)
REGRESS_OPTS = --inputdir=. --load-extension=aura_migrate

PG_CPPFLAGS = -I$(srcdir)/src
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare -Werror

EXTRA_CLEAN = $(EXTENSION)--$(EXTVERSION).sql

EXTRA_SRCS ?= $(wildcard src/rls*.c)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCES) $(BUNDLED) $(PROBE_FIXTURES) scripts/gen-register-sql.sh $(EXTENSION).control
	cat $(SQL_SOURCES) > $@.tmp
	printf '\n/* Bundled migrations, generated from db/migrations/production by\n * scripts/gen-register-sql.sh: do not edit here. */\n' >> $@.tmp
	sh scripts/gen-register-sql.sh aura_migrate._register_bundled $(BUNDLED) >> $@.tmp
	$(if $(PROBE_FIXTURES),cat $(PROBE_FIXTURES) >> $@.tmp)
	mv $@.tmp $@
