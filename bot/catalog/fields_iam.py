"""The catalog's value types for identity.provision: IAM paths, policy ARNs, trust and tags."""

import re
import string
from typing import Annotated, Any

from pydantic import PlainValidator, WithJsonSchema

from bot.catalog.fields import required_text, string_pattern
from bot.catalog.shapes import kind, problem

IAM_PATH = r"^/([\w+=,.@-]+/)*$"
POLICY_ARN = r"^arn:aws[a-z-]*:iam::(\{account_id\}|[0-9]{12}|aws):policy/[\w+=,.@/-]+$"
TRUST_PRINCIPAL = (
    r"^(arn:aws[a-z-]*:(iam|sts)::(\{account_id\}|[0-9]{12}):"
    r"(root|(role|user|assumed-role)/[\w+=,.@/*?{}-]+))$"
)
TAG_KEY = r"^[\w .:/=+@-]{1,128}$"
TAG_VALUE = r"^[\w .:/=+@-]{0,256}$"
# Tags the bot writes itself on every role it creates.
RESERVED_TAGS = ("managed-by", "slack-user", "email")


def _iam_path(value: Any) -> str:
    text = required_text(value)
    if len(text) > 512 or not re.match(IAM_PATH, text):
        raise problem(f"{text!r} is not an IAM path (it starts and ends with /, e.g. /db-access/)")
    return text


def _policy_arn(value: Any) -> str:
    text = required_text(value)
    if not re.match(POLICY_ARN, text):
        raise problem(
            f"{text!r} is not an IAM managed policy ARN "
            "(arn:aws:iam::{account_id}:policy/<name>, or a 12-digit account)"
        )
    return text


def _trust_principal(value: Any) -> str:
    text = required_text(value)
    names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    if names - {"account_id", "handle"} or not re.match(TRUST_PRINCIPAL, text):
        raise problem(
            f"{text!r} is not a principal ARN to trust (an IAM role, user or account root ARN; "
            "placeholders {account_id} and {handle}; * and ? match any characters)"
        )
    return text


def _tag_key(value: Any) -> str:
    text = required_text(value)
    if not re.match(TAG_KEY, text) or text.lower().startswith("aws:"):
        raise problem(
            f"{text!r} is not an IAM tag key (up to 128 letters, digits, spaces and "
            "_.:/=+-@; not starting with aws:)"
        )
    if text in RESERVED_TAGS:
        raise problem(
            f"{text!r} is set by the bot itself on every role it creates; choose another key"
        )
    return text


def _tag_value(value: Any) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise problem(f"must be text, not {kind(value)}")
    text = str(value)
    if not re.match(TAG_VALUE, text):
        raise problem(
            f"{text!r} is not an IAM tag value (up to 256 letters, digits, spaces and _.:/=+-@)"
        )
    return text


IamPath = Annotated[str, PlainValidator(_iam_path), string_pattern(IAM_PATH)]
PolicyArnTemplate = Annotated[str, PlainValidator(_policy_arn), string_pattern(POLICY_ARN)]
TrustPrincipal = Annotated[str, PlainValidator(_trust_principal), string_pattern(TRUST_PRINCIPAL)]
TagKey = Annotated[str, PlainValidator(_tag_key), WithJsonSchema({"pattern": TAG_KEY})]
TagValue = Annotated[str, PlainValidator(_tag_value), string_pattern(TAG_VALUE)]
