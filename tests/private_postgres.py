"""A PostgreSQL server of a test's own (initdb and pg_ctl), so it can be restarted freely.

The shared server on 5432 serves every other test; this one lives in a temporary folder on
a free port and is gone afterwards. Run as the `postgres` user when the tests run as root
(PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sendbot.bench.bots import free_port


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's programs, or None if there are none."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


@dataclass(frozen=True)
class PrivatePostgres:
    """One running private server."""

    bin: Path
    data: Path
    port: int
    as_user: tuple[str, ...]

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of its `postgres` database."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def ctl(self, *args: str) -> None:
        """Run pg_ctl on this server."""
        command = [*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.data), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.ctl("-o", options, "-l", str(self.data / "server.log"), "-w", "start")

    def restart(self) -> None:
        """Stop at once (connections cut, as a crash or failover would) and start again."""
        self.ctl("-m", "immediate", "-w", "stop")
        self.start()

    def sql(self, statement: str) -> None:
        """Run one statement as the superuser, through psql."""
        command = [*self.as_user, str(self.bin / "psql"), "-h", "127.0.0.1", "-p",
                   str(self.port), "-U", "postgres", "-d", "postgres", "-c", statement]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True, timeout=60)


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """Create, start and finally remove a private PostgreSQL server."""
    programs = postgres_bin()
    if programs is None:
        raise RuntimeError("PostgreSQL's programs are not installed (/usr/lib/postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="sendbot-pg-"))
    as_user: tuple[str, ...] = ()
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(folder, account.pw_uid, account.pw_gid)
        as_user = ("runuser", "-u", "postgres", "--")
    data = folder / "data"
    server = PrivatePostgres(programs, data, free_port(), as_user)
    try:
        subprocess.run(
            [*as_user, str(programs / "initdb"), "-D", str(data), "-A", "trust", "-U",
             "postgres", "--no-sync", "-E", "UTF8"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        server.start()
        yield server
    finally:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            server.ctl("-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)
