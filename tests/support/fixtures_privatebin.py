"""Fixtures: a standalone PrivateBin test server per session; an in-process one per test."""

import json
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.ports import free_port, wait_for_port
from tests.support.privatebin_server import PrivateBinServer

REPO_ROOT = Path(__file__).resolve().parents[2]
# Loopback only: never route test traffic through an HTTP(S)_PROXY from the environment.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class PrivateBinProcess:
    """`python -m tests.support.privatebin_server` in a subprocess, controlled over HTTP."""

    url: str
    process: subprocess.Popen

    def stats(self) -> dict[str, Any]:
        """`count` of pastes ever created, `live` ids, and every stored body by id."""
        with _opener.open(self.url + "__test__/pastes", timeout=10) as resp:
            return json.load(resp)

    def paste_count(self) -> int:
        """How many pastes the server has accepted so far."""
        return int(self.stats()["count"])

    def fail_with(self, message: str) -> None:
        """The next paste POST answers status 1 with message."""
        self._control("fail", message=message)

    def stall(self, seconds: float) -> None:
        """Delay every API answer by seconds (0 to stop)."""
        self._control("stall", seconds=seconds)

    def advance(self, seconds: float) -> None:
        """Move the server clock forward."""
        self._control("advance", seconds=seconds)

    def _control(self, name: str, **body: Any) -> None:
        request = urllib.request.Request(  # noqa: S310 - our own http://127.0.0.1 URL
            self.url + f"__test__/{name}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with _opener.open(request, timeout=10):
            pass


@pytest.fixture(scope="session")
def privatebin_server() -> Iterator[PrivateBinProcess]:
    """A standalone PrivateBin-compatible server on a free loopback port for the session."""
    port = free_port()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.privatebin_server", "--port", str(port)],
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        try:
            try:
                wait_for_port(port, timeout=20)
            except TimeoutError:
                errors.seek(0)
                raise RuntimeError(
                    "privatebin test server did not start:\n"
                    + errors.read().decode(errors="replace")[-2000:]
                ) from None
            yield PrivateBinProcess(url=f"http://127.0.0.1:{port}/", process=process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
async def privatebin_inproc() -> AsyncIterator[PrivateBinServer]:
    """An in-process server on the test's loop, with fail_with / stall / advance controls."""
    server = PrivateBinServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
