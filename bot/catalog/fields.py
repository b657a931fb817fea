"""The catalog's value types: each checks one kind of value, says how to fix it, has a schema."""

import re
import string
from datetime import timedelta
from typing import Annotated, Any

from pydantic import PlainValidator, WithJsonSchema

from bot.catalog.shapes import kind, problem
from bot.domain import Engine, Level, StatementLog
from bot.durations import HINT, parse_duration

SQL_IDENT = r"^[a-z_][a-z0-9_]{0,62}$"
CHANNEL = r"^[CG][A-Z0-9]{2,}$"
SLACK_MEMBER = r"^([UW]|S)[A-Z0-9]{2,}$"
ACCOUNT = r"^[0-9]{12}$"
DB_NAME = r"^[a-z0-9][a-z0-9_-]{0,62}$"
REGION = r"^[a-z]{2}(-[a-z]+)+-[0-9]$"
ROLE_ARN = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$"
SECRET_ARN = r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$"  # noqa: S105 - a pattern
RESOURCE_ID = r"^(db|cluster)-[A-Z0-9]+$"
EMAIL = r"^[^@\s]+@[^@\s]+$"
# What parse_duration accepts: up to 6 digits (not all zero), one unit, any case, outer blanks.
# Spelled out without look-ahead: the chart's values.schema.json embeds this schema, and Helm
# checks it with Go's regexp, which has none.
_AMOUNT = "|".join(f"0{{{zeros}}}[1-9][0-9]{{0,{5 - zeros}}}" for zeros in range(6))
DURATION = rf"^\s*({_AMOUNT})[smhdwSMHDW]\s*$"
PLACEHOLDERS = ("account_id", "handle", "level")
_TEMPLATE_TAIL = r"[^{}]*(\{(account_id|handle|level)\}[^{}]*)*$"
TEMPLATE = "^" + _TEMPLATE_TAIL
PRINCIPAL_TEMPLATE = r"^arn:aws[a-z-]*:iam::[^:]+:(role|user)/" + _TEMPLATE_TAIL


def required_text(value: Any) -> str:
    """The value, if it is non-empty text; otherwise a problem saying what it is instead."""
    if not isinstance(value, str) or not value.strip():
        raise problem(f"must be non-empty text, not {kind(value)}")
    return value


def _matches(pattern: str, fix: str) -> PlainValidator:
    """Accept text matching pattern; otherwise say `<value> <fix>`."""
    compiled = re.compile(pattern)

    def check(value: Any) -> str:
        if not compiled.match(required_text(value)):
            raise problem(f"{value!r} {fix}")
        return value

    return PlainValidator(check)


def string_pattern(pattern: str, **more: Any) -> WithJsonSchema:
    """The JSON Schema of text matching pattern."""
    return WithJsonSchema({"type": "string", "pattern": pattern, **more})


def _description(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise problem(f"must be text, not {kind(value)}")
    return value


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta) and value > timedelta(0):
        return value
    try:
        return parse_duration(str(value))
    except ValueError:
        raise problem(f"{value!r} is not a duration ({HINT})") from None


def _whole(low: int, high: int | None, fix: str) -> PlainValidator:
    def check(value: Any) -> int:
        # YAML reads yes/no as bool, and a bool is an int in Python: never a count or a port.
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or value < low
            or (high is not None and value > high)
        ):
            raise problem(f"{value!r} {fix}")
        return value

    return PlainValidator(check)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise problem(f"must be true or false, not {kind(value)}")
    return value


def _engine(value: Any) -> Engine:
    if value not in {e.value for e in Engine}:
        raise problem(f"{value!r} is not an engine (use postgres or mysql)")
    return Engine(value)


def _level(value: Any) -> Level:
    if value not in {lv.value for lv in Level}:
        raise problem(f"{value!r} is not a level (use ro or rw)")
    return Level(value)


def _account_id(value: Any) -> str:
    # An unquoted id is a YAML number; accept it when it still has its 12 digits.
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not re.match(ACCOUNT, text):
        raise problem(
            f"{value!r} is not a 12-digit AWS account id "
            '(quote it in YAML so leading zeros survive: "012345678901")'
        )
    return text


def _template(value: Any) -> str:
    text = required_text(value)
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        raise problem(
            f"{text!r} has an unbalanced brace (placeholders look like {{handle}})"
        ) from None
    unknown = sorted(names - set(PLACEHOLDERS))
    if unknown:
        raise problem(
            f"unknown placeholder {{{unknown[0]}}} (use {{account_id}}, {{handle}} or {{level}})"
        )
    return text


def _principal_template(value: Any) -> str:
    text = _template(value)
    if not re.match(r"^arn:aws[a-z-]*:iam::[^:]+:(role|user)/", text):
        raise problem(
            f"{text!r} is not an IAM role or user ARN template "
            "(e.g. arn:aws:iam::{account_id}:role/DatabasesRole_{handle})"
        )
    return text


def _email(value: Any) -> str:
    if not isinstance(value, str) or not re.match(EMAIL, value):
        raise problem(f"{value!r} is not an email address (overrides are keyed by Slack email)")
    return value.lower()


Text = Annotated[
    str, PlainValidator(required_text), WithJsonSchema({"type": "string", "minLength": 1})
]
Description = Annotated[str, PlainValidator(_description), WithJsonSchema({"type": "string"})]
Duration = Annotated[
    timedelta,
    PlainValidator(_duration),
    string_pattern(DURATION, examples=["15m", "1h", "8h", "1d"]),
]
Port = Annotated[
    int,
    _whole(1, 65535, "is not a TCP port (1-65535)"),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 65535}),
]
Approvals = Annotated[
    int,
    _whole(1, None, "must be a whole number of at least 1"),
    WithJsonSchema({"type": "integer", "minimum": 1}),
]
Flag = Annotated[bool, PlainValidator(_flag), WithJsonSchema({"type": "boolean"})]
EngineName = Annotated[
    Engine, PlainValidator(_engine), WithJsonSchema({"enum": [e.value for e in Engine]})
]
LevelName = Annotated[
    Level, PlainValidator(_level), WithJsonSchema({"enum": [lv.value for lv in Level]})
]
AccountId = Annotated[
    str,
    PlainValidator(_account_id),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": ACCOUNT},
                {"type": "integer", "minimum": 100000000000, "maximum": 999999999999},
            ]
        }
    ),
]
AccountKey = Annotated[str, PlainValidator(_account_id), WithJsonSchema({"pattern": ACCOUNT})]
Template = Annotated[str, PlainValidator(_template), string_pattern(TEMPLATE)]
PrincipalTemplate = Annotated[
    str, PlainValidator(_principal_template), string_pattern(PRINCIPAL_TEMPLATE)
]
EmailKey = Annotated[str, PlainValidator(_email), WithJsonSchema({"pattern": EMAIL})]
SlackMember = Annotated[
    str,
    _matches(SLACK_MEMBER, "is not a Slack user id (U…/W…) or user-group id (S…)"),
    string_pattern(SLACK_MEMBER),
]
ChannelId = Annotated[
    str, _matches(CHANNEL, "is not a Slack channel id (C… or G…)"), string_pattern(CHANNEL)
]
DatabaseName = Annotated[
    str,
    _matches(DB_NAME, "is not a database name (lowercase letters, digits, '-' and '_'; up to 63)"),
    WithJsonSchema({"pattern": DB_NAME}),
]
Region = Annotated[
    str, _matches(REGION, "is not an AWS region (e.g. eu-west-1)"), string_pattern(REGION)
]
SqlName = Annotated[str, _matches(SQL_IDENT, f"must match {SQL_IDENT}"), string_pattern(SQL_IDENT)]
RoleArn = Annotated[
    str,
    _matches(ROLE_ARN, "is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"),
    string_pattern(ROLE_ARN),
]
SecretArn = Annotated[
    str,
    _matches(
        SECRET_ARN,
        "is not a Secrets Manager secret ARN "
        "(arn:aws:secretsmanager:<region>:<account>:secret:<name>)",
    ),
    string_pattern(SECRET_ARN),
]
ResourceId = Annotated[
    str,
    _matches(RESOURCE_ID, "is not an RDS resource id (db-… or cluster-…)"),
    string_pattern(RESOURCE_ID),
]


def _statement_log(value: Any) -> StatementLog:
    if value not in {s.value for s in StatementLog}:
        raise problem(f"{value!r} is not a statement log setting (use none, ddl, mod or all)")
    return StatementLog(value)


StatementLogName = Annotated[
    StatementLog,
    PlainValidator(_statement_log),
    WithJsonSchema({"enum": [s.value for s in StatementLog]}),
]
