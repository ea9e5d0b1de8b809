# Makefile for aura_migrate and aura_schema (PGXS)
#
# Two extensions from one tree:
#  - aura_migrate, the engine (C).  Its install script for the current
#    version, aura_migrate--$(EXTVERSION).sql, is generated from the readable
#    sources in src/sql/.  Released versions' scripts and the upgrade scripts
#    between them live in ext/ and are never edited after release.
#  - aura_schema, the Aura app's schema (SQL only, requires aura_migrate).
#    Its scripts register the Aura migrations; they are generated from
#    db/aura_schema.versions and db/migrations/production by
#    scripts/gen-aura-schema.sh.
# Each control file is the single source of its extension's version.
#
# The shipped build uses PostgreSQL's own flags; the test command and CI add
# warnings as errors with PG_WERROR=1 (make PG_WERROR=1).

EXTENSION = aura_migrate aura_schema
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" aura_migrate.control)

MODULE_big = aura_migrate
OBJS = \
	src/apply.o \
	src/aura_migrate.o \
	src/baseline.o \
	src/authority.o \
	src/checksum.o \
	src/environment.o \
	src/encrypted.o \
	src/eventlog.o \
	src/guard.o \
	src/lint.o \
	src/lint_common.o \
	src/lint_live.o \
	src/owner.o \
	src/postcheck.o \
	src/recorder.o \
	src/record.o \
	src/registry.o \
	src/requires.o \
	src/rls.o \
	src/rls_common.o \
	src/rls_expr.o \
	src/rls_gate.o \
	src/rls_exec.o \
	src/rls_objects.o \
	src/rls_owner.o \
	src/rls_probe.o \
	src/rls_probe_fn.o \
	src/rls_read.o \
	src/rls_tables.o \
	src/rls_rows.o \
	src/rls_scope.o \
	src/rls_undo.o \
	src/rollback.o \
	src/run.o \
	src/settings.o \
	src/sqlsplit.o \
	src/toplevel.o \
	src/validate.o

# every object depends on the headers: a struct that grows must never be
# seen at two sizes by two objects
HEADERS = src/apply.h src/authority.h src/checksum.h src/compat.h src/encrypted.h src/guard.h src/eventlog.h \
	src/lint.h src/lint_int.h src/owner.h src/postcheck.h src/recorder.h src/registry.h src/requires.h src/rls.h src/rls_gate.h src/rls_probe.h src/rls_undo.h src/run.h src/settings.h src/sqlsplit.h \
	src/toplevel.h src/validate.h

ENGINE_SQL = src/sql/aura_migrate.sql src/sql/lint.sql src/sql/check_rls.sql
AURA_SCHEMA_SCRIPTS = $(shell sh $(srcdir)/scripts/gen-aura-schema.sh --list)
BUNDLED = $(sort $(wildcard db/migrations/production/*.sql))
PROBE_FIXTURES = $(sort $(wildcard db/probes/*.sql)) $(sort $(wildcard db/rules/*.sql db/rules/*/*.sql))

DATA = ext/aura_migrate--0.1.sql ext/aura_migrate--0.1--0.2.sql \
	ext/aura_migrate--0.2.sql ext/aura_migrate--0.2--0.3.sql \
	ext/aura_migrate--0.3.sql ext/aura_migrate--0.3--0.4.sql \
	ext/aura_migrate--0.4.sql ext/aura_migrate--0.4--0.5.sql
DATA_built = aura_migrate--$(EXTVERSION).sql $(AURA_SCHEMA_SCRIPTS)

REGRESS_ENGINE = setup registry register_bad apply failure migrate status safety rollback postcheck run_settings notransaction settings adopt
REGRESS_LINT = lint
REGRESS_RLS = check_rls_aura check_rls check_rls_scope check_rls_probes rls_gate
# trust_owner last: it re-creates the extension under another owner and back
REGRESS_TRUST = trust_guard trust_findings trust_migrator trust_down trust_environment trust_recorder trust_privacy trust_owner
REGRESS_UPGRADE = upgrade
REGRESS = $(REGRESS_ENGINE) $(REGRESS_LINT) $(REGRESS_RLS) $(REGRESS_TRUST) $(REGRESS_UPGRADE)
REGRESS_OPTS = --inputdir=. --load-extension=aura_migrate

PG_CPPFLAGS = -I$(srcdir)/src -DAM_EXTVERSION=\"$(EXTVERSION)\"
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
ifeq ($(PG_WERROR),1)
PG_CFLAGS += -Werror
endif

EXTRA_CLEAN = aura_migrate--$(EXTVERSION).sql $(AURA_SCHEMA_SCRIPTS)

PG_CONFIG ?= pg_config
# plpgsql_check runs last (on the fresh engine upgrade leaves) and only where
# the plpgsql_check package is installed: the test command installs it for
# PostgreSQL 15; the 17 and 18 matrix chroots do not have it
ifneq ($(wildcard $(shell $(PG_CONFIG) --sharedir)/extension/plpgsql_check.control),)
REGRESS += plpgsql_check
endif
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(OBJS): $(HEADERS)

aura_migrate--$(EXTVERSION).sql: $(ENGINE_SQL) aura_migrate.control
	cat $(ENGINE_SQL) > $@.tmp
	mv $@.tmp $@

$(AURA_SCHEMA_SCRIPTS) &: db/aura_schema.versions aura_schema.control $(BUNDLED) $(PROBE_FIXTURES) \
		scripts/gen-aura-schema.sh scripts/gen-register-sql.sh
	sh scripts/gen-aura-schema.sh

# TAP tests (t/*.pl on PostgreSQL::Test::Cluster), run as the postgres OS
# user by test/tap.sh.  A non-root user with libipc-run-perl can also use
# PGXS's own runner: make installcheck TAP_TESTS=1.  TAP_TESTS is not set
# here: the test command runs installcheck as root (initdb refuses root), and
# the matrix chroots have no IPC::Run.
.PHONY: tapcheck
tapcheck:
	bash $(srcdir)/test/tap.sh
