"""A throwaway PostgreSQL cluster on a free loopback port (initdb into a temp dir)."""

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.ports import free_port

SEARCH_DIRS = [
    "/usr/lib/postgresql/17/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/15/bin",
    "/usr/local/bin",
    "/usr/bin",
]
UNPRIVILEGED = "nobody"
# The server log (datadir/server.log) names the user and database on every line, as RDS's
# prefix does, plus the application name, and records each connection.
LOG_SETTINGS = ("-c", "log_line_prefix=%m [%p] %q%u@%d [%a] ", "-c", "log_connections=on")


def _binary(name: str) -> str:
    for directory in SEARCH_DIRS:
        candidate = Path(directory, name)
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: install PostgreSQL (apt-get install postgresql)")
    return found


def _run_as() -> str | None:
    """PostgreSQL refuses to run as root; run it as an unprivileged user then."""
    return UNPRIVILEGED if os.geteuid() == 0 else None


@dataclass
class PostgresServer:
    """A running cluster; `dsn(db)` gives a libpq URL, `url(db)` a SQLAlchemy asyncpg URL."""

    port: int
    datadir: Path
    process: subprocess.Popen
    user: str = "postgres"
    options: Sequence[str] = field(default=())
    durable: bool = False

    @property
    def log_path(self) -> Path:
        """The server's log file (everything it writes to stderr)."""
        return self.datadir / "server.log"

    def log_text(self) -> str:
        """The server log so far."""
        return self.log_path.read_text(errors="replace")

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://{self.user}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run sql with psql and return its unaligned output."""
        out = subprocess.run(
            [
                _binary("psql"),
                "-X",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                self.user,
                "-d",
                database,
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip()

    def stop(self, mode: str = "fast") -> None:
        if self.process.poll() is None:
            subprocess.run(
                [_binary("pg_ctl"), "-D", str(self.datadir), "-m", mode, "-w", "stop"],
                user=_run_as(),
                check=False,
                capture_output=True,
            )
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def start_again(self) -> None:
        """Restart a stopped server on the same port and data directory."""
        self.process = _spawn(self.datadir, self.port, self.options, durable=self.durable)
        _wait_ready(self)


def _spawn(
    datadir: Path, port: int, options: Sequence[str] = (), *, durable: bool = False
) -> subprocess.Popen:
    # Tests skip fsync for speed; durable=True keeps PostgreSQL's defaults (benchmarks).
    fast = (
        []
        if durable
        else ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
    )
    with open(datadir / "server.log", "ab") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [
                _binary("postgres"),
                "-D",
                str(datadir),
                "-p",
                str(port),
                "-h",
                "127.0.0.1",
                "-k",
                str(datadir),
                *fast,
                "-c",
                "max_connections=300",
                *LOG_SETTINGS,
                *options,
            ],
            user=_run_as(),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def _wait_ready(server: PostgresServer, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            log = (server.datadir / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"postgres exited early:\n{log}")
        ready = subprocess.run(
            [_binary("pg_isready"), "-h", "127.0.0.1", "-p", str(server.port)], capture_output=True
        )
        if ready.returncode == 0:
            return
        time.sleep(0.1)
    raise TimeoutError("postgres did not become ready")


def start_postgres(options: Sequence[str] = (), *, durable: bool = False) -> PostgresServer:
    """initdb a fresh cluster into a temp dir and start it on a free port (options: `-c k=v`…)."""
    root = Path(tempfile.mkdtemp(prefix="dab-pg-"))
    datadir = root / "data"
    user = _run_as()
    if user:
        pw = pwd.getpwnam(user)
        os.chown(root, pw.pw_uid, pw.pw_gid)
    subprocess.run(
        [
            _binary("initdb"),
            "-D",
            str(datadir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
        ],
        user=user,
        check=True,
        capture_output=True,
    )
    server = PostgresServer(
        port=free_port(),
        datadir=datadir,
        process=None,  # type: ignore[arg-type]
        options=tuple(options),
        durable=durable,
    )
    server.process = _spawn(datadir, server.port, server.options, durable=durable)
    _wait_ready(server)
    return server


def destroy(server: PostgresServer) -> None:
    """Stop the server and remove its files."""
    server.stop("immediate")
    shutil.rmtree(server.datadir.parent, ignore_errors=True)
