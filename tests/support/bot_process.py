"""Run the real `db-access-bot run` as a subprocess against the test servers."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class BotProcess:
    """A running bot; `health(path)` returns the HTTP status of a health endpoint."""

    env: dict[str, str]
    log_path: Path
    health_port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    def start(self) -> "BotProcess":
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DB_ACC"))},
            "PYTHONPATH": str(ROOT),
            "HEALTH_PORT": str(self.health_port),
            **self.env,
        }
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        return self

    def health(self, path: str = "/healthz") -> int:
        """Status code of GET path, or 0 when nothing answers."""
        url = f"http://127.0.0.1:{self.health_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            return 0

    def wait_health(self, status: int, path: str = "/healthz", timeout: float = 20) -> None:
        """Block until the endpoint answers status (or the process died)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"bot exited with {self.process.returncode}:\n{self.output()}")
            if self.health(path) == status:
                return
            time.sleep(0.1)
        raise AssertionError(f"{path} never returned {status}:\n{self.output()}")

    def signal(self, sig: int = signal.SIGTERM) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def wait(self, timeout: float = 15) -> int:
        assert self.process is not None
        code = self.process.wait(timeout=timeout)
        self.log.close()
        return code

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        if not self.log.closed:
            self.log.close()

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")[-5000:]


def offline_bot(emu_api_url: str, state_url: str, workdir: Path, *, token: str) -> BotProcess:
    """A bot on the base test catalog whose AWS and PrivateBin point at a closed port."""
    from tests.support.catalogs import BASE

    catalog = workdir / "catalog.yaml"
    catalog.write_text(json.dumps(BASE))  # JSON is YAML
    closed = "http://127.0.0.1:9"
    return BotProcess(
        env={
            "SLACK_BOT_TOKEN": f"xoxb-{token}",
            "SLACK_APP_TOKEN": f"xapp-{token}",
            "SLACK_API_URL": emu_api_url,
            "DATABASE_URL": state_url,
            "DB_ACCESS_CATALOG": str(catalog),
            "PRIVATEBIN_URL": closed,
            "AWS_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL": closed,
        },
        log_path=workdir / "bot.log",
    )
