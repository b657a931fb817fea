"""The scheduler's jobs, each one pass of a workflow-level part over the rows that are due."""

from bot.context import Deps
from bot.expiry_warnings import ExpiryWarnings
from bot.granting import Granter
from bot.pending import PendingRequests
from bot.reconcile import Reconciler
from bot.recovery import Recovery
from bot.revoking import Revoker
from bot.sweeps import Sweeper
from bot.unused import UnusedAccess

REVOKE, WARN, REQUESTS, RECONCILE, UNUSED = "revoke", "warn", "requests", "reconcile", "unused"


class Jobs:
    """One instance of every part, sharing one Revoker and Granter over the same Deps."""

    def __init__(self, deps: Deps) -> None:
        revoker, granter = Revoker(deps), Granter(deps)
        recovery = Recovery(deps, granter=granter, revoker=revoker)
        self.sweeper = Sweeper(deps, revoker=revoker, recovery=recovery)
        self.warnings = ExpiryWarnings(deps)
        self.pending = PendingRequests(deps)
        self.reconciler = Reconciler(deps, recovery=recovery)
        self.unused = UnusedAccess(deps, revoker=revoker)

    async def revoke(self) -> None:
        """Revoke due grants (and finish half-made ones)."""
        await self.sweeper.run()

    async def warn(self) -> None:
        """Warn holders whose grants end soon."""
        await self.warnings.run()

    async def requests(self) -> None:
        """Remind approvers and expire undecided requests."""
        await self.pending.run()

    async def reconcile(self) -> None:
        """Compare IAM with the grants and fix the differences."""
        await self.reconciler.run()

    async def unused_access(self) -> None:
        """Notify about, then revoke, standing grants nobody uses."""
        await self.unused.run()
