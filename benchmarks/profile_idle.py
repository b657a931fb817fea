"""Where an idle `db-access-bot run` spends its CPU: py-spy over one reconcile interval.

    .venv/bin/pip install py-spy    # not a dependency of the bot or its tests
    .venv/bin/python -m benchmarks.profile_idle --grants 100000 [--interval 60] [--top 25]

Seeds the grants (20 a role, policies in IAM as in the idle benchmark step), starts the bot,
waits for its first reconciliation pass to end, then samples the process at 100 Hz for one
interval and prints the functions holding the most samples, inclusive and by themselves.
"""

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from benchmarks import footprint
from benchmarks.run import _aws_env, _state
from tests.support.bot_process import BotProcess
from tests.support.postgres_server import destroy, start_postgres


def summary(raw: Path, top: int) -> list[str]:
    """The busiest frames of a py-spy `--format raw` file: inclusive and self samples."""
    inclusive, own, total = Counter[str](), Counter[str](), 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames, n = stack.split(";"), int(count)
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    lines = [f"{total} samples (100 a second of CPU)", "", "inclusive:"]
    lines += [f"  {n:6d}  {frame}" for frame, n in inclusive.most_common(top)]
    lines += ["", "self:"] + [f"  {n:6d}  {frame}" for frame, n in own.most_common(top)]
    return lines


async def main(grants: int, interval: float, top: int) -> None:
    """Run the bot over the grants under py-spy and print the summary."""
    spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if spy is None:
        sys.exit("py-spy is not installed: .venv/bin/pip install py-spy")
    started: list[BotProcess] = []
    original = BotProcess.start

    def remember(self: BotProcess) -> BotProcess:
        started.append(self)
        return original(self)

    BotProcess.start = remember  # type: ignore[method-assign]
    first_pass = footprint._pass_number

    async def then_sample(log: Path, count: int, within: float) -> dict:
        found = await first_pass(log, count, within)
        if count == 1:
            pid = started[-1].process.pid  # type: ignore[union-attr]
            command = [
                spy,
                "record",
                "-p",
                str(pid),
                "-d",
                str(int(interval)),
                "-r",
                "100",
                "-f",
                "raw",
                "-o",
                str(raw),
                "--nonblocking",
            ]
            # Started and left running: py-spy stops itself after the interval.
            subprocess.Popen(  # noqa: ASYNC220
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        return found

    footprint._pass_number = then_sample  # type: ignore[assignment]
    postgres = start_postgres()
    try:
        with tempfile.TemporaryDirectory() as workdir:
            raw = Path(workdir) / "profile.txt"
            env = {k: v for k, v in _aws_env("").items() if k != "AWS_ENDPOINT_URL"}
            figures = await footprint.footprint(
                await _state(postgres),
                {**env, "PRIVATEBIN_URL": "http://127.0.0.1:9/"},
                Path(workdir),
                grants=grants,
                audit_rows=0,
                interval=interval,
            )
            await asyncio.sleep(2)  # py-spy writes its file when its duration ends
            print(figures)
            print("\n".join(summary(raw, top)))
    finally:
        destroy(postgres)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grants", type=int, default=100_000)
    parser.add_argument(
        "--interval",
        type=float,
        default=60.0,
        help="RECONCILE_INTERVAL of the profiled bot (the sampled window)",
    )
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    asyncio.run(main(args.grants, args.interval, args.top))
