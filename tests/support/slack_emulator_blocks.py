"""Block Kit knowledge: ids Slack fills in, element lookup, view state and limits."""

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
_MULTI_OPTION_TYPES = {"multi_static_select", "multi_external_select", "checkboxes"}
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
    elif kind in _MULTI_OPTION_TYPES:
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


def _plain_text_length(obj: Any) -> int:
    """Length of a text object's text (0 when missing)."""
    return len(str(obj.get("text", ""))) if isinstance(obj, dict) else 0


def validate_blocks(blocks: Any, *, max_blocks: int) -> list[str]:
    """Error messages for Block Kit rules Slack enforces (empty list means valid)."""
    if not isinstance(blocks, list):
        return ["[ERROR] blocks must be an array [json-pointer:/blocks]"]
    errors: list[str] = []
    if len(blocks) > max_blocks:
        errors.append(f"[ERROR] no more than {max_blocks} items allowed [json-pointer:/blocks]")
    seen: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"[json-pointer:/blocks/{index}"
        if not isinstance(block, dict) or "type" not in block:
            errors.append(f"[ERROR] missing required field: type {where}]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if block_id in seen:
                errors.append(f"[ERROR] duplicate block_id {block_id!r} {where}/block_id]")
            seen.add(block_id)
        text = block.get("text")
        if block.get("type") == "section" and _plain_text_length(text) > 3000:
            errors.append(f"[ERROR] must be less than 3001 characters {where}/text/text]")
        actions: set[str] = set()
        for element in block_elements(block):
            action_id = element.get("action_id")
            if action_id is not None and action_id in actions:
                errors.append(f"[ERROR] duplicate action_id {action_id!r} {where}]")
            actions.add(action_id)
            if element.get("type") == "button" and _plain_text_length(element.get("text")) > 75:
                errors.append(f"[ERROR] must be less than 76 characters {where}/text]")
            if len(str(element.get("value", ""))) > 2000:
                errors.append(f"[ERROR] must be less than 2001 characters {where}/value]")
    return errors


def validate_view(view: Any, *, home: bool) -> list[str]:
    """Error messages for the view rules Slack enforces on views.open/push/update/publish."""
    if not isinstance(view, dict):
        return ["[ERROR] missing required field: view"]
    kind = view.get("type")
    expected = "home" if home else "modal"
    errors: list[str] = []
    if kind != expected:
        errors.append(f"[ERROR] view type must be {expected!r} [json-pointer:/view/type]")
    if not home:
        if not isinstance(view.get("title"), dict):
            errors.append("[ERROR] missing required field: title [json-pointer:/view/title]")
        for key in ("title", "submit", "close"):
            if _plain_text_length(view.get(key)) > 24:
                errors.append(f"[ERROR] must be less than 25 characters [json-pointer:/view/{key}]")
        has_input = any(b.get("type") == "input" for b in view.get("blocks") or [])
        if has_input and not view.get("submit"):
            errors.append(
                "[ERROR] submit is required when an 'input' block is within the blocks array "
                "[json-pointer:/view/submit]"
            )
    if len(str(view.get("private_metadata", ""))) > 3000:
        errors.append(
            "[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]"
        )
    if len(str(view.get("callback_id", ""))) > 255:
        errors.append("[ERROR] must be less than 256 characters [json-pointer:/view/callback_id]")
    errors.extend(validate_blocks(view.get("blocks", []), max_blocks=100))
    return errors
