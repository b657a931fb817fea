"""Every action_id and callback_id the bot uses, in one place."""

from enum import StrEnum


class ActionId(StrEnum):
    """Buttons and inputs that send block_actions."""

    APPROVE = "dab_approve"
    APPROVE_CHANGED = "dab_approve_changed"
    DENY = "dab_deny"
    NEW_TOKEN = "dab_new_token"  # noqa: S105 - an action id, not a secret
    EXTEND = "dab_extend"
    REVOKE = "dab_revoke"
    PICK_DATABASE = "dab_pick_database"
    OPEN_FORM = "dab_open_form"
    BREAKGLASS_ACK = "dab_breakglass_ack"
    BREAKGLASS_FLAG = "dab_breakglass_flag"
    WITHDRAW = "dab_withdraw"


class CallbackId(StrEnum):
    """Modals whose submission the bot handles."""

    REQUEST = "dab_request"
    DENY = "dab_deny_reason"
    NARROW = "dab_narrow"
    EXTEND = "dab_extend"
    BREAKGLASS_FLAG = "dab_breakglass_flag_note"


class BlockId(StrEnum):
    """Input blocks of the modals (their action id is always 'value')."""

    DATABASE = "database"
    LEVEL = "level"
    DURATION = "duration"
    REASON = "reason"
    TICKET = "ticket"
    BREAKGLASS = "breakglass"
    NOTE = "note"
    START = "start"


VALUE = "value"
