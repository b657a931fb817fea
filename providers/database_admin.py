"""The DatabaseAdmin the workflow sees: one object that routes to the engine's admin."""

from typing import Protocol

from bot.catalog.database import DatabaseSpec, LevelSpec
from bot.domain import Engine, StatementLog
from bot.errors import DatabaseAdminError


class EngineAdmin(Protocol):
    """What each engine's admin (PostgresAdmin, MysqlAdmin) offers."""

    async def ensure_user(self, database: DatabaseSpec, *, db_user: str, level: LevelSpec) -> bool:
        """Create db_user for IAM auth if missing, give it the level's grants; True if created."""
        ...

    async def drop_user(self, database: DatabaseSpec, *, db_user: str) -> None:
        """Drop db_user if it exists."""
        ...

    async def terminate_sessions(self, database: DatabaseSpec, *, db_user: str) -> int:
        """End db_user's open sessions; return how many were ended."""
        ...

    async def log_statements(
        self, database: DatabaseSpec, *, db_user: str, setting: StatementLog
    ) -> str:
        """Make the server log db_user's statements as set (none resets); say what is logged."""
        ...

    async def ping(self, database: DatabaseSpec) -> None:
        """Log in as the admin and run SELECT 1."""
        ...


class DatabaseAdminRouter:
    """Implements providers.base.DatabaseAdmin by dispatching on database.engine."""

    def __init__(self, postgres: EngineAdmin, mysql: EngineAdmin) -> None:
        self._admins = {Engine.POSTGRES: postgres, Engine.MYSQL: mysql}

    def _admin(self, database: DatabaseSpec) -> EngineAdmin:
        admin = self._admins.get(database.engine)
        if admin is None:
            raise DatabaseAdminError(f"{database.name}: unsupported engine {database.engine!r}")
        return admin

    async def ensure_user(self, database: DatabaseSpec, *, db_user: str, level: LevelSpec) -> bool:
        """Create db_user for IAM auth if missing, give it the level's grants; True if created."""
        return await self._admin(database).ensure_user(database, db_user=db_user, level=level)

    async def drop_user(self, database: DatabaseSpec, *, db_user: str) -> None:
        """Drop db_user if it exists (undoing a grant that created it and then failed)."""
        await self._admin(database).drop_user(database, db_user=db_user)

    async def terminate_sessions(self, database: DatabaseSpec, *, db_user: str) -> int:
        """End db_user's open sessions; return how many were ended."""
        return await self._admin(database).terminate_sessions(database, db_user=db_user)

    async def log_statements(
        self, database: DatabaseSpec, *, db_user: str, setting: StatementLog
    ) -> str:
        """Make the server log db_user's statements as set (none resets); say what is logged."""
        return await self._admin(database).log_statements(
            database, db_user=db_user, setting=setting
        )

    async def ping(self, database: DatabaseSpec) -> None:
        """Log in as the admin of database and run SELECT 1 (for `check --online`)."""
        await self._admin(database).ping(database)
