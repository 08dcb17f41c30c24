// Test support: a throwaway PostgreSQL server, as the store's unit tests start one
// (tests/unit/store/pg_server.cpp): initdb into a fresh temporary directory, pg_ctl start
// on a free port of 127.0.0.1, one database per caller, pg_ctl stop at the end. As root
// the server runs as the postgres user (PostgreSQL refuses root). The binaries are
// PostgreSQL 15's (HERALD_PG_BIN overrides the directory); when they are missing,
// startPostgres() throws and the test fails, never skips.

import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const bin = process.env.HERALD_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** A port nobody listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** The uid and gid of the postgres user (from getent: node has no getpwnam). */
function postgresUser() {
  const line = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).trim();
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * Starts a server. Resolves with {createDatabase(name) -> postgres:// URL, stop()}.
 */
export async function startPostgres() {
  if (!existsSync(path.join(bin, 'initdb')) || !existsSync(path.join(bin, 'pg_ctl'))) {
    throw new Error(`PostgreSQL server binaries not found in ${bin} (set HERALD_PG_BIN, or install postgresql: scripts/setup.sh)`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-it-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { uid, gid } = postgresUser();
    chownSync(dir, uid, gid);
  }
  const run = (program, args) => {
    const argv = asRoot ? ['runuser', '-u', 'postgres', '--', path.join(bin, program), ...args] : [path.join(bin, program), ...args];
    try {
      return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      throw new Error(`PostgreSQL for the tests: ${program} failed: ${e.stderr || e.message}`);
    }
  };
  const data = path.join(dir, 'data');
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  let port;
  for (let attempt = 0; ; ++attempt) {
    port = await freePort();
    try {
      run('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
      break;
    } catch (e) {
      if (attempt >= 2) {
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
    }
  }
  const base = `postgres://postgres@127.0.0.1:${port}`;
  return {
    base,
    /** Creates an empty database; resolves with its URL. */
    createDatabase(name) {
      run('psql', ['-X', '-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', `CREATE DATABASE ${name}`]);
      return `${base}/${name}`;
    },
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
