"""The SQLite ledger holds CNPs and addresses: created 0600 in a 0700 directory (and SQLite's -wal and
-shm with it, whatever the umask), and a warning, once, when an existing ledger is open to others."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from tests.conftest import FIXED_NOW, Cli

ACME = ("customers", "add", "--name", "Ion Popescu", "--email", "ion@popescu.ro", "--kind", "individual",
        "--cnp", "1800101221144")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_ledger_and_its_wal_and_shm_are_private_under_any_umask(tmp_path: Path) -> None:
    cli = Cli(home=tmp_path / "home", database_url=None, clock=lambda: FIXED_NOW, extra_env={})
    ledger = tmp_path / "home" / "data" / "praho" / "ledger.db"
    old = os.umask(0)  # the most permissive umask a process can have
    try:
        r = cli("db", "upgrade")
        assert (r.exit_code, "warning" in r.stderr) == (0, False), r.stderr
        assert cli(*ACME).exit_code == 0
        assert _mode(ledger) == 0o600
        assert _mode(ledger.parent) == 0o700 and _mode(ledger.parent.parent) == 0o700
        # While a connection is open the -wal and -shm files exist: they take the database file's mode.
        con = sqlite3.connect(ledger)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("UPDATE customers SET city = 'Cluj'")
            con.commit()
            assert _mode(Path(f"{ledger}-wal")) == 0o600 and _mode(Path(f"{ledger}-shm")) == 0o600
        finally:
            con.close()
    finally:
        os.umask(old)


def test_an_existing_ledger_open_to_others_draws_one_warning(cli) -> None:
    ledger = Path(cli.database_url.removeprefix("sqlite:///"))
    assert cli(*ACME).exit_code == 0
    assert cli("customers", "list").stderr == ""  # created by praho: private, no warning
    ledger.chmod(0o644)
    # SQLite gives -wal and -shm the database's mode, so while it is 0644 they are too (when present).
    start = f"warning: the ledger holds personal data (CNPs, addresses) but other users can read {ledger} (mode 0644)"
    for args in (("customers", "list"), ("invoices", "list", "-o", "json"), ("invoices", "list", "-o", "csv")):
        r = cli(*args)
        assert r.exit_code == 0, args
        assert r.stderr.startswith(start) and r.stderr.count("\n") == 1, (args, r.stderr)
        assert f"; make it private with: chmod go= {ledger}" in r.stderr
    for name in (ledger, Path(f"{ledger}-wal"), Path(f"{ledger}-shm")):
        if name.exists():
            name.chmod(0o600)
    assert cli("customers", "list").stderr == ""
    Path(f"{ledger}-shm").touch()
    Path(f"{ledger}-shm").chmod(0o604)
    r = cli("customers", "list")
    assert r.stderr.endswith(f"other users can read {ledger}-shm (mode 0604); make it private with: chmod go= "
                             f"{ledger}-shm\n")
