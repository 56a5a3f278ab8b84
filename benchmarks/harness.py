"""The benchmarks' throw-away database: each benchmark runs in a fresh test database (SQLite: a file in a temporary
directory; PostgreSQL: test_<name> on the DATABASE_URL server) that is dropped at the end, so a benchmark never
touches var/dangjian.sqlite3 or a real database.

    db = open_database()            # after django.setup()
    try:
        ...
    finally:
        close_database(db)

`open_database(keep=FILE)` (SQLite only) keeps the database in FILE instead, and reuses it when FILE exists
(`db.reused`), so a benchmark can skip generating its data on later runs.
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Database:
    old_name: str | None
    tmpdir: object
    keep: str | None
    reused: bool


def open_database(keep=None):
    from django.db import connection
    from django.test.utils import setup_test_environment

    if keep and connection.vendor != "sqlite":
        raise SystemExit("keeping the database is for SQLite only")
    tmpdir = None
    reused = bool(keep) and Path(keep).exists()
    if keep:
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(Path(keep).resolve())
    elif connection.vendor == "sqlite":
        tmpdir = tempfile.TemporaryDirectory()
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(Path(tmpdir.name) / "bench.sqlite3")
    setup_test_environment()
    if reused:
        connection.close()
        connection.settings_dict["NAME"] = str(Path(keep).resolve())
        return Database(None, None, keep, True)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    return Database(old_name, tmpdir, keep, False)


def close_database(db):
    from django.db import connection

    if db.keep:
        connection.close()
        return
    connection.creation.destroy_test_db(db.old_name, verbosity=0)
    if db.tmpdir is not None:
        db.tmpdir.cleanup()
