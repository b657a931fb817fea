"""A throwaway MariaDB server with TLS on a free loopback port (install-db into a temp dir)."""

import datetime as dt
import ipaddress
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymysql
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.ports import free_port

SEARCH_DIRS = ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin", "/usr/local/mysql/bin"]
UNPRIVILEGED = "nobody"
# A second loopback address that clients do not treat as loopback, so they insist on TLS.
TLS_HOST = "127.0.0.2"


def _binary(*names: str) -> str:
    for name in names:
        for directory in SEARCH_DIRS:
            candidate = Path(directory, name)
            if candidate.exists():
                return str(candidate)
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(f"{names[0]} not found: install MariaDB (apt-get install mariadb-server)")


def _run_as() -> str | None:
    """mariadbd refuses to run as root without --user=root; run it as an unprivileged user."""
    return UNPRIVILEGED if os.geteuid() == 0 else None


@dataclass
class MariadbServer:
    """A running server; root logs in over TCP without a password, TLS is available."""

    port: int
    root: Path
    process: subprocess.Popen
    host: str = "127.0.0.1"
    tls_host: str = TLS_HOST
    user: str = "root"
    password: str = ""

    @property
    def socket(self) -> Path:
        return self.root / "mysqld.sock"

    @property
    def ca_file(self) -> Path:
        """The self-signed server certificate, for clients that verify it."""
        return self.root / "server-cert.pem"

    def sql(self, sql: str, database: str | None = None) -> list[tuple[Any, ...]]:
        """Run one statement as root and return its rows."""
        conn = pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            database=database,
            autocommit=True,
        )
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return list(cur.fetchall())
        finally:
            conn.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _write_certificate(root: Path) -> None:
    """A self-signed certificate for the loopback names, so REQUIRE SSL users can log in."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address(TLS_HOST)),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (root / "server-cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (root / "server-key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _chown_tree(root: Path, user: str) -> None:
    pw = pwd.getpwnam(user)
    for path in [root, *root.rglob("*")]:
        os.chown(path, pw.pw_uid, pw.pw_gid)


def _spawn(server: MariadbServer) -> subprocess.Popen:
    root = server.root
    # --no-defaults keeps /etc/mysql (system socket, datadir, bind address) out of the way.
    return subprocess.Popen(
        [
            _binary("mariadbd", "mysqld"),
            "--no-defaults",
            f"--datadir={root / 'data'}",
            f"--socket={server.socket}",
            f"--port={server.port}",
            f"--bind-address=127.0.0.1,{TLS_HOST}",
            f"--pid-file={root / 'mysqld.pid'}",
            f"--log-error={root / 'server.log'}",
            f"--tmpdir={root}",
            "--skip-name-resolve",
            "--innodb-buffer-pool-size=32M",
            "--innodb-flush-log-at-trx-commit=0",
            "--skip-log-bin",
            "--max-connections=200",
            f"--ssl-cert={root / 'server-cert.pem'}",
            f"--ssl-key={root / 'server-key.pem'}",
        ],
        user=_run_as(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_ready(server: MariadbServer, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            log = (server.root / "server.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"mariadbd exited early:\n{log}")
        try:
            server.sql("SELECT 1")
            return
        except pymysql.err.OperationalError as exc:
            last = exc
            time.sleep(0.1)
    raise TimeoutError(f"mariadbd did not become ready: {last}")


def start_mariadb() -> MariadbServer:
    """Install a fresh datadir into a temp dir and start mariadbd on a free port."""
    root = Path(tempfile.mkdtemp(prefix="dab-mariadb-"))
    _write_certificate(root)
    user = _run_as()
    if user:
        _chown_tree(root, user)
    # normal: root@localhost/127.0.0.1 without a password (no unix_socket plugin tie to root).
    install = subprocess.run(
        [
            _binary("mariadb-install-db", "mysql_install_db"),
            "--no-defaults",
            f"--datadir={root / 'data'}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
        ],
        user=user,
        capture_output=True,
        text=True,
        check=False,
    )
    if install.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"mariadb-install-db failed:\n{install.stdout}\n{install.stderr}")
    server = MariadbServer(port=free_port(), root=root, process=None)  # type: ignore[arg-type]
    server.process = _spawn(server)
    try:
        _wait_ready(server)
    except BaseException:
        destroy(server)
        raise
    return server


def destroy(server: MariadbServer) -> None:
    """Stop the server and remove its files."""
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)
