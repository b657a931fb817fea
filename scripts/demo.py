"""A sandbox run of the real service: no Slack app, AWS account or PrivateBin needed.

    scripts/run --demo        (or: .venv/bin/python scripts/demo.py)

Starts, on loopback, the Slack emulator, moto (AWS) and a PrivateBin-compatible server from
the test suite, then runs the real `db-access-bot run` against them with a SQLite state store,
plays one conversation (request, approval, one-time link, revoke) and prints it, then a
break-glass (access at once, the loud card, the admins' DM, an approver's review), then a
request that starts later (approved ahead, its IAM window, the link at its start). Alice has no
IAM role when it starts: the bot creates it on her first grant (identity.provision).
"""

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from demo_aws import (  # noqa: E402
    ROLE,
    create_boundary,
    policy_names,
    role_state,
    with_role_provisioning,
)

START_IN = timedelta(seconds=12)  # long enough to approve ahead, short enough to wait for
LINK = re.compile(r"https?://[^\s>|\"]+/\?[0-9a-f]{16}#-[1-9A-HJ-NP-Za-km-z]+")

from bot.slack.actions import ActionId  # noqa: E402
from tests.support import aws_seed, catalogs  # noqa: E402
from tests.support.bot_process import BotProcess  # noqa: E402
from tests.support.harness import PEOPLE  # noqa: E402
from tests.support.moto_server import start_moto  # noqa: E402
from tests.support.pbin_reader import pbincli_read  # noqa: E402
from tests.support.ports import free_port, wait_for_port  # noqa: E402
from tests.support.slack_emulator import SlackEmulator  # noqa: E402


def say(text: str) -> None:
    """A line of the demo's own narration."""
    print(f"\n== {text}", flush=True)


async def conversation(emu: SlackEmulator, bot: BotProcess) -> None:
    """Alice asks, Bob approves, Alice reads her link, then revokes."""
    await asyncio.to_thread(bot.wait_health, 200, "/readyz", 60)
    say(f"the bot is up: /healthz {bot.health('/healthz')}, /readyz {bot.health('/readyz')}")
    say(await asyncio.to_thread(role_state))
    say("alice types: /db-access request orders-prod ro 1h investigating INC-42")
    await emu.slash_command("request orders-prod ro 1h investigating INC-42", user_id=catalogs.DEV)
    card = await emu.wait_for_call(
        "chat.postMessage", lambda c: c.params.get("channel") == catalogs.ORDERS_CHANNEL
    )
    request_id = re.search(
        r"Request `(r\w+)`", json.dumps(card.params["blocks"], ensure_ascii=False)
    ).group(1)
    say(f"bob clicks Approve on the card for {request_id} in <#{catalogs.ORDERS_CHANNEL}>")
    await emu.click(
        user_id=catalogs.APPROVER,
        action_id=ActionId.APPROVE,
        value=request_id,
        message=(catalogs.ORDERS_CHANNEL, card.response["ts"]),
    )
    dm = await emu.wait_for_call(
        "chat.postMessage",
        lambda c: bool(LINK.search(json.dumps(c.params.get("blocks") or []))),
        timeout=20,
    )
    link = LINK.search(json.dumps(dm.params["blocks"])).group(0)
    say(f"alice opens her one-time link {link.split('#')[0]}#-… (read by pbincli):")
    print(await asyncio.to_thread(pbincli_read, link))
    say(await asyncio.to_thread(role_state))
    policies = await asyncio.to_thread(aws_seed.inline_policies, ROLE)
    say(f"IAM now holds: {json.dumps(policies, indent=1)}")
    grant_id = next(iter(policies)).removeprefix("db-access-")
    say(f"alice types: /db-access revoke {grant_id}")
    await emu.slash_command(f"revoke {grant_id}", user_id=catalogs.DEV)
    for _ in range(80):
        if not await asyncio.to_thread(policy_names):
            break
        await asyncio.sleep(0.25)
    say(
        f"policies left on the role: {await asyncio.to_thread(policy_names)}. Everything Slack saw:"
    )
    print(emu.transcript())


def shown(blocks: list[dict]) -> str:
    """The text of a message's blocks, as a reader sees it (mrkdwn left as it is)."""
    lines = []
    for block in blocks:
        text = block.get("text") or {}
        if isinstance(text, dict) and text.get("text"):
            lines.append(text["text"])
        lines += [e.get("text", "") for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
        lines += [
            f"[{e['text']['text']}]" for e in block.get("elements", []) if e.get("type") == "button"
        ]
    return "\n".join(f"   | {line}" for text in lines for line in text.splitlines())


async def break_glass(emu: SlackEmulator, bot: BotProcess) -> None:
    """Part 2, break-glass: Alice takes rw at once; the card and Ada's DM say so; Bob reviews."""
    say(
        "part 2, break-glass. alice types: /db-access breakglass orders-prod rw 1h "
        "primary is down, INC-99"
    )
    since = len(emu.calls)
    await emu.slash_command(
        "breakglass orders-prod rw 1h primary is down, INC-99", user_id=catalogs.DEV
    )
    card = await emu.wait_for_call(
        "chat.postMessage",
        lambda c: (
            "BREAK-GLASS" in str(c.params.get("text"))
            and c.params.get("channel") == catalogs.ORDERS_CHANNEL
        ),
        since=since,
        timeout=20,
    )
    request_id = re.search(r"Request `(r\w+)`", json.dumps(card.params["blocks"])).group(1)
    where = (card.response["channel"], card.response["ts"])
    await emu.wait_for_call(
        "chat.postMessage",
        lambda c: bool(LINK.search(json.dumps(c.params.get("blocks") or []))),
        since=since,
        timeout=20,
    )
    await emu.wait_until(lambda: "Granted as" in json.dumps(emu.messages[where].blocks), timeout=20)
    say(f"no approval asked; alice's link is in her DMs. The card in <#{catalogs.ORDERS_CHANNEL}>:")
    print(shown(emu.messages[where].blocks))
    [alert] = emu.dms_to(catalogs.ADMIN)
    say(f"ada, an admin, got a DM at once: {alert.text}")
    say("bob, an approver, clicks Acknowledge on the card")
    await emu.click(
        user_id=catalogs.APPROVER,
        action_id=ActionId.BREAKGLASS_ACK,
        value=request_id,
        message=where,
    )
    await emu.wait_until(
        lambda: "Acknowledged" in json.dumps(emu.messages[where].blocks), timeout=20
    )
    review = next(b["text"]["text"] for b in emu.messages[where].blocks if "Acknowledged" in str(b))
    say(f"the card now says: {review}")
    grant_id = next(iter(await asyncio.to_thread(aws_seed.inline_policies, ROLE)))
    await emu.slash_command(f"revoke {grant_id.removeprefix('db-access-')}", user_id=catalogs.DEV)
    for _ in range(80):
        if not await asyncio.to_thread(policy_names):
            break
        await asyncio.sleep(0.25)
    say(
        f"alice revoked it when done; break-glass policies left on the role: "
        f"{await asyncio.to_thread(policy_names)}"
    )


async def scheduled_start(emu: SlackEmulator) -> None:
    """Part 3, a scheduled start: alice asks for access in a few seconds; bob approves ahead."""
    say("part 3: a scheduled start")
    start = (datetime.now(UTC) + START_IN).strftime("%Y-%m-%dT%H:%M:%SZ")
    line = f"request orders-prod ro 1h --at {start} nightly data fix"
    say(f"alice types: /db-access {line}")
    since = len(emu.calls)
    await emu.slash_command(line, user_id=catalogs.DEV)
    card = await emu.wait_for_call(
        "chat.postMessage",
        lambda c: c.params.get("channel") == catalogs.ORDERS_CHANNEL,
        since=since,
    )
    request_id = re.search(
        r"Request `(r\w+)`", json.dumps(card.params["blocks"], ensure_ascii=False)
    ).group(1)
    say(f"bob approves {request_id} ahead of its start")
    await emu.click(
        user_id=catalogs.APPROVER,
        action_id=ActionId.APPROVE,
        value=request_id,
        message=(catalogs.ORDERS_CHANNEL, card.response["ts"]),
    )
    prepared = await emu.wait_for_call(
        "chat.postMessage",
        lambda c: str(c.params.get("text")).startswith(":calendar:"),
        since=since,
    )
    say(f"alice reads: {prepared.params['text']}")
    policies = await asyncio.to_thread(aws_seed.inline_policies, ROLE)
    say(
        "IAM holds the window (nothing before the start, nothing after the end): "
        f"{json.dumps(policies, indent=1)}"
    )
    dm = await emu.wait_for_call(
        "chat.postMessage",
        lambda c: bool(LINK.search(json.dumps(c.params.get("blocks") or []))),
        since=since,
        timeout=60,
    )
    link = LINK.search(json.dumps(dm.params["blocks"])).group(0)
    say(f"at {start} the scheduler made it active and DMed alice a link; it reads:")
    print(await asyncio.to_thread(pbincli_read, link))


async def with_slack(env: dict[str, str], workdir: str) -> None:
    """Run the bot against the Slack emulator and play the conversation."""
    async with SlackEmulator() as emu:
        for user_id, (name, email) in PEOPLE.items():
            emu.add_user(user_id, name, email=email)
        emu.add_usergroup(catalogs.DBA_GROUP, [catalogs.APPROVER2])
        bot = BotProcess(
            env={**env, "SLACK_API_URL": emu.api_url}, log_path=Path(workdir, "bot.log")
        ).start()
        try:
            await conversation(emu, bot)
            await break_glass(emu, bot)
            await scheduled_start(emu)
        finally:
            bot.signal()
            code = await asyncio.to_thread(bot.wait, 15)
            say(f"db-access-bot stopped on SIGTERM with exit code {code}")


def main() -> int:
    """Start the sandbox, run the conversation, stop everything."""
    moto = start_moto()
    paste_port = free_port()
    pastebin = subprocess.Popen(
        [sys.executable, "-m", "tests.support.privatebin_server", "--port", str(paste_port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    aws = {
        "AWS_ENDPOINT_URL": moto.url,
        "AWS_ACCESS_KEY_ID": "demo",
        "AWS_SECRET_ACCESS_KEY": "demo",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    os.environ.update(aws)
    try:
        wait_for_port(paste_port)
        create_boundary()
        with tempfile.TemporaryDirectory(prefix="dab-demo-") as workdir:
            data = with_role_provisioning(catalogs.catalog_data())
            data["databases"]["orders-prod"].pop("admin")  # no real database to provision
            data["databases"]["orders-prod"]["verify_login"] = False  # nor to log in to
            data["databases"]["orders-prod"]["breakglass"] = {
                "users": [catalogs.DEV],
                "levels": ["rw"],
                "max_duration": "1h",
            }
            catalog = Path(workdir, "catalog.yaml")
            catalog.write_text(json.dumps(data))
            state = f"sqlite+aiosqlite:///{workdir}/state.sqlite3"
            subprocess.run(
                [sys.executable, "-m", "bot", "migrate"],
                check=True,
                cwd=ROOT,
                env={**os.environ, "DATABASE_URL": state},
                stdout=subprocess.DEVNULL,
            )
            env = {
                **aws,
                "SLACK_BOT_TOKEN": "xoxb-demo",
                "SLACK_APP_TOKEN": "xapp-demo",
                "SWEEP_INTERVAL": "1",  # the scheduled start is picked up within a second
                "DATABASE_URL": state,
                "DB_ACCESS_CATALOG": str(catalog),
                "PRIVATEBIN_URL": f"http://127.0.0.1:{paste_port}/",
            }
            asyncio.run(with_slack(env, workdir))
    finally:
        pastebin.terminate()
        moto.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
