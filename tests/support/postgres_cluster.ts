/**
 * A PostgreSQL server for tests and benches.
 *
 * - `TEST_DATABASE_URL` set: that server is used, and every database handed out
 *   is a fresh `CREATE DATABASE t_<random>`, dropped again by `stop()`.
 * - otherwise, when `initdb` and `pg_ctl` are installed (in Debian's
 *   `/usr/lib/postgresql/<version>/bin`, or in `PG_BIN_DIR`): a throwaway cluster in
 *   a temp directory (trust auth, loopback only, a free port, its unix socket
 *   in the temp directory), removed by `stop()`. As root, the server runs as the
 *   unprivileged `postgres` user (through `runuser`, else `su`), because
 *   PostgreSQL refuses to run as root.
 * - otherwise `null`: callers skip, and say so loudly with {@link warnSkipped}.
 *
 * One server per test file; each harness asks it for its own database.
 *
 * @module
 */
import postgres from "postgres";

/** A PostgreSQL server for one test file or bench. */
export interface PostgresServer {
  /** URL of a fresh database made for this call. */
  url: string;
  /** `throwaway`: a cluster this process started; `external`: `TEST_DATABASE_URL`. */
  kind: "throwaway" | "external";
  /** Creates another fresh, empty database and returns its URL. */
  createDatabase(): Promise<string>;
  /** Drops a database made by {@link createDatabase} (its connections are ended). */
  dropDatabase(url: string): Promise<void>;
  /**
   * Takes the server away and brings it back: a throwaway cluster is stopped
   * (`pg_ctl stop -m fast`), `whileDown` runs, and it is started again on the
   * same port. On an external server the databases' connections are terminated
   * instead (the server itself cannot be stopped from here), with `whileDown`
   * run right after.
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
  /** Drops what was made: the cluster and its directory, or the created databases. */
  stop(): Promise<void>;
}

/** Options of {@link startPostgres}. */
export interface StartOptions {
  /**
   * Keep PostgreSQL's durability settings (fsync, synchronous commit), as a
   * bench comparing engines must. Default false: tests run with `fsync=off`.
   */
  durable?: boolean;
}

const BIN_DIRS = [
  "/usr/lib/postgresql/17/bin",
  "/usr/lib/postgresql/16/bin",
  "/usr/lib/postgresql/15/bin",
];

/** `PG_BIN_DIR` names the one directory to use (a missing one: no throwaway cluster). */
function findBinDir(): string | null {
  const fromEnv = Deno.env.get("PG_BIN_DIR");
  const candidates = fromEnv ? [fromEnv] : BIN_DIRS;
  for (const dir of candidates) {
    try {
      Deno.statSync(`${dir}/initdb`);
      Deno.statSync(`${dir}/pg_ctl`);
      return dir;
    } catch {
      // not here
    }
  }
  return null;
}

function randomName(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return `t_${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates a fresh database through an admin URL and returns its name. */
async function createFreshDatabase(adminUrl: string): Promise<string> {
  const name = randomName();
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await sql.end({ timeout: 5 });
  }
  return name;
}

/** Drops a database this server handed out, through an admin URL. */
async function dropByUrl(adminUrl: string, url: string, databases: Set<string>): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!databases.has(name)) throw new Error(`not a database of this test server: ${name}`);
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    databases.delete(name);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Runs a command as the `postgres` user when we are root, else as ourselves. */
async function run(binDir: string, args: string[], asUser: string | null): Promise<string> {
  const [program, ...rest] = args;
  const command = asUser === null
    ? new Deno.Command(`${binDir}/${program}`, { args: rest, stdout: "piped", stderr: "piped" })
    : runAs(asUser, [`${binDir}/${program}`, ...rest]);
  const out = await command.output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${program} failed (exit ${out.code}): ${text.trim()}`);
  return text;
}

function hasProgram(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function runAs(user: string, argv: string[]): Deno.Command {
  if (hasProgram("/usr/sbin/runuser") || hasProgram("/sbin/runuser")) {
    return new Deno.Command("runuser", {
      args: ["-u", user, "--", ...argv],
      stdout: "piped",
      stderr: "piped",
    });
  }
  const quoted = argv.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  return new Deno.Command("su", {
    args: [user, "-s", "/bin/sh", "-c", quoted],
    stdout: "piped",
    stderr: "piped",
  });
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function userIds(user: string): { uid: number; gid: number } | null {
  try {
    const line = Deno.readTextFileSync("/etc/passwd").split("\n").find((l) =>
      l.startsWith(`${user}:`)
    );
    if (!line) return null;
    const [, , uid, gid] = line.split(":");
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return null;
  }
}

async function startThrowaway(binDir: string, options: StartOptions): Promise<PostgresServer> {
  const root = Deno.uid() === 0;
  const user = root ? "postgres" : null;
  const ids = root ? userIds("postgres") : null;
  if (root && !ids) {
    throw new Error("running as root and there is no `postgres` user to run PostgreSQL as");
  }
  // As root, TMPDIR may sit under /root, which the postgres user cannot enter.
  const dir = await Deno.makeTempDir({ prefix: "ai-runner-pg-", dir: root ? "/tmp" : undefined });
  const dataDir = `${dir}/data`;
  const socketDir = `${dir}/socket`;
  await Deno.mkdir(dataDir, { mode: 0o700 });
  await Deno.mkdir(socketDir, { mode: 0o700 });
  if (ids) {
    await Deno.chmod(dir, 0o755); // let the postgres user reach its directories
    await Deno.chown(dataDir, ids.uid, ids.gid);
    await Deno.chown(socketDir, ids.uid, ids.gid);
  }
  const port = freePort();
  const settings = [
    "-c listen_addresses=127.0.0.1",
    `-p ${port}`,
    `-c unix_socket_directories=${socketDir}`,
    "-c max_connections=200",
    "-c shared_buffers=32MB",
    ...(options.durable
      ? []
      : ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]),
  ].join(" ");
  const pgCtl = (...args: string[]) => run(binDir, ["pg_ctl", "-D", dataDir, ...args], user);
  let started = false;
  const cleanup = async () => {
    if (started) {
      started = false;
      await pgCtl("stop", "-m", "immediate", "-w").catch(() => {});
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  // A test file that dies without calling stop() must not leave a server behind.
  const onUnload = () => {
    if (!started) return;
    try {
      const argv = [`${binDir}/pg_ctl`, "-D", dataDir, "stop", "-m", "immediate", "-w"];
      (user ? runAs(user, argv) : new Deno.Command(argv[0], { args: argv.slice(1) })).outputSync();
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // best effort
    }
  };
  globalThis.addEventListener("unload", onUnload);
  try {
    await run(binDir, [
      "initdb",
      "-D",
      dataDir,
      "-U",
      "postgres",
      "-A",
      "trust",
      "-E",
      "UTF8",
      "--locale=C.UTF-8",
      "--no-sync",
    ], user);
    const start = () =>
      pgCtl("start", "-w", "-t", "60", "-l", `${dataDir}/server.log`, "-o", settings);
    await start();
    started = true;
    const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const databases = new Set<string>();
    const createDatabase = async () => {
      const name = await createFreshDatabase(adminUrl);
      databases.add(name);
      return withDatabase(adminUrl, name);
    };
    return {
      url: await createDatabase(),
      kind: "throwaway",
      createDatabase,
      dropDatabase: (url) => dropByUrl(adminUrl, url, databases),
      async restart(whileDown) {
        await pgCtl("stop", "-m", "fast", "-w", "-t", "60");
        started = false;
        try {
          await whileDown?.();
        } finally {
          await start();
          started = true;
        }
      },
      async stop() {
        globalThis.removeEventListener("unload", onUnload);
        await cleanup();
      },
    };
  } catch (error) {
    globalThis.removeEventListener("unload", onUnload);
    await cleanup();
    throw error;
  }
}

function external(adminUrl: string): PostgresServer & { init(): Promise<void> } {
  const databases = new Set<string>();
  const createDatabase = async () => {
    const name = await createFreshDatabase(adminUrl);
    databases.add(name);
    return withDatabase(adminUrl, name);
  };
  const server = {
    url: "",
    kind: "external" as const,
    createDatabase,
    dropDatabase: (url: string) => dropByUrl(adminUrl, url, databases),
    async init() {
      server.url = await createDatabase();
    },
    async restart(whileDown?: () => Promise<void>) {
      const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await sql`
          SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = ANY(${[...databases]}) AND pid <> pg_backend_pid()`;
      } finally {
        await sql.end({ timeout: 5 });
      }
      await whileDown?.();
    },
    async stop() {
      const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        for (const name of databases) {
          await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        }
        databases.clear();
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
  };
  return server;
}

/**
 * A PostgreSQL server with a fresh database, or null when there is none to be
 * had (no `TEST_DATABASE_URL`, no `initdb`/`pg_ctl`).
 */
export async function startPostgres(options: StartOptions = {}): Promise<PostgresServer | null> {
  const url = Deno.env.get("TEST_DATABASE_URL");
  if (url) {
    const server = external(url);
    await server.init();
    return server;
  }
  const binDir = findBinDir();
  if (!binDir) return null;
  return await startThrowaway(binDir, options);
}

/** Says, loudly, that PostgreSQL tests were skipped and how to run them. */
export function warnSkipped(what: string): void {
  console.warn(
    [
      "",
      "#".repeat(78),
      `#  SKIPPED: ${what}`,
      "#  No PostgreSQL: set TEST_DATABASE_URL=postgres://user@host/db (a role that",
      "#  may CREATE DATABASE), or install PostgreSQL (initdb, pg_ctl) on this machine.",
      "#".repeat(78),
      "",
    ].join("\n"),
  );
}
