"""Make the test PostgreSQL refuse one user's logins for a while, as RDS does while IAM catches up.

A `password` rule for that user (who has no password) in front of the `trust` rules makes the
server answer `password authentication failed` (28P01), the class of error RDS gives for a
token IAM does not accept yet (`PAM authentication failed`). Other users are unaffected. The
gate checks its own rule with a probe user of its own, so every logged attempt by `user` is the
bot's.
"""

import asyncio
import contextlib

import asyncpg

from tests.support.postgres_server import PostgresServer

PROBE = "login_gate_probe"


class LoginGate:
    """Refuses `user` on `dbname` until allowed (or until allow_after's time has passed)."""

    def __init__(self, server: PostgresServer, *, dbname: str, user: str) -> None:
        self._server, self._dbname, self._user = server, dbname, user
        self._path = server.datadir / "pg_hba.conf"
        self._original = self._path.read_text()
        self.opened: asyncio.Task[None] | None = None
        server.psql(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{PROBE}')"
            f" THEN CREATE ROLE {PROBE} LOGIN; END IF; END $$"
        )

    async def refuse(self) -> None:
        """Refuse from now on (returns once the server does)."""
        rule = f"host {self._dbname} {self._user},{PROBE} 127.0.0.1/32 password\n"
        self._path.write_text(rule + self._original)
        await self._reload(refused=True)

    async def allow(self) -> None:
        """Let the user in again (returns once the server does)."""
        self._path.write_text(self._original)
        await self._reload(refused=False)

    def allow_after(self, seconds: float) -> None:
        """Let the user in after a while, in the background."""

        async def later() -> None:
            await asyncio.sleep(seconds)
            await self.allow()

        self.opened = asyncio.ensure_future(later())

    async def close(self) -> None:
        """Put pg_hba.conf back as it was."""
        if self.opened is not None and not self.opened.done():
            self.opened.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.opened
        if self._path.read_text() != self._original:
            await self.allow()

    async def _reload(self, *, refused: bool) -> None:
        await asyncio.to_thread(self._server.psql, "SELECT pg_reload_conf()")
        for _ in range(100):  # the postmaster rereads the file when it gets to the signal
            if await self._refused() == refused:
                return
            await asyncio.sleep(0.05)
        raise TimeoutError("the server did not pick up the pg_hba.conf change")

    async def _refused(self) -> bool:
        try:
            conn = await asyncpg.connect(
                host="127.0.0.1",
                port=self._server.port,
                user=PROBE,
                database=self._dbname,
                password="probe",
            )
        except asyncpg.InvalidPasswordError:
            return True
        await conn.close()
        return False
