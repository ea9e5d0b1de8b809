#!/usr/bin/env python3
"""layouts.py MIGDIR OUTDIR: the generated migrations in each peer tool's own layout.

From the migrations in MIGDIR (YYYYMMDDNNN_name.sql, as written by
bench/gen_migrations.py) writes, under OUTDIR, one directory per peer, each
holding exactly the same SQL, one file per migration, in that tool's format
(what its own `new`/`create`/`add`/`commit` command would have produced):

  dbmate/               YYYYMMDDNNN_name.sql  with "-- migrate:up" / "-- migrate:down"
  node_pg_migrate/      YYYYMMDDNNN_name.sql  with "-- Up Migration" / "-- Down Migration"
  postgres_migrations/  K_name.sql            (K = 1..N: the tool wants consecutive ids)
  graphile_migrate/     .gmrc and migrations/committed/00000K-name.sql with the
                        "--! Previous:" / "--! Hash:" headers of `graphile-migrate commit`
                        (sha1 chain computed as its hash.js does)
  sqitch/               sqitch.conf, sqitch.plan, deploy/name.sql, revert/name.sql
                        (deploy scripts wrapped in BEGIN; ... COMMIT; as sqitch's own
                        pg template does)

Each layout is written to a temporary directory and renamed into place, so
a half-written layout is never used.  Only the Python 3 standard library.
"""

import hashlib
import json
import os
import re
import shutil
import sys

NAME_RE = re.compile(r"^(\d{11})_([a-z0-9_]+)\.sql$")


def table_of(name):
    # create_cycle_note_00001 -> cycle_note_00001 (the table the migration creates)
    return name[len("create_"):] if name.startswith("create_") else name


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def graphile_hash(body, previous):
    # graphile-migrate 1.4 dist/hash.js: calculateHash(str, previousHash)
    data = ((previous or "") + "\n" + body.strip()).strip() + "\n"
    return "sha1:" + hashlib.sha1(data.encode("utf-8")).hexdigest()


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: layouts.py MIGDIR OUTDIR\n")
        return 2
    migdir, outdir = argv[1], argv[2]
    files = sorted(f for f in os.listdir(migdir) if NAME_RE.match(f))
    if not files:
        sys.stderr.write("layouts.py: no migrations in %s\n" % migdir)
        return 1
    migs = []
    for f in files:
        version, name = NAME_RE.match(f).groups()
        with open(os.path.join(migdir, f), encoding="utf-8") as fh:
            sql = fh.read()
        if not sql.endswith("\n"):
            sql += "\n"
        migs.append((version, name, sql))

    os.makedirs(outdir, exist_ok=True)
    tmp = os.path.join(outdir, ".tmp.%d" % os.getpid())
    shutil.rmtree(tmp, ignore_errors=True)

    # dbmate
    for version, name, sql in migs:
        write(os.path.join(tmp, "dbmate", "%s_%s.sql" % (version, name)),
              "-- migrate:up\n%s\n-- migrate:down\nDROP TABLE public.%s;\n"
              % (sql, table_of(name)))

    # node-pg-migrate (SQL migrations)
    for version, name, sql in migs:
        write(os.path.join(tmp, "node_pg_migrate", "%s_%s.sql" % (version, name)),
              "-- Up Migration\n%s\n-- Down Migration\nDROP TABLE public.%s;\n"
              % (sql, table_of(name)))

    # postgres-migrations: ids 1..N, no down migrations (the tool has none)
    for k, (version, name, sql) in enumerate(migs, 1):
        write(os.path.join(tmp, "postgres_migrations", "%d_%s.sql" % (k, name)), sql)

    # graphile-migrate: committed migrations, hash-chained
    write(os.path.join(tmp, "graphile_migrate", ".gmrc"),
          json.dumps({"migrationsFolder": "./migrations"}, indent=2) + "\n")
    write(os.path.join(tmp, "graphile_migrate", "migrations", "current.sql"), "-- Enter migration here\n")
    previous = None
    for k, (version, name, sql) in enumerate(migs, 1):
        body = sql.strip() + "\n"
        h = graphile_hash(body, previous)
        slug = name.replace("_", "-")
        write(os.path.join(tmp, "graphile_migrate", "migrations", "committed", "%06d-%s.sql" % (k, slug)),
              "--! Previous: %s\n--! Hash: %s\n--! Message: %s\n\n%s"
              % (previous or "-", h, slug, body))
        previous = h

    # sqitch
    sq = os.path.join(tmp, "sqitch")
    write(os.path.join(sq, "sqitch.conf"),
          "[core]\n\tengine = pg\n\tplan_file = sqitch.plan\n\ttop_dir = .\n"
          "[user]\n\tname = bench\n\temail = bench@example.invalid\n")
    plan = ["%syntax-version=1.0.0", "%project=aura_bench", ""]
    for version, name, sql in migs:
        stamp = "%s-%s-%sT%02d:00:00Z" % (version[0:4], version[4:6], version[6:8], int(version[8:11]))
        plan.append("%s %s bench <bench@example.invalid> # %s" % (name, stamp, version))
        write(os.path.join(sq, "deploy", name + ".sql"),
              "-- Deploy aura_bench:%s to pg\n\nBEGIN;\n\n%s\nCOMMIT;\n" % (name, sql))
        write(os.path.join(sq, "revert", name + ".sql"),
              "-- Revert aura_bench:%s from pg\n\nBEGIN;\n\nDROP TABLE public.%s;\n\nCOMMIT;\n"
              % (name, table_of(name)))
    write(os.path.join(sq, "sqitch.plan"), "\n".join(plan) + "\n")

    for tool in sorted(os.listdir(tmp)):
        dst = os.path.join(outdir, tool)
        shutil.rmtree(dst, ignore_errors=True)
        os.rename(os.path.join(tmp, tool), dst)
    os.rmdir(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
