"""PrivateBinShare against real PrivateBin-compatible servers, read back by pbincli."""

import asyncio
import base64
import logging
import os
import re
import secrets
import time
from urllib.parse import urlsplit

import base58
import pytest

from bot.errors import SecretShareError
from providers.privatebin import PrivateBinShare
from providers.privatebin_crypto import b58encode
from tests.support.fixtures_privatebin import PrivateBinProcess
from tests.support.pbin_reader import pbincli_get, pbincli_read
from tests.support.ports import free_port
from tests.support.privatebin_server import GENERIC_ERROR, PrivateBinServer

UNICODE_TEXT = (
    "host: orders.abc.eu-west-1.rds.amazonaws.com\nport: 5432\n"
    "token: Ünïcødé ✓ 🔑 ключ 鍵\n"
    "psql 'host=orders… user=alice_ro sslmode=verify-full'\n"
)
LARGE_TEXT = "".join(f"line {i:04d}: {secrets.token_urlsafe(30)}\n" for i in range(85))
KEY_LIKE = re.compile(r"[1-9A-HJ-NP-Za-km-z]{40,}|[A-Za-z0-9+/]{43}=")


def secret_text() -> str:
    """A fresh secret that must never show up in an error."""
    return f"TOKEN-{secrets.token_hex(24)}"


def assert_safe(error: BaseException, *secrets_: str) -> None:
    """Neither the message nor its cause chain carries a secret or anything key-like."""
    texts = []
    current: BaseException | None = error
    while current is not None:
        texts += [str(current), repr(current)]
        current = current.__cause__
    for text in texts:
        for secret in secrets_:
            assert secret not in text
        assert not KEY_LIKE.search(text), text


@pytest.mark.parametrize("text", [UNICODE_TEXT, LARGE_TEXT], ids=["unicode", "4kb"])
async def test_pbincli_decrypts_then_paste_is_burned(
    privatebin_server: PrivateBinProcess, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    before = privatebin_server.paste_count()
    client = PrivateBinShare(privatebin_server.url)
    try:
        link = await client.share(text, expire="10min")
    finally:
        await client.close()

    link_form = re.escape(privatebin_server.url) + r"\?([a-f0-9]{16})#-([1-9A-HJ-NP-Za-km-z]+)"
    match = re.fullmatch(link_form, link)
    assert match, "link must be <base>/?<id>#-<base58 key>"
    paste_id, key = match.groups()
    assert len(base58.b58decode(key)) == 32
    stats = privatebin_server.stats()
    assert stats["count"] == before + 1
    assert paste_id in stats["live"]
    assert await asyncio.to_thread(pbincli_read, link) == text
    second = await asyncio.to_thread(pbincli_get, link)
    assert second == {"status": 1, "message": GENERIC_ERROR}
    assert paste_id not in privatebin_server.stats()["live"]
    assert text not in caplog.text and key not in caplog.text


async def test_stored_body_follows_the_v2_format(privatebin_inproc: PrivateBinServer) -> None:
    client = PrivateBinShare(privatebin_inproc.url)
    try:
        link = await client.share(secret_text(), expire="5min")
    finally:
        await client.close()
    paste_id = urlsplit(link).query
    body = privatebin_inproc.pastes[paste_id]
    assert list(body) == ["v", "adata", "ct", "meta"]
    assert body["v"] == 2
    assert body["meta"] == {"expire": "5min"}
    spec, formatter, discussion, burn = body["adata"]
    iv, salt, *params = spec
    assert params == [100000, 256, 128, "aes", "gcm", "zlib"]
    assert (formatter, discussion, burn) == ("plaintext", 0, 1)
    assert len(base64.b64decode(iv, validate=True)) == 16
    assert len(base64.b64decode(salt, validate=True)) == 8
    assert len(base64.b64decode(body["ct"], validate=True)) > 16


async def test_concurrent_shares_get_distinct_readable_links(
    privatebin_server: PrivateBinProcess,
) -> None:
    texts = [secret_text() for _ in range(5)]
    client = PrivateBinShare(privatebin_server.url.rstrip("/"))
    try:
        links = await asyncio.gather(*(client.share(t, expire="10min") for t in texts))
    finally:
        await client.close()
    assert len(set(links)) == 5
    assert all(link.startswith(privatebin_server.url + "?") for link in links)
    # pbincli's pure-Python PBKDF2 takes seconds; decrypt one, fetch the others.
    assert await asyncio.to_thread(pbincli_read, links[-1]) == texts[-1]
    for link in links[:-1]:
        assert (await asyncio.to_thread(pbincli_get, link))["status"] == 0


async def test_expiry_is_honoured(privatebin_inproc: PrivateBinServer) -> None:
    client = PrivateBinShare(privatebin_inproc.url)
    try:
        short = await client.share(secret_text(), expire="5min")
        longer = await client.share(text := secret_text(), expire="10min")
    finally:
        await client.close()
    privatebin_inproc.advance(301)
    with pytest.raises(LookupError, match="does not exist"):
        await asyncio.to_thread(pbincli_read, short)
    assert await asyncio.to_thread(pbincli_read, longer) == text


def test_base_url_is_normalised_and_nothing_happens_at_construction() -> None:
    assert PrivateBinShare("https://paste.example.com").base_url == "https://paste.example.com/"
    assert PrivateBinShare("https://x.example/pb//").base_url == "https://x.example/pb/"
    basic_auth = PrivateBinShare("https://bot:hunter2@paste.example.com:8443/pb")
    assert basic_auth.base_url == "https://paste.example.com:8443/pb/"
    with pytest.raises(ValueError, match="http"):
        PrivateBinShare("paste.example.com")


async def test_close_without_use_and_reuse_after_close(privatebin_inproc: PrivateBinServer) -> None:
    client = PrivateBinShare(privatebin_inproc.url)
    await client.close()
    await client.share(secret_text(), expire="5min")
    await client.close()
    await client.share(secret_text(), expire="5min")
    await client.close()
    assert len(privatebin_inproc.pastes) == 2


async def test_connection_refused_is_a_clear_error() -> None:
    port = free_port()
    client = PrivateBinShare(f"http://127.0.0.1:{port}")
    text = secret_text()
    with pytest.raises(SecretShareError) as caught:
        await client.share(text, expire="10min")
    await client.close()
    message = str(caught.value)
    assert message.startswith("The one-time link could not be created")
    assert f"PrivateBin at http://127.0.0.1:{port} refused the connection" in message
    assert "press New token" in message
    assert_safe(caught.value, text)


async def test_stalled_server_times_out(privatebin_inproc: PrivateBinServer) -> None:
    privatebin_inproc.stall(5)
    client = PrivateBinShare(privatebin_inproc.url, timeout=0.5)
    text = secret_text()
    started = time.monotonic()
    with pytest.raises(SecretShareError, match=r"did not answer within 0\.5 s") as caught:
        await client.share(text, expire="10min")
    await client.close()
    assert time.monotonic() - started < 3
    assert_safe(caught.value, text)


async def test_status_1_carries_the_server_message(privatebin_inproc: PrivateBinServer) -> None:
    privatebin_inproc.fail_with("Please wait 10 seconds between each post.")
    client = PrivateBinShare(privatebin_inproc.url)
    text = secret_text()
    refusal = "refused the paste: Please wait 10 seconds"
    with pytest.raises(SecretShareError, match=refusal) as caught:
        await client.share(text, expire="10min")
    assert_safe(caught.value, text)
    assert await client.share(text, expire="10min")  # only the next POST fails
    await client.close()


async def test_standalone_server_controls(privatebin_server: PrivateBinProcess) -> None:
    before = privatebin_server.paste_count()
    privatebin_server.fail_with("Error saving paste. Sorry.")
    client = PrivateBinShare(privatebin_server.url)
    try:
        with pytest.raises(SecretShareError, match="Error saving paste"):
            await client.share(secret_text(), expire="10min")
        await client.share(secret_text(), expire="10min")
    finally:
        await client.close()
    assert privatebin_server.paste_count() == before + 1


@pytest.mark.parametrize(
    ("status", "reason"), [(502, "answered HTTP 502"), (200, "did not answer with PrivateBin JSON")]
)
async def test_non_privatebin_answers_are_clear_errors(
    privatebin_inproc: PrivateBinServer, status: int, reason: str
) -> None:
    privatebin_inproc.proxy_error(status)
    client = PrivateBinShare(privatebin_inproc.url)
    text = secret_text()
    with pytest.raises(SecretShareError, match=reason) as caught:
        await client.share(text, expire="10min")
    await client.close()
    assert_safe(caught.value, text)


async def test_unresolvable_host_is_a_clear_error() -> None:
    client = PrivateBinShare("https://privatebin.invalid/", timeout=3)
    text = secret_text()
    with pytest.raises(SecretShareError, match="could not be created") as caught:
        await client.share(text, expire="10min")
    await client.close()
    assert_safe(caught.value, text)


async def test_ping(privatebin_server: PrivateBinProcess) -> None:
    client = PrivateBinShare(privatebin_server.url)
    await client.ping()
    await client.close()
    dead = PrivateBinShare(f"http://127.0.0.1:{free_port()}/")
    with pytest.raises(SecretShareError, match="PrivateBin check failed"):
        await dead.ping()
    await dead.close()


async def test_pbkdf2_runs_off_the_event_loop(privatebin_inproc: PrivateBinServer) -> None:
    client = PrivateBinShare(privatebin_inproc.url)
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.001)

    try:
        await client.share("warm-up", expire="5min")  # session and keep-alive connection exist
        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        started = time.monotonic()
        await client.share(secret_text(), expire="5min")
        task.cancel()
    finally:
        await client.close()
    posted = privatebin_inproc.post_times[-1]
    # Between the call and the POST reaching the server there is only the key derivation
    # and encryption; on the loop they would leave no room for a single tick.
    assert len([t for t in ticks if started < t < posted]) >= 5


def test_b58encode_matches_the_bitcoin_alphabet() -> None:
    for data in [os.urandom(32), b"\0\0" + os.urandom(30), b"\0" * 32, b""]:
        assert b58encode(data) == base58.b58encode(data).decode()
