"""Block Kit validation as Slack does it: slack_sdk's models plus the documented limits they skip.

Messages (chat.postMessage/update/postEphemeral, response_urls, slash command acks) and views
(views.open/push/update/publish, view_submission acks) go through ``message_problems`` and
``view_problems``; options loaded for an ``external_select`` through ``options_problems``.
Each returns Slack-style ``[ERROR] … [json-pointer:/…]`` lines; an empty list means valid.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block as SdkBlock
from slack_sdk.models.views import View as SdkView

from tests.support.slack_emulator_blocks import block_elements

MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100
MAX_SELECT_OPTIONS = 100
# Documented limits slack_sdk's models do not check (or check only on some paths).
SECTION_FIELD_MAX = 2000
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTION_DESCRIPTION_MAX = 75
CHOICE_OPTIONS_MAX = {"radio_buttons": 10, "checkboxes": 10, "overflow": 5}
MODAL_TEXT_MAX = 24
PRIVATE_METADATA_MAX = 3000
CALLBACK_ID_MAX = 255
TEXT_OBJECT_TYPES = {"plain_text", "mrkdwn"}
# A confirm dialog's texts (slack_sdk checks their lengths, not their type).
CONFIRM_FIELDS = ("title", "text", "confirm", "deny")


@dataclass(frozen=True)
class Violation:
    """A payload Slack would have refused: where it went, what Slack answered and why."""

    method: str
    error: str
    problems: tuple[str, ...]

    def describe(self) -> str:
        """One paragraph for a failure message."""
        lines = "\n".join(f"    {p}" for p in self.problems)
        return f"  {self.method} -> {self.error}\n{lines}"


def _sdk_problem(parse: Any, data: dict[str, Any], where: str) -> str | None:
    """The error slack_sdk's model raises for data (None when it is valid)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the SDK warns about keys it does not model
            model = parse(data)
            if model is None:
                return f"[ERROR] unsupported type: {data.get('type')!r} [json-pointer:{where}/type]"
            model.to_dict()  # validates this object and everything nested in it
    except SlackObjectFormationError as exc:
        return f"[ERROR] {exc} [json-pointer:{where}]"
    except (TypeError, KeyError, AttributeError, ValueError) as exc:
        return f"[ERROR] malformed object ({type(exc).__name__}: {exc}) [json-pointer:{where}]"
    return None


def _walk(value: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every JSON object inside value, with its json-pointer."""
    if isinstance(value, dict):
        yield where, value
        for key, item in value.items():
            yield from _walk(item, f"{where}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{where}/{index}")


def _length(obj: Any) -> int:
    """Length of a text object's text (0 when missing)."""
    return len(str(obj.get("text", ""))) if isinstance(obj, dict) else 0


def option_problems(option: Any, where: str) -> list[str]:
    """An option object's own limits: text 75, value 150, description 75."""
    if not isinstance(option, dict):
        return [f"[ERROR] must provide an object [json-pointer:{where}]"]
    errors = []
    if _length(option.get("text")) > OPTION_TEXT_MAX:
        errors.append(
            f"[ERROR] must be less than {OPTION_TEXT_MAX + 1} characters "
            f"[json-pointer:{where}/text/text]"
        )
    if "value" in option and len(str(option["value"])) > OPTION_VALUE_MAX:
        errors.append(
            f"[ERROR] must be less than {OPTION_VALUE_MAX + 1} characters "
            f"[json-pointer:{where}/value]"
        )
    if _length(option.get("description")) > OPTION_DESCRIPTION_MAX:
        errors.append(
            f"[ERROR] must be less than {OPTION_DESCRIPTION_MAX + 1} characters "
            f"[json-pointer:{where}/description/text]"
        )
    return errors


def confirm_problems(dialog: Any, where: str) -> list[str]:
    """What slack_sdk does not check in a confirmation dialog: its texts must be plain_text."""
    if not isinstance(dialog, dict):
        return [f"[ERROR] must provide an object [json-pointer:{where}]"]
    return [
        f"[ERROR] must be a plain_text object [json-pointer:{where}/{name}]"
        for name in CONFIRM_FIELDS
        if (dialog.get(name) or {}).get("type") != "plain_text"
    ]


def _nested_limits(block: dict[str, Any], where: str) -> list[str]:
    """Limits anywhere inside a block: empty texts, field and option sizes, option counts."""
    errors: list[str] = []
    for path, obj in _walk(block, where):
        if obj.get("type") in TEXT_OBJECT_TYPES and "text" in obj and not str(obj["text"]):
            errors.append(f"[ERROR] must be more than 0 characters [json-pointer:{path}/text]")
        for index, option in enumerate(obj.get("options") or []):
            errors += option_problems(option, f"{path}/options/{index}")
        dialog = obj.get("confirm")
        # A dialog's own "confirm" is the text of its button; an element's is a dialog.
        if dialog is not None and not (
            isinstance(dialog, dict) and dialog.get("type") in TEXT_OBJECT_TYPES
        ):
            errors += confirm_problems(dialog, f"{path}/confirm")
        limit = CHOICE_OPTIONS_MAX.get(str(obj.get("type")))
        if limit is not None and len(obj.get("options") or []) > limit:
            errors.append(
                f"[ERROR] no more than {limit} items allowed [json-pointer:{path}/options]"
            )
    for index, field in enumerate(block.get("fields") or []):
        if _length(field) > SECTION_FIELD_MAX:
            errors.append(
                f"[ERROR] must be less than {SECTION_FIELD_MAX + 1} characters "
                f"[json-pointer:{where}/fields/{index}/text]"
            )
    return errors


def _ids(blocks: list[Any], where: str) -> list[str]:
    """Duplicate block_ids in a surface and duplicate action_ids within a block."""
    errors: list[str] = []
    seen: set[str] = set()
    for index, block in enumerate(blocks):
        if not isinstance(block, dict):
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if block_id in seen:
                errors.append(
                    f"[ERROR] duplicate block_id {block_id!r} "
                    f"[json-pointer:{where}/{index}/block_id]"
                )
            seen.add(block_id)
        actions: set[str] = set()
        for element in block_elements(block):
            action_id = element.get("action_id")
            if action_id is not None and action_id in actions:
                errors.append(
                    f"[ERROR] duplicate action_id {action_id!r} [json-pointer:{where}/{index}]"
                )
            actions.add(action_id)
    return errors


def blocks_problems(blocks: Any, *, max_blocks: int, where: str = "/blocks") -> list[str]:
    """Every reason Slack would refuse this blocks array."""
    if not isinstance(blocks, list):
        return [f"[ERROR] must provide an array [json-pointer:{where}]"]
    errors: list[str] = []
    if len(blocks) > max_blocks:
        errors.append(f"[ERROR] no more than {max_blocks} items allowed [json-pointer:{where}]")
    for index, block in enumerate(blocks):
        at = f"{where}/{index}"
        if not isinstance(block, dict) or "type" not in block:
            errors.append(f"[ERROR] missing required field: type [json-pointer:{at}]")
            continue
        problem = _sdk_problem(SdkBlock.parse, block, at)
        if problem:
            errors.append(problem)
        errors += _nested_limits(block, at)
    return errors + _ids(blocks, where)


def message_problems(blocks: Any) -> list[str]:
    """Why Slack would answer invalid_blocks to a message with these blocks."""
    return blocks_problems(blocks, max_blocks=MESSAGE_MAX_BLOCKS)


def view_problems(view: Any, *, home: bool) -> list[str]:
    """Why Slack would answer invalid_arguments to views.open/push/update/publish of view."""
    if not isinstance(view, dict):
        return ["[ERROR] missing required field: view"]
    expected = "home" if home else "modal"
    errors: list[str] = []
    if view.get("type") != expected:
        errors.append(f"[ERROR] view type must be {expected!r} [json-pointer:/view/type]")
    if not home:
        if not isinstance(view.get("title"), dict):
            errors.append("[ERROR] missing required field: title [json-pointer:/view/title]")
        for key in ("title", "submit", "close"):
            if _length(view.get(key)) > MODAL_TEXT_MAX:
                errors.append(
                    f"[ERROR] must be less than {MODAL_TEXT_MAX + 1} characters "
                    f"[json-pointer:/view/{key}/text]"
                )
        if any(
            isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or []
        ) and not view.get("submit"):
            errors.append(
                "[ERROR] submit is required when an 'input' block is within the "
                "blocks array [json-pointer:/view/submit]"
            )
    if len(str(view.get("private_metadata", ""))) > PRIVATE_METADATA_MAX:
        errors.append(
            f"[ERROR] must be less than {PRIVATE_METADATA_MAX + 1} characters "
            "[json-pointer:/view/private_metadata]"
        )
    if len(str(view.get("callback_id", ""))) > CALLBACK_ID_MAX:
        errors.append(
            f"[ERROR] must be less than {CALLBACK_ID_MAX + 1} characters "
            "[json-pointer:/view/callback_id]"
        )
    shell = {k: v for k, v in view.items() if k != "blocks"}
    problem = _sdk_problem(lambda d: SdkView(**d, blocks=[{"type": "divider"}]), shell, "/view")
    if problem and not errors:  # the SDK repeats what the checks above found, less precisely
        errors.append(problem)
    return errors + blocks_problems(
        view.get("blocks", []), max_blocks=VIEW_MAX_BLOCKS, where="/view/blocks"
    )


def options_problems(reply: Any) -> list[str]:
    """Why Slack would show 'failed to load options' for a block_suggestion ack."""
    if not isinstance(reply, dict):
        return ["[ERROR] must provide an object"]
    errors: list[str] = []
    groups = reply.get("option_groups")
    lists = [
        (f"/option_groups/{i}/options", g.get("options") or [])
        for i, g in enumerate(groups or [])
        if isinstance(g, dict)
    ]
    if groups is None:
        lists = [("/options", reply.get("options") or [])]
    elif len(groups) > MAX_SELECT_OPTIONS:
        errors.append(
            f"[ERROR] no more than {MAX_SELECT_OPTIONS} items allowed [json-pointer:/option_groups]"
        )
    for index, group in enumerate(groups or []):
        if _length(group.get("label")) > OPTION_TEXT_MAX:
            errors.append(
                f"[ERROR] must be less than {OPTION_TEXT_MAX + 1} characters "
                f"[json-pointer:/option_groups/{index}/label/text]"
            )
    for where, options in lists:
        if len(options) > MAX_SELECT_OPTIONS:
            errors.append(
                f"[ERROR] no more than {MAX_SELECT_OPTIONS} items allowed [json-pointer:{where}]"
            )
        for index, option in enumerate(options):
            errors += option_problems(option, f"{where}/{index}")
    return errors
