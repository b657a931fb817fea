"""Every error the bot raises on purpose; each message is safe to show a user.

DbAccessError                 base; str(e) never contains a secret
├── CatalogError              the catalog file is invalid (.problems lists every one)
├── InputError                a user typed or picked something we cannot accept
├── IdentityError             a Slack user cannot be mapped to an AWS principal
├── NotAuthorized             the actor may not do this
├── NotFound                  no such request or grant
├── AlreadyDecided            the request left the pending state before this click
├── StateUnavailable          the state store cannot be reached right now
├── SetupError                a command cannot run: a setting or the state store needs fixing
└── ProviderError             an outside system failed
    ├── AwsError              IAM, STS, RDS or Secrets Manager
    │   └── PolicyBudgetExceeded  the principal's inline-policy quota would be exceeded
    ├── SecretShareError      PrivateBin could not store the link
    ├── DatabaseAdminError    the admin connection or a statement failed
    ├── LoginCheckError       logging in as the user with a fresh token failed
    ├── SlackError            a Slack Web API call failed
    └── OnCallError           PagerDuty could not say who is on call
"""


class DbAccessError(Exception):
    """Base of all expected errors; the message is written for the person who sees it."""

    @property
    def user_message(self) -> str:
        """The text to show in Slack or on the command line."""
        return str(self)


class CatalogError(DbAccessError):
    """The catalog is invalid; every problem names its key path and the fix."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        count = len(problems)
        header = f"catalog has {count} problem{'s' if count != 1 else ''}"
        super().__init__(header + ":\n" + "\n".join(f"  - {p}" for p in problems))


class InputError(DbAccessError):
    """Bad user input; `field` names the modal block it belongs to, when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class IdentityError(DbAccessError):
    """The Slack user may not be mapped (guest, other organisation, bot, unlisted domain…).

    `code` names the rule for the audit trail: guest, external, bot, app_user, deactivated,
    no_email, email_domain, handle_taken or lookup_failed.
    """

    def __init__(self, message: str, *, code: str = "unmapped") -> None:
        self.code = code
        super().__init__(message)


class NotAuthorized(DbAccessError):
    """The actor may not perform this action."""


class NotFound(DbAccessError):
    """No request or grant with that id."""


class AlreadyDecided(DbAccessError):
    """The request was decided before this action arrived."""


class StateUnavailable(DbAccessError):
    """The state database cannot be reached."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or "db-access-bot is temporarily unavailable (its state store cannot be reached). "
            "Nothing was changed; please try again in a minute."
        )


class SetupError(DbAccessError):
    """A command cannot run as configured; the one-line message names the problem and the fix."""


class ProviderError(DbAccessError):
    """An outside system (AWS, PrivateBin, a database, Slack) failed.

    `retryable` says whether trying again later may succeed (a throttle, an outage) or never
    will (a missing role, a full policy budget); durable steps retry only the former.
    """

    retryable_by_default = True

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        self.retryable = self.retryable_by_default if retryable is None else retryable


class AwsError(ProviderError):
    """An AWS call failed; the message names the database or principal concerned."""


class PolicyBudgetExceeded(AwsError):
    """Writing the grant policy would push the principal over its inline-policy quota."""

    retryable_by_default = False


class SecretShareError(ProviderError):
    """The one-time link could not be created."""


class DatabaseAdminError(ProviderError):
    """The target database refused the admin connection or a statement.

    Retryable unless raised with retryable=False (a refused login, a missing privilege or
    plugin, a name that is not a safe identifier): those need an admin, not another try.
    """


class LoginCheckError(ProviderError):
    """Logging in as the user with a fresh token failed; `refused` when the database said no.

    A refusal right after a grant is usually IAM still propagating; anything else (no route,
    a timeout) means the bot cannot tell. The message never contains the token.
    """

    def __init__(self, message: str, *, refused: bool) -> None:
        super().__init__(message)
        self.refused = refused


class SlackError(ProviderError):
    """A Slack Web API call failed; `code` is Slack's error name.

    `in_doubt` marks failures after which the message may have been posted all the same (a
    server error or a timeout): before sending again, the outbox looks for it.
    """

    def __init__(
        self, message: str, *, code: str = "", retryable: bool | None = None, in_doubt: bool = False
    ) -> None:
        super().__init__(message, retryable=retryable)
        self.code = code
        self.in_doubt = in_doubt


class OnCallError(ProviderError):
    """PagerDuty could not say who is on call (an error, a refusal or no answer in time)."""
