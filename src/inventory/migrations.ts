/**
 * Versioned schema. Each migration runs once, inside the same IMMEDIATE transaction that
 * records it in schema_migrations, so two processes opening a fresh DB at once cannot both
 * apply it. Never edit a released migration: add a new one.
 *
 * The SQL sticks to what PostgreSQL also accepts (apart from INTEGER PRIMARY KEY rowids and
 * json_valid checks), so a PostgreSQL backend can carry the same tables and columns.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial inventory schema",
    sql: `
CREATE TABLE hosts (
  id             INTEGER PRIMARY KEY,
  name           TEXT NOT NULL UNIQUE,
  address        TEXT NOT NULL,
  port           INTEGER NOT NULL DEFAULT 22,
  ssh_user       TEXT,
  sysname        TEXT,
  python_path    TEXT,
  python_version TEXT,
  platform_tags  TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(platform_tags)),
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);

CREATE TABLE bundles (
  id                INTEGER PRIMARY KEY,
  bundle_id         TEXT NOT NULL,
  channel           TEXT NOT NULL,
  sequence          INTEGER NOT NULL,
  digest_sha256     TEXT NOT NULL UNIQUE CHECK (length(digest_sha256) = 64),
  manifest          TEXT NOT NULL CHECK (json_valid(manifest)),
  signer_identities TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(signer_identities)),
  verified_at       TEXT NOT NULL,
  recorded_at       TEXT NOT NULL
);
CREATE INDEX bundles_channel_seq ON bundles (channel, sequence);

CREATE TABLE bundle_wheels (
  bundle_row INTEGER NOT NULL REFERENCES bundles (id) ON DELETE CASCADE,
  filename   TEXT NOT NULL,
  name       TEXT NOT NULL,
  version    TEXT NOT NULL,
  sha256     TEXT NOT NULL CHECK (length(sha256) = 64),
  size       INTEGER NOT NULL,
  PRIMARY KEY (bundle_row, filename)
);
CREATE INDEX bundle_wheels_sha ON bundle_wheels (sha256);

CREATE TABLE runs (
  id              TEXT PRIMARY KEY,
  kind            TEXT NOT NULL CHECK (kind IN ('deploy','rollback','status','probe','lock-break')),
  started_at      TEXT NOT NULL,
  finished_at     TEXT,
  actor_local     TEXT,
  actor_zos       TEXT,
  controller_host TEXT,
  cli_version     TEXT,
  argv            TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(argv)),
  status          TEXT CHECK (status IS NULL OR status IN ('ok','changed','failed','refused')),
  exit_code       INTEGER,
  error_code      TEXT,
  error_text      TEXT,
  failed_step     TEXT
);

-- Per-host outcome of a run (a fleet run can fail on one host and succeed on others).
CREATE TABLE run_hosts (
  run_id      TEXT NOT NULL REFERENCES runs (id),
  host_id     INTEGER NOT NULL REFERENCES hosts (id),
  status      TEXT NOT NULL CHECK (status IN ('ok','changed','failed','unreachable','skipped','refused')),
  release_id  TEXT,
  error_code  TEXT,
  error_text  TEXT,
  failed_step TEXT,
  recorded_at TEXT NOT NULL,
  PRIMARY KEY (run_id, host_id)
);

CREATE TABLE releases (
  id               INTEGER PRIMARY KEY,
  host_id          INTEGER NOT NULL REFERENCES hosts (id),
  root             TEXT NOT NULL,
  release_id       TEXT NOT NULL,
  path             TEXT NOT NULL,
  bundle_digest    TEXT REFERENCES bundles (digest_sha256),
  state            TEXT NOT NULL CHECK (state IN ('staged','active','previous','pruned','failed')),
  staged_at        TEXT NOT NULL,
  activated_at     TEXT,
  deactivated_at   TEXT,
  run_id           TEXT REFERENCES runs (id),
  activated_run_id TEXT REFERENCES runs (id),
  UNIQUE (host_id, root, release_id)
);
-- The DB itself guarantees at most one active and one previous release per install root.
CREATE UNIQUE INDEX releases_one_active   ON releases (host_id, root) WHERE state = 'active';
CREATE UNIQUE INDEX releases_one_previous ON releases (host_id, root) WHERE state = 'previous';

CREATE TABLE installed_packages (
  release_row  INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  name         TEXT NOT NULL,   -- PEP 503 normalised
  display_name TEXT NOT NULL,
  version      TEXT NOT NULL,
  wheel_sha256 TEXT,
  installer    TEXT,
  PRIMARY KEY (release_row, name)
);
CREATE INDEX installed_packages_name ON installed_packages (name, version);

-- Rollback protection: highest accepted bundle sequence per channel.
CREATE TABLE channel_state (
  channel     TEXT PRIMARY KEY,
  sequence    INTEGER NOT NULL,
  digest      TEXT NOT NULL,
  accepted_at TEXT NOT NULL
);

CREATE TABLE events (
  seq       INTEGER PRIMARY KEY,
  ts        TEXT NOT NULL,
  run_id    TEXT,
  host      TEXT,
  type      TEXT NOT NULL,
  payload   TEXT NOT NULL CHECK (json_valid(payload)),
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL UNIQUE
);
-- Accidental edits fail loudly; deliberate ones (dropping the triggers) break the hash chain.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
