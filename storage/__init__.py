"""Persistence: SQLite via aiosqlite. All SQL of the project lives in this package.

``open_database`` gives a migrated ``Database`` (one writer connection, ``BEGIN IMMEDIATE``
transactions); ``Ledger`` keeps users and credits in an append-only ledger; ``JobStore`` keeps
the job state machine and places, captures and releases the credit holds (who may start a
job: ``storage.admission``); ``Inbox`` keeps fetched chat updates until they are handled.
Errors are in ``storage.errors``.

    async with open_database(path) as db:
        ledger = Ledger(db=db, initial_credits=10)
        jobs = JobStore(db=db, ledger=ledger)
"""
