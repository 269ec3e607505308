"""A real PostgreSQL cluster for the tests, made with Debian's own binaries: `initdb` in a
temporary folder, the server on a free loopback port and a private socket folder, stopped at
the end. Nothing is mocked and nothing of the machine's own clusters is touched.

PostgreSQL refuses to run as root; as root the cluster is made and run as the `postgres` user
that Debian's package creates (`runuser`), in a folder that user owns.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ADMIN = "twin_admin"
"""The cluster's bootstrap superuser (the tests' set-up only; the twin never connects as one)."""


def pg_bin() -> Path | None:
    """The folder of PostgreSQL's server binaries (Debian keeps them out of PATH), newest
    version first."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgCluster:
    """``initdb`` + ``pg_ctl start`` on a free port; :attr:`url` is the admin's connection."""

    def __init__(self) -> None:
        binary = pg_bin()
        if binary is None:
            raise RuntimeError(
                "PostgreSQL is not installed: run `make test` (it installs it) or apt-get install "
                "postgresql."
            )
        self.bin = binary
        self.root = Path(tempfile.mkdtemp(prefix="twin-pg-"))
        self.data = self.root / "data"
        self.sock = self.root / "sock"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        self.sock.mkdir()
        if self.as_root:
            os.chmod(self.root, 0o755)
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.sock, "postgres", "postgres")
        # passwords over TCP (scram-sha-256), as on a real server; the suite's own in a
        # password file of its own (PGPASSFILE), as an operator's ~/.pgpass would hold them
        self.passfile = Path(tempfile.mkdtemp(prefix="twin-pgpass-")) / "pgpass"
        self.passfile.touch(mode=0o600)
        os.environ["PGPASSFILE"] = str(self.passfile)
        pwfile = self.root / "admin.pw"
        pwfile.write_text("admin-" + secrets.token_hex(8) + "\n")
        if self.as_root:
            shutil.chown(pwfile, "postgres", "postgres")
        self.add_password(ADMIN, pwfile.read_text().strip())
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            ADMIN,
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            f"--pwfile={pwfile}",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        self.start()

    def _run(self, tool: str, *args: str, timeout: float = 120) -> None:
        cmd = [str(self.bin / tool), *args]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError(f"{tool} failed: {r.stderr[-800:] or r.stdout[-800:]}")

    @property
    def url(self) -> str:
        return f"postgresql://{ADMIN}@127.0.0.1:{self.port}/postgres"

    def add_password(self, user: str, password: str) -> None:
        """Let the suite sign in as ``user`` (a line of the password file)."""
        with open(self.passfile, "a", encoding="utf-8") as fh:
            fh.write(f"127.0.0.1:*:*:{user}:{password}\n")

    def database(self, name: str, owner: str = "twin_owner") -> str:
        """A database ``name`` owned by ``owner``, an ordinary role (not a superuser) that may
        create roles: what a DBA gives the twin. Returns the owner's URL."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (owner,)).fetchone():
                password = "owner-" + secrets.token_hex(8)
                conn.execute(f"CREATE ROLE \"{owner}\" LOGIN CREATEROLE PASSWORD '{password}'")
                self.add_password(owner, password)
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
        return f"postgresql://{owner}@127.0.0.1:{self.port}/{name}"

    def start(self) -> None:
        opts = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.sock} -c fsync=off "
            "-c max_connections=60"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.log), "-w", "start")
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"PostgreSQL did not listen: {self.log.read_text()[-800:]}")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", timeout=60)
        except (RuntimeError, subprocess.TimeoutExpired):
            pass

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.passfile.parent, ignore_errors=True)
