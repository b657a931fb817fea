"""How a request approved by a catalog rule (not by approvers) is described to people."""

from bot.domain import ApprovalRule
from bot.store.models import AccessRequest


def approved_by(request: AccessRequest, approver: str) -> str:
    """The words after "Your request … was" in the requester's DM."""
    note = f" ({request.rule_note})" if request.rule_note else ""
    if request.rule == ApprovalRule.BREAKGLASS:
        return "granted by break-glass, without approval (the admins were alerted)"
    if request.rule == ApprovalRule.ON_CALL:
        return f"auto-approved because you are {request.rule_note or 'on call'}"
    if approver == "auto":
        return f"auto-approved by the catalog rule{note}"
    return f"approved by <@{approver}>"


def auto_approval_text(request: AccessRequest) -> str:
    """The card's outcome line for an auto-approved request."""
    if request.rule == ApprovalRule.ON_CALL:
        return (
            f":white_check_mark: *Auto-approved*: <@{request.requester_id}> is "
            f"{request.rule_note or 'on call'}"
        )
    note = f" ({request.rule_note})" if request.rule_note else ""
    return f":white_check_mark: *Auto-approved* by the catalog rule{note}"
