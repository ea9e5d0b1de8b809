#!/usr/bin/env node
// postgres_migrations.js DIR: apply the migrations in DIR with postgres-migrations.
// The package is a library with no apply CLI; this is the few lines its README
// shows (a pg Client, migrate({client}, dir)).  The connection comes from the
// PG* environment variables (PGHOST, PGPORT, PGUSER, PGDATABASE), as pg reads them.
"use strict";
const { Client } = require("pg");
const { migrate } = require("postgres-migrations");

async function main() {
  const dir = process.argv[2];
  if (!dir) throw new Error("usage: postgres_migrations.js DIR");
  const client = new Client();
  await client.connect();
  try {
    const applied = await migrate({ client }, dir);
    console.log(`postgres-migrations: ${applied.length} migrations applied`);
  } finally {
    await client.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
