"""TLS endpoints whose certificate does not verify: an HTTPS server and a PostgreSQL with TLS."""

import ipaddress
import os
import pwd
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.postgres_server import PostgresServer, _run_as


@dataclass(frozen=True)
class KeyPair:
    """A PEM certificate and its private key on disk."""

    cert: Path
    key: Path


def self_signed(directory: Path, host: str = "127.0.0.1") -> KeyPair:
    """A self-signed certificate for host (valid and matching, but signed by no known CA)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    pair = KeyPair(cert=directory / "server.crt", key=directory / "server.key")
    pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pair.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pair.key.chmod(0o600)
    return pair


class HttpsServer:
    """An aiohttp HTTPS server on loopback presenting a self-signed certificate."""

    def __init__(self, pair: KeyPair) -> None:
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.load_cert_chain(pair.cert, pair.key)
        self._runner = web.AppRunner(web.Application())
        self.port = 0

    @property
    def url(self) -> str:
        """https://127.0.0.1:<port>"""
        return f"https://127.0.0.1:{self.port}"

    async def __aenter__(self) -> "HttpsServer":
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._context)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._runner.cleanup()


def enable_postgres_tls(server: PostgresServer, pair: KeyPair) -> None:
    """Turn TLS on in a running PostgreSQL with pair as its certificate (a reload, no restart)."""
    for source in (pair.cert, pair.key):
        target = server.datadir / source.name
        target.write_bytes(source.read_bytes())
        target.chmod(0o600)  # PostgreSQL refuses a key others can read
        user = _run_as()
        if user:
            entry = pwd.getpwnam(user)
            os.chown(target, entry.pw_uid, entry.pw_gid)
    server.psql(f"ALTER SYSTEM SET ssl_cert_file = '{pair.cert.name}'")
    server.psql(f"ALTER SYSTEM SET ssl_key_file = '{pair.key.name}'")
    server.psql("ALTER SYSTEM SET ssl = on")
    server.psql("SELECT pg_reload_conf()")
    deadline = time.monotonic() + 30
    while server.psql("SHOW ssl") != "on":  # the reload is asynchronous
        if time.monotonic() > deadline:
            raise TimeoutError("PostgreSQL did not turn TLS on")
        time.sleep(0.05)
