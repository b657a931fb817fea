"""SecretShare on a PrivateBin server: burn-after-reading v2 pastes, encrypted on our side."""

import asyncio
import json
import re
from typing import Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from bot.errors import SecretShareError
from providers import privatebin_crypto

JSON_API_HEADERS = {"X-Requested-With": "JSONHttpRequest", "Accept": "application/json"}
PASTE_ID = re.compile(r"^[a-f0-9]{16}$")
PROBE_ID = "0" * 16
SHARE_FAILED = "The one-time link could not be created"
SHARE_RETRY = "Your access is active; press New token to try again."
MAX_SERVER_MESSAGE = 200


class PrivateBinShare:
    """Stores secrets as encrypted burn-after-reading pastes and returns `#-` confirm links."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self._request_url = _normalise(base_url)
        # Links and messages never carry user:password@ from a basic-auth PRIVATEBIN_URL.
        self.base_url = _without_credentials(self._request_url)
        self.timeout = timeout
        self._where = f"PrivateBin at {self.base_url.rstrip('/')}"
        self._session: aiohttp.ClientSession | None = None

    async def share(self, text: str, *, expire: str) -> str:
        """Store text encrypted, burn after reading; return the link."""
        paste = await asyncio.to_thread(privatebin_crypto.encrypt, text, expire=expire)
        answer = await self._call("POST", body=json.dumps(paste.body))
        paste_id = answer.get("id")
        if answer.get("status") != 0 or not PASTE_ID.match(str(paste_id)):
            self._fail(_refusal(self._where, answer))
        return f"{self.base_url}?{paste_id}#-{privatebin_crypto.b58encode(paste.key)}"

    async def ping(self) -> None:
        """Check that the server answers its JSON API (reads a paste id that cannot exist)."""
        answer = await self._call("GET", query=PROBE_ID, check=True)
        if not isinstance(answer.get("status"), int):
            self._fail(f"{self._where} answered JSON without a status", check=True)

    async def close(self) -> None:
        """Close the HTTP session, if one was opened."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(
        self, method: str, *, body: str | None = None, query: str | None = None, check: bool = False
    ) -> dict[str, Any]:
        """One JSON API request; every failure becomes a SecretShareError."""
        headers = dict(JSON_API_HEADERS)
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            async with self._client().request(
                method, self._request_url, params=query, data=body, headers=headers
            ) as resp:
                if resp.status >= 300:
                    self._fail(f"{self._where} answered HTTP {resp.status}", check=check)
                raw = await resp.read()
        except TimeoutError as exc:
            reason = f"{self._where} did not answer within {self.timeout:g} s"
            self._fail(reason, check=check, cause=exc)
        except aiohttp.ClientConnectorDNSError as exc:
            reason = f"the PrivateBin host {exc.host} could not be found in DNS"
            self._fail(reason, check=check, cause=exc)
        except aiohttp.ClientConnectorError as exc:
            refused = isinstance(exc.os_error, ConnectionRefusedError)
            reason = f"{self._where} {'refused the connection' if refused else 'is unreachable'}"
            self._fail(reason, check=check, cause=exc)
        except aiohttp.ClientError as exc:
            reason = f"{self._where} broke off the request ({type(exc).__name__})"
            self._fail(reason, check=check, cause=exc)
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            reason = f"{self._where} did not answer with PrivateBin JSON; check PRIVATEBIN_URL"
            self._fail(reason, check=check)
        return answer

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # trust_env: honour HTTPS_PROXY / NO_PROXY like the AWS SDK does in the same pod.
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout), trust_env=True
            )
        return self._session

    @staticmethod
    def _fail(reason: str, *, check: bool = False, cause: BaseException | None = None) -> NoReturn:
        if check:
            raise SecretShareError(f"PrivateBin check failed ({reason}).") from cause
        raise SecretShareError(f"{SHARE_FAILED} ({reason}). {SHARE_RETRY}") from cause


def _refusal(where: str, answer: dict[str, Any]) -> str:
    """Describe a status-1 (or otherwise unusable) answer, with the server's message capped."""
    message = answer.get("message")
    if answer.get("status") == 0:
        return f"{where} answered without a usable paste id"
    if not isinstance(message, str) or not message.strip():
        return f"{where} refused the paste"
    cleaned = "".join(ch if ch.isprintable() else " " for ch in message).strip()
    return f"{where} refused the paste: {cleaned[:MAX_SERVER_MESSAGE]}"


def _normalise(base_url: str) -> str:
    """http(s)://host[/path]/ with exactly one trailing slash and no query or fragment."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("PRIVATEBIN_URL must be an http:// or https:// URL")
    if parts.query or parts.fragment:
        raise ValueError("PRIVATEBIN_URL must not have a query or fragment")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + "/", "", ""))


def _without_credentials(url: str) -> str:
    """url without user:password@."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
