#!/usr/bin/env python3
"""build_scripts.py MIGDIR OUTDIR

From the migrations in MIGDIR (YYYYMMDDNNN_name.sql, as written by
gen_migrations.py) writes the scripts the psql contenders and the
aura_migrate registration read, into OUTDIR:

  all.sql       every migration concatenated, for `psql -1 -f` (contender a)
  floor.sql     per migration: BEGIN; <migration>; INSERT INTO
                bench_history ...; COMMIT;   (contender b, the floor)
  register.sql  one aura_migrate.register_file(filename, sql) call per
                migration (untimed set-up of contenders c and d)

Only the Python 3 standard library is used.
"""

import os
import re
import sys

NAME_RE = re.compile(r"^(\d{11})_([a-z0-9_]+)\.sql$")


def dollar_quote(text):
    """text as a dollar-quoted SQL literal whose tag does not occur in it."""
    tag = "am_bench"
    n = 0
    while ("$%s$" % tag) in text:
        n += 1
        tag = "am_bench%d" % n
    return "$%s$%s$%s$" % (tag, text, tag)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: build_scripts.py MIGDIR OUTDIR\n")
        return 2
    migdir, outdir = argv[1], argv[2]
    files = sorted(f for f in os.listdir(migdir) if NAME_RE.match(f))
    if not files:
        sys.stderr.write("build_scripts.py: no migrations in %s\n" % migdir)
        return 1
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "all.sql"), "w", encoding="utf-8") as a, \
            open(os.path.join(outdir, "floor.sql"), "w", encoding="utf-8") as b, \
            open(os.path.join(outdir, "register.sql"), "w", encoding="utf-8") as r:
        for f in files:
            version, name = NAME_RE.match(f).groups()
            with open(os.path.join(migdir, f), encoding="utf-8") as fh:
                sql = fh.read()
            if not sql.endswith("\n"):
                sql += "\n"
            a.write(sql)
            b.write("BEGIN;\n")
            b.write(sql)
            b.write("INSERT INTO bench_history (version, name) VALUES ('%s', '%s');\n"
                    % (version, name))
            b.write("COMMIT;\n")
            r.write("SELECT aura_migrate.register_file('%s', %s);\n"
                    % (f, dollar_quote(sql)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
