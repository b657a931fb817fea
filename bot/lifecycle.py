"""The grant lifecycle's working parts over one Deps: the step runner, its handlers, the revoker."""

from bot.context import Deps
from bot.delivery import Delivery
from bot.domain import StepKind
from bot.extending import Extending
from bot.messaging import Messages
from bot.provisioning import Provisioning
from bot.revoking import Revoker
from bot.starting import Starting
from bot.steps import StepRunner


class Lifecycle:
    """Wires each step kind to its handler; the workflow and the scheduler each hold one."""

    def __init__(self, deps: Deps) -> None:
        self.steps = StepRunner(deps)
        self.revoker = Revoker(deps, self.steps)
        delivery = Delivery(deps)
        self.steps.handlers.update(
            {
                StepKind.PROVISION: Provisioning(deps, self.revoker, prepare=delivery.compose),
                StepKind.EXTEND: Extending(deps, self.revoker),
                StepKind.DELIVER: delivery,
                StepKind.MESSAGE: Messages(deps),
                StepKind.START: Starting(deps, self.revoker),
            }
        )
