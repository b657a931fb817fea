"""What every failing CLI command must look like: one line, exit 2, no traceback, no secret."""

from tests.support.ports import free_port

PASSWORD = "Sup3r-s3cret-pw"  # a test value that must never be echoed
UNREADABLE = "not a url"


def refused_url() -> str:
    """A PostgreSQL URL on a loopback port nothing listens on."""
    return f"postgresql+asyncpg://bot:{PASSWORD}@127.0.0.1:{free_port()}/state"


def one_line(result, *expected: str) -> str:  # type: ignore[no-untyped-def]
    """The single stderr line of a failed command, checked for exit 2 and each expected part."""
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output, output
    assert PASSWORD not in output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, output
    for part in expected:
        assert part in lines[0], lines[0]
    return lines[0]
