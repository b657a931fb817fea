"""A real bot process on moto + PrivateBin + a state store, for the fault tests."""

import json
from dataclasses import dataclass
from pathlib import Path

from tests.support import aws_seed, catalogs
from tests.support.bot_process import BotProcess
from tests.support.catalogs import catalog_data
from tests.support.slack_emulator import SlackEmulator


@dataclass
class ProcessSetup:
    """Where the bot under test reads its world from."""

    env: dict[str, str]
    role_arn: str
    log_dir: Path

    def bot(self, name: str) -> BotProcess:
        """A new (not yet started) bot process with this setup."""
        return BotProcess(env=self.env, log_path=self.log_dir / f"{name}.log")


def process_setup(
    tmp_path: Path, emu: SlackEmulator, *, state_url: str, moto_url: str, privatebin_url: str
) -> ProcessSetup:
    """Seed moto with the user's role; write a catalog (resource id known, no admin)."""
    role_arn = aws_seed.create_role("DatabasesRole_alice_smith")
    data = catalog_data()
    data["databases"]["orders-prod"].pop("admin")
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(json.dumps(data))
    for user_id, (name, email) in {
        catalogs.DEV: ("alice", "alice.smith@example.com"),
        catalogs.APPROVER: ("bob", "bob@example.com"),
    }.items():
        emu.add_user(user_id, name, email=email)
    emu.add_usergroup(catalogs.DBA_GROUP, [])
    env = {
        "SLACK_BOT_TOKEN": "xoxb-fault",
        "SLACK_APP_TOKEN": "xapp-fault",
        "SLACK_API_URL": emu.api_url,
        "DATABASE_URL": state_url,
        "DB_ACCESS_CATALOG": str(catalog),
        "PRIVATEBIN_URL": privatebin_url,
        "SWEEP_INTERVAL": "1",
        "RECONCILE_INTERVAL": "3",
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return ProcessSetup(env=env, role_arn=role_arn, log_dir=tmp_path)
