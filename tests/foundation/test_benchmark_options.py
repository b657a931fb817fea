"""The benchmark writes the committed report only when told to."""

import tempfile
from pathlib import Path

from benchmarks.run import ROOT, options

REPORT = ROOT / "benchmarks" / "REPORT.md"


def test_default_report_goes_to_a_new_temporary_file() -> None:
    before = REPORT.read_bytes()
    first, second = options([]), options(["--scale", "quick"])
    try:
        for chosen in (first, second):
            assert chosen.out.resolve() != REPORT.resolve()
            assert chosen.out.parent == Path(tempfile.gettempdir())
            assert ROOT not in chosen.out.resolve().parents
        assert first.out != second.out  # an earlier trial report is not overwritten either
    finally:
        first.out.unlink(missing_ok=True)
        second.out.unlink(missing_ok=True)
    assert REPORT.read_bytes() == before


def test_committed_report_is_updated_when_named() -> None:
    chosen = options(["--out", "benchmarks/REPORT.md", "--only", "link"])
    assert chosen.out == Path("benchmarks/REPORT.md")
    assert chosen.steps == ["link"]


def test_real_latency_adds_its_step() -> None:
    loopback, real = options(["--out", "x.md"]), options(["--out", "x.md", "--latency", "real"])
    assert "link_real" not in loopback.steps
    assert real.steps[-1] == "link_real"
