"""Block Kit knowledge: ids Slack fills in, element lookup and view state."""

from __future__ import annotations

import copy
import secrets
import string
from collections.abc import Iterator
from typing import Any

Block = dict[str, Any]
Element = dict[str, Any]

# Elements whose value Slack reports in ``state.values``.
STATEFUL_TYPES = {
    "plain_text_input",
    "url_text_input",
    "email_text_input",
    "number_input",
    "rich_text_input",
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
    "multi_static_select",
    "multi_external_select",
    "multi_users_select",
    "multi_conversations_select",
    "multi_channels_select",
    "radio_buttons",
    "checkboxes",
    "datepicker",
    "timepicker",
    "datetimepicker",
}
_TEXT_TYPES = {"plain_text_input", "url_text_input", "email_text_input", "number_input"}
_SINGLE_OPTION_TYPES = {"static_select", "external_select", "radio_buttons", "overflow"}
MULTI_OPTION_TYPES = {"multi_static_select", "multi_external_select", "checkboxes"}
_PICKED_KEY = {
    "users_select": "selected_user",
    "conversations_select": "selected_conversation",
    "channels_select": "selected_channel",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
    "multi_users_select": "selected_users",
    "multi_conversations_select": "selected_conversations",
    "multi_channels_select": "selected_channels",
}


def _random_id(length: int = 5) -> str:
    """A short random id like the ones Slack generates for missing block/action ids."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def block_elements(block: Block) -> list[Element]:
    """Interactive elements directly inside a block (input element, actions, accessory)."""
    if block.get("type") == "input" and isinstance(block.get("element"), dict):
        return [block["element"]]
    if block.get("type") == "actions":
        return [e for e in block.get("elements", []) if isinstance(e, dict)]
    if isinstance(block.get("accessory"), dict):
        return [block["accessory"]]
    return []


def normalize_blocks(blocks: list[Block] | None) -> list[Block]:
    """A copy of blocks with the block_id/action_id values Slack generates when missing."""
    result = copy.deepcopy(blocks or [])
    for block in result:
        block.setdefault("block_id", _random_id())
        for element in block_elements(block):
            if element.get("type") not in (None, "image"):
                element.setdefault("action_id", _random_id(4))
    return result


def iter_elements(blocks: list[Block]) -> Iterator[tuple[str, Element]]:
    """Yield (block_id, element) for every interactive element in blocks."""
    for block in blocks:
        for element in block_elements(block):
            yield str(block.get("block_id", "")), element


def find_element(
    blocks: list[Block], action_id: str, block_id: str | None = None
) -> tuple[str, Element] | None:
    """The (block_id, element) with action_id (and block_id when given), or None."""
    for found_block_id, element in iter_elements(blocks):
        if element.get("action_id") == action_id and block_id in (None, found_block_id):
            return found_block_id, element
    return None


def _all_options(element: Element) -> list[dict[str, Any]]:
    """Options of an element, flattening option_groups."""
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def find_option(element: Element, value: str) -> dict[str, Any]:
    """The option of element whose value is value, raising LookupError if absent."""
    for option in _all_options(element):
        if option.get("value") == value:
            return option
    if element.get("type", "").endswith("external_select"):
        return {"text": {"type": "plain_text", "text": value, "emoji": True}, "value": value}
    known = [o.get("value") for o in _all_options(element)]
    raise LookupError(f"{element.get('action_id')!r} has no option {value!r}; options: {known}")


def element_state(element: Element, value: Any) -> dict[str, Any]:
    """The ``state.values`` entry Slack sends for element holding value (None = empty)."""
    kind = str(element.get("type"))
    state: dict[str, Any] = {"type": kind}
    if kind in _TEXT_TYPES or kind == "rich_text_input":
        state["value"] = None if value is None else str(value)
    elif kind in _SINGLE_OPTION_TYPES:
        state["selected_option"] = _as_option(element, value)
    elif kind in MULTI_OPTION_TYPES:
        state["selected_options"] = [_as_option(element, v) for v in (value or [])]
    elif kind in _PICKED_KEY:
        state[_PICKED_KEY[kind]] = value
    else:
        state["value"] = value
    return state


def _as_option(element: Element, value: Any) -> dict[str, Any] | None:
    """value as a full option object (accepts an option dict or its value string)."""
    if value is None or isinstance(value, dict):
        return value
    return find_option(element, str(value))


def render_state(
    blocks: list[Block], values: dict[str, dict[str, Any]]
) -> dict[str, dict[str, dict[str, Any]]]:
    """``state.values`` for a submission: every stateful element, filled from values."""
    state: dict[str, dict[str, dict[str, Any]]] = {}
    seen: set[tuple[str, str]] = set()
    for block_id, element in iter_elements(blocks):
        if element.get("type") not in STATEFUL_TYPES:
            continue
        action_id = str(element.get("action_id"))
        given = values.get(block_id, {})
        seen.update((block_id, a) for a in given if a == action_id)
        state.setdefault(block_id, {})[action_id] = element_state(element, given.get(action_id))
    unknown = {(b, a) for b, actions in values.items() for a in actions} - seen
    if unknown:
        raise LookupError(f"no stateful element for (block_id, action_id) {sorted(unknown)}")
    return state
