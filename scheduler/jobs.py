"""The scheduler's jobs, each one pass of a workflow-level part over the rows that are due."""

from bot.context import Deps
from bot.lifecycle import Lifecycle
from scheduler.breakglass_overdue import OverdueReviews
from scheduler.expiry_warnings import ExpiryWarnings
from scheduler.pending import PendingRequests
from scheduler.reconcile import Reconciler
from scheduler.role_cleanup import RoleCleanup
from scheduler.sweeps import Sweeper
from scheduler.unused import UnusedAccess

STEPS, REVOKE, WARN, REQUESTS = "steps", "revoke", "warn", "requests"
RECONCILE, UNUSED = "reconcile", "unused"
ROLES = "roles"
REVIEWS = "breakglass_reviews"


class Jobs:
    """One instance of every part, sharing one lifecycle (step runner, revoker) over Deps."""

    def __init__(
        self, deps: Deps, *, iam_concurrency: int = 8, reconcile_spread: float = 0.0
    ) -> None:
        self.lifecycle = Lifecycle(deps)
        self.sweeper = Sweeper(deps, self.lifecycle, parallel=iam_concurrency)
        self.warnings = ExpiryWarnings(deps, self.lifecycle)
        self.pending = PendingRequests(deps, self.lifecycle)
        self.reconciler = Reconciler(
            deps, self.lifecycle, parallel=iam_concurrency, spread=reconcile_spread
        )
        self.unused = UnusedAccess(deps, self.lifecycle)
        self.roles = RoleCleanup(deps)
        self.reviews = OverdueReviews(deps, self.lifecycle)

    async def steps(self) -> None:
        """Run the durable steps that are due: grants to make, links and messages to send."""
        await self.lifecycle.steps.run_due()

    async def revoke(self) -> None:
        """Revoke due grants."""
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

    async def unused_roles(self) -> None:
        """Delete the per-user roles the bot created that nobody used for unused_after."""
        await self.roles.run()

    async def breakglass_reviews(self) -> None:
        """Re-post to the admins break-glass nobody reviewed in time."""
        await self.reviews.run()
