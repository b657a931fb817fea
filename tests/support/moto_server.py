"""moto in server mode as a subprocess on a free loopback port; reset between tests."""

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port

ATTEMPTS = 3


@dataclass
class MotoServer:
    """A running moto server; `url` is its endpoint (what AWS_ENDPOINT_URL points at)."""

    url: str
    port: int
    process: subprocess.Popen
    log: Path

    def reset(self) -> None:
        """Forget every resource in every account (moto's `POST /moto-api/reset`)."""
        reset = f"{self.url}/moto-api/reset"
        request = urllib.request.Request(reset, method="POST", data=b"")  # noqa: S310 (loopback)
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            response.read()

    @contextmanager
    def checking_credentials(self) -> Iterator[None]:
        """Within the block, moto refuses keys it does not know (InvalidClientTokenId), like AWS."""
        previous = self._set_auth_count("0")
        try:
            yield
        finally:
            self._set_auth_count(previous)

    def _set_auth_count(self, count: str) -> str:
        # moto's server-mode switch: after `count` free requests, every request is authenticated.
        request = urllib.request.Request(  # noqa: S310 (loopback)
            f"{self.url}/moto-api/reset-auth",
            method="POST",
            data=count.encode(),
            headers={"Content-Type": "text/plain"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            return str(json.loads(response.read())["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"])

    def stop(self) -> None:
        """Stop the server process."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _server_env() -> dict[str, str]:
    # MOTO_ACCOUNT_ID would override the per-request account, breaking cross-account tests.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOTO_", "AWS_"))}
    env["AWS_ACCESS_KEY_ID"] = "testing"
    env["AWS_SECRET_ACCESS_KEY"] = "testing"
    return env


def start_moto() -> MotoServer:
    """Start `python -m moto.server` on 127.0.0.1 and wait until it answers."""
    log = Path(tempfile.mkstemp(prefix="dab-moto-", suffix=".log")[1])
    last_error: Exception | None = None
    for _ in range(ATTEMPTS):  # another process may grab the port between pick and bind
        port = free_port()
        with log.open("ab") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=_server_env(),
            )
        server = MotoServer(url=f"http://127.0.0.1:{port}", port=port, process=process, log=log)
        try:
            _wait_ready(server)
            return server
        except (TimeoutError, RuntimeError) as exc:
            last_error = exc
            server.stop()
    tail = log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"moto server did not start: {last_error}\n{tail}")


def _wait_ready(server: MotoServer, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError("moto server exited early")
        try:
            with urllib.request.urlopen(f"{server.url}/moto-api/", timeout=2):  # noqa: S310
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("moto server did not answer /moto-api/")
