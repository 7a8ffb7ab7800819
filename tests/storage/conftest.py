"""Fixtures: a real, migrated SQLite file per test, and the repositories over it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database, open_database
from storage.jobs import JobStore
from storage.ledger import Ledger
from tests.storage.helpers import INITIAL


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bot.db"


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    async with open_database(db_path) as database:
        yield database


@pytest.fixture
def ledger(db: Database) -> Ledger:
    return Ledger(db=db, initial_credits=INITIAL)


@pytest.fixture
def jobs(db: Database, ledger: Ledger) -> JobStore:
    return JobStore(db=db, ledger=ledger)
