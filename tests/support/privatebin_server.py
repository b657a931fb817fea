"""A PrivateBin-compatible JSON API server (v2 pastes) for tests, in-process or standalone."""

import argparse
import asyncio
import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import re
import secrets
import signal
import time
import zlib
from typing import Any

from aiohttp import web

GENERIC_ERROR = "Paste does not exist, has expired or has been deleted."
INVALID = "Invalid data."
EXPIRE_OPTIONS = {
    "5min": 300,
    "10min": 600,
    "1hour": 3600,
    "1day": 86400,
    "1week": 604800,
    "1month": 2592000,
    "1year": 31536000,
    "never": 0,
}
DEFAULT_EXPIRE = "1week"
SIZE_LIMIT = 10 * 1024 * 1024
PASTE_ID = re.compile(r"^[a-f0-9]{16}$")
PAGE = "<!DOCTYPE html><html><head><title>PrivateBin</title></head><body></body></html>"


class PrivateBinServer:
    """In-memory PrivateBin; `pastes` keeps every accepted body by id, even after burning."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.pastes: dict[str, dict[str, Any]] = {}
        self.post_times: list[float] = []
        self._live: dict[str, dict[str, Any]] = {}
        self._fail_message: str | None = None
        self._raw_answer: tuple[int, str] | None = None
        self._stall = 0.0
        self._clock_offset = 0.0
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """Base URL with a trailing slash, as PrivateBin is usually configured."""
        return f"http://{self.host}:{self.port}/"

    def fail_with(self, message: str) -> None:
        """The next paste POST answers `{"status": 1, "message": message}`."""
        self._fail_message = message

    def proxy_error(self, status: int = 502, body: str = "<html>Bad Gateway</html>") -> None:
        """The next API request gets a non-JSON answer, as from a broken reverse proxy."""
        self._raw_answer = (status, body)

    def stall(self, seconds: float) -> None:
        """Delay every API answer by seconds (0 to stop stalling)."""
        self._stall = seconds

    def advance(self, seconds: float) -> None:
        """Move the server clock forward, so pastes expire without waiting."""
        self._clock_offset += seconds

    def live_ids(self) -> list[str]:
        """Ids of pastes that can still be read."""
        return list(self._live)

    async def start(self) -> None:
        """Listen on host:port (port 0 picks a free one) on the running loop."""
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/", self._api)
        app.router.add_get("/__test__/pastes", self._stats)
        app.router.add_post("/__test__/{control}", self._control)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop listening; stalled answers are released at once."""
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _now(self) -> float:
        return time.time() + self._clock_offset

    async def _api(self, request: web.Request) -> web.StreamResponse:
        if not _is_json_api(request):
            return web.Response(text=PAGE, content_type="text/html")
        if request.method == "POST":
            self.post_times.append(time.monotonic())
        if self._stall:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._stall)
        if self._raw_answer is not None:
            (status, body), self._raw_answer = self._raw_answer, None
            return web.Response(status=status, text=body, content_type="text/html")
        if request.method in ("POST", "PUT", "DELETE"):
            try:
                data = json.loads(await request.read())
            except ValueError:
                data = {}
            return web.json_response(self._post(data if isinstance(data, dict) else {}))
        query = request.query
        if query.get("pasteid") and query.get("deletetoken"):
            return web.json_response(self._delete(query["pasteid"], query["deletetoken"]))
        paste_id = next((key for key, value in query.items() if not value), "")
        return web.json_response(self._read(paste_id))

    def _post(self, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("pasteid") and data.get("deletetoken"):
            return self._delete(str(data["pasteid"]), str(data["deletetoken"]))
        if self._fail_message is not None:
            message, self._fail_message = self._fail_message, None
            return {"status": 1, "message": message}
        if not _valid_paste(data):
            return {"status": 1, "message": INVALID}
        paste_id = secrets.token_hex(8)
        salt = secrets.token_bytes(32)
        expire = data["meta"]["expire"]
        seconds = EXPIRE_OPTIONS.get(expire, EXPIRE_OPTIONS[DEFAULT_EXPIRE])
        now = self._now()
        self.pastes[paste_id] = data
        self._live[paste_id] = {
            "data": data,
            "salt": salt,
            "created": int(now),
            "expire_date": now + seconds if seconds else None,
        }
        return {
            "status": 0,
            "id": paste_id,
            "url": f"/?{paste_id}",
            "deletetoken": _delete_token(paste_id, salt),
        }

    def _read(self, paste_id: str) -> dict[str, Any]:
        if not PASTE_ID.match(paste_id):
            return {"status": 1, "message": "Invalid paste ID."}
        record = self._live.get(paste_id)
        if record is None:
            return {"status": 1, "message": GENERIC_ERROR}
        meta: dict[str, Any] = {"created": record["created"]}
        if record["expire_date"] is not None:
            if record["expire_date"] < self._now():
                del self._live[paste_id]
                return {"status": 1, "message": GENERIC_ERROR}
            meta["time_to_live"] = int(record["expire_date"] - self._now())
        data = record["data"]
        if data["adata"][3] == 1:
            del self._live[paste_id]
        return {
            "status": 0,
            "id": paste_id,
            "url": f"/?{paste_id}",
            "v": data["v"],
            "adata": data["adata"],
            "ct": data["ct"],
            "meta": meta,
            "comments": [],
            "comment_count": 0,
            "comment_offset": 0,
            "@context": "?jsonld=paste",
        }

    def _delete(self, paste_id: str, token: str) -> dict[str, Any]:
        record = self._live.get(paste_id)
        if record is None:
            return {"status": 1, "message": GENERIC_ERROR}
        if not hmac.compare_digest(_delete_token(paste_id, record["salt"]), token):
            return {"status": 1, "message": "Wrong deletion token. Paste was not deleted."}
        del self._live[paste_id]
        return {"status": 0, "id": paste_id, "url": f"/?{paste_id}"}

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"count": len(self.pastes), "live": self.live_ids(), "pastes": self.pastes}
        )

    async def _control(self, request: web.Request) -> web.Response:
        body = await request.json()
        control = request.match_info["control"]
        if control == "fail":
            self.fail_with(str(body["message"]))
        elif control == "proxy_error":
            self.proxy_error(int(body.get("status", 502)))
        elif control == "stall":
            self.stall(float(body["seconds"]))
        elif control == "advance":
            self.advance(float(body["seconds"]))
        else:
            raise web.HTTPNotFound()
        return web.json_response({"ok": True})


def _is_json_api(request: web.Request) -> bool:
    """PrivateBin answers JSON only to this header (or an Accept that prefers JSON)."""
    accept = request.headers.get("Accept", "")
    return request.headers.get("X-Requested-With") == "JSONHttpRequest" or (
        "application/json" in accept and "text/html" not in accept
    )


def _delete_token(paste_id: str, salt: bytes) -> str:
    return hmac.new(salt, paste_id.encode(), hashlib.sha256).hexdigest()


def _b64(value: object) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True) or None
    except (binascii.Error, ValueError):
        return None


def _valid_paste(data: dict[str, Any]) -> bool:
    """The checks of PrivateBin's FormatV2::isValid and Paste::_validate, for pastes."""
    if set(data) != {"v", "adata", "ct", "meta"}:
        return False
    adata, meta = data["adata"], data["meta"]
    if not (
        isinstance(adata, list)
        and len(adata) == 4
        and isinstance(adata[0], list)
        and len(adata[0]) == 8
    ):
        return False
    iv, salt, iterations, key_bits, tag_bits, algo, mode, compression = adata[0]
    ct = _b64(data["ct"])
    version = data["v"]
    checks = [
        _b64(iv) is not None and len(iv) <= 24,
        _b64(salt) is not None and len(salt) <= 14,
        ct is not None and len(data["ct"]) <= SIZE_LIMIT,
        type(version) in (int, float) and version >= 2,
        type(iterations) is int and iterations > 10000,
        key_bits in (128, 192, 256) and tag_bits in (64, 96, 128),
        algo == "aes" and mode in ("ctr", "cbc", "gcm"),
        compression in ("zlib", "rawdeflate", "none"),
        adata[1] in ("plaintext", "syntaxhighlighting", "markdown"),
        type(adata[2]) is int and adata[2] in (0, 1),
        type(adata[3]) is int and adata[3] in (0, 1) and not (adata[2] == 1 == adata[3]),
        isinstance(meta, dict) and set(meta) == {"expire"} and isinstance(meta["expire"], str),
    ]
    if not all(checks):
        return False
    # PrivateBin refuses "encrypted" data that compresses, i.e. plaintext sent by mistake.
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return len(ct) <= len(compressor.compress(ct) + compressor.flush())


async def _serve(host: str, port: int) -> None:
    server = PrivateBinServer(host=host, port=port)
    await server.start()
    print(f"privatebin test server listening on {server.url}", flush=True)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, done.set)
    await done.wait()
    await server.stop()


def main() -> None:
    """Run the server until SIGTERM: `python -m tests.support.privatebin_server --port N`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(_serve(args.host, args.port))


if __name__ == "__main__":
    main()
