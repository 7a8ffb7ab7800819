"""Schema migrations, applied in order and tracked by ``PRAGMA user_version``.

Migration N (1-based) is the tuple ``MIGRATIONS[N - 1]`` of SQL statements.  Each runs in
its own ``BEGIN IMMEDIATE`` transaction together with ``PRAGMA user_version = N``, so a
crash leaves the schema at N - 1 or N, never in between.  Statements are listed one by one
(not ``executescript``, which would COMMIT the open transaction first).  Never edit a
released migration: append a new one.  A database newer than this code is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.errors import StorageError
from storage.sql import execute, scalar_int

if TYPE_CHECKING:
    from storage.db import Database

_V1_USERS = """
CREATE TABLE users(
    id               INTEGER PRIMARY KEY,
    platform         TEXT NOT NULL,
    platform_user_id TEXT NOT NULL,
    banned           INTEGER NOT NULL DEFAULT 0 CHECK (banned IN (0, 1)),
    created_at       REAL NOT NULL,
    UNIQUE (platform, platform_user_id)
)"""

_V1_ACCOUNTS = """
CREATE TABLE accounts(
    user_id   INTEGER PRIMARY KEY REFERENCES users(id),
    available INTEGER NOT NULL DEFAULT 0 CHECK (available >= 0),
    held      INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0)
)"""

_V1_JOBS = """
CREATE TABLE jobs(
    id                 TEXT PRIMARY KEY,
    user_id            INTEGER NOT NULL REFERENCES users(id),
    state              TEXT NOT NULL CHECK (state IN ('queued', 'submitting', 'submitted',
                           'completed', 'delivered', 'failed', 'cancelled')),
    kind               TEXT NOT NULL CHECK (kind IN ('text', 'image')),
    request_json       TEXT NOT NULL,
    input_image        BLOB,
    input_content_type TEXT,
    cost               INTEGER NOT NULL CHECK (cost >= 0),
    chat_json          TEXT NOT NULL,
    endpoint           TEXT,
    request_id         TEXT,
    result_json        TEXT,
    error              TEXT,
    parent_id          TEXT,
    event_key          TEXT UNIQUE,
    created_at         REAL NOT NULL,
    updated_at         REAL NOT NULL,
    submitted_at       REAL,
    finished_at        REAL,
    charged            INTEGER CHECK (charged IS NULL OR charged BETWEEN 0 AND cost),
    CHECK ((input_image IS NULL) = (input_content_type IS NULL))
)"""

# The per-kind CHECK is a backstop for the code in storage/postings.py: a hold moves
# credits from available to held, a release moves them back, a capture drops the hold and
# may return part of it (a cheaper fallback), the rest only touch available.
_V1_LEDGER = """
CREATE TABLE ledger(
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    kind        TEXT NOT NULL CHECK (kind IN ('grant', 'revoke', 'set', 'hold', 'capture',
                    'release', 'refund')),
    d_available INTEGER NOT NULL,
    d_held      INTEGER NOT NULL,
    job_id      TEXT REFERENCES jobs(id),
    actor       TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    idem_key    TEXT NOT NULL UNIQUE,
    created_at  REAL NOT NULL,
    CHECK (CASE kind
        WHEN 'grant'   THEN d_available > 0 AND d_held = 0
        WHEN 'revoke'  THEN d_available < 0 AND d_held = 0
        WHEN 'set'     THEN d_held = 0
        WHEN 'refund'  THEN d_available > 0 AND d_held = 0 AND job_id IS NOT NULL
        WHEN 'hold'    THEN d_held >= 0 AND d_available = -d_held AND job_id IS NOT NULL
        WHEN 'release' THEN d_held <= 0 AND d_available = -d_held AND job_id IS NOT NULL
        WHEN 'capture' THEN d_held <= 0 AND d_available BETWEEN 0 AND -d_held
                            AND job_id IS NOT NULL
    END)
)"""

_V1_ADMIN_ACTIONS = """
CREATE TABLE admin_actions(
    idem_key       TEXT PRIMARY KEY,
    actor          TEXT NOT NULL,
    action         TEXT NOT NULL,
    target_user_id INTEGER REFERENCES users(id),
    created_at     REAL NOT NULL
)"""

V1: tuple[str, ...] = (
    _V1_USERS,
    _V1_ACCOUNTS,
    _V1_JOBS,
    _V1_LEDGER,
    _V1_ADMIN_ACTIONS,
    "CREATE INDEX jobs_user_state ON jobs(user_id, state)",
    "CREATE INDEX jobs_state ON jobs(state, created_at)",
    "CREATE INDEX jobs_created ON jobs(created_at)",
    "CREATE INDEX ledger_user ON ledger(user_id, id)",
    "CREATE INDEX ledger_job ON ledger(job_id) WHERE job_id IS NOT NULL",
    """CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
       BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END""",
    """CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
       BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END""",
)

# v2: when the result started to be posted. Set (in its own transaction) right before the
# front end is called, so a restart can tell "not posted yet" from "maybe posted".
V2: tuple[str, ...] = ("ALTER TABLE jobs ADD COLUMN delivery_started_at REAL",)

# v3: chat updates kept from the moment they are fetched until handled (storage.inbox), so
# an update fetched but not yet handled when the process dies is handled on the next start,
# and one handled already is not handled again when the platform delivers it once more.
V3: tuple[str, ...] = (
    """CREATE TABLE inbox(
        platform    TEXT NOT NULL,
        event_id    INTEGER NOT NULL,
        body        TEXT NOT NULL,
        received_at REAL NOT NULL,
        handled_at  REAL,
        PRIMARY KEY (platform, event_id)
    )""",
    "CREATE INDEX inbox_handled ON inbox(platform, handled_at)",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (V1, V2, V3)
LATEST = len(MIGRATIONS)


async def migrate(db: Database) -> int:
    """Bring the schema up to ``LATEST``; return the version found before migrating."""
    async with db.read() as conn:
        found = await scalar_int(conn, "PRAGMA user_version")
    if found > LATEST:
        raise StorageError(f"database schema v{found} is newer than this code (v{LATEST})")
    for version in range(found + 1, LATEST + 1):
        await _apply(db, version)
    return found


async def _apply(db: Database, version: int) -> None:
    async with db.transaction() as conn:
        # Re-read under the write lock: another process may have migrated meanwhile.
        if await scalar_int(conn, "PRAGMA user_version") >= version:
            return
        for statement in MIGRATIONS[version - 1]:
            await execute(conn, statement)
        await execute(conn, f"PRAGMA user_version = {version}")
