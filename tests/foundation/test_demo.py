"""`scripts/run --demo` keeps working: the sandbox conversation runs end to end."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_plays_the_whole_conversation() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "password: " in out  # the link decrypted to a login
    assert (
        "IAM has no role arn:aws:iam::123456789012:role/db-access/DatabasesRole_alice_smith" in out
    )
    assert (
        "the bot created arn:aws:iam::123456789012:role/db-access/DatabasesRole_alice_smith "
        "on first use" in out
    )
    assert '"managed-by": "db-access-bot"' in out
    assert "policies left on the role: []" in out
    assert "stopped on SIGTERM with exit code 0" in out
    assert "BREAK-GLASS access" in out and "took `rw` on `orders-prod` for 1h" in out
    assert "ada, an admin, got a DM at once: BREAK-GLASS" in out
    assert "the card now says: :white_check_mark: *Acknowledged* by <@U0APPROVER1>" in out
    assert "break-glass policies left on the role: []" in out
    # Part 3: a request that starts later, approved ahead; IAM holds its window; the link
    # comes at the start.
    assert "part 3: a scheduled start" in out
    assert '"DateGreaterThan"' in out and '"DateLessThan"' in out
    assert out.count("password: ") == 2
