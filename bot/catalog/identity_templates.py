"""Catalog rules for identity: email domains, and templates that cannot make people share a user.

The email domain type is used by IdentitySpec; the template rules need the databases too, so
the Catalog model runs identity_problems once everything else is valid.
"""

import re
import string
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, PlainValidator, WithJsonSchema

from bot.catalog.shapes import AsList, kind, problem
from bot.domain import Engine, Level

if TYPE_CHECKING:
    from bot.catalog.database import DatabaseSpec
    from bot.catalog.identity import IdentitySpec
    from bot.catalog.model import Catalog

SQL_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
DOMAIN = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$"
MYSQL_MAX_USER = 32
SHORTEST_HANDLE = "a"  # the shortest handle there is: if it fails, every handle does
LEVELS = [level.value for level in Level]
Loc = tuple[str | int, ...]
Problem = tuple[Loc, str, Any]


def _domain(value: Any) -> str:
    domain = value.strip().lower().removeprefix("@") if isinstance(value, str) else None
    if domain is None or not re.match(DOMAIN, domain):
        shown = repr(value) if isinstance(value, str) else kind(value)
        raise problem(
            f"{shown} is not an email domain (write it as it follows the @, e.g. example.com)"
        )
    return domain


def _unique(domains: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(domains))


EmailDomain = Annotated[
    str, PlainValidator(_domain), WithJsonSchema({"type": "string", "pattern": DOMAIN})
]
EmailDomains = Annotated[
    tuple[EmailDomain, ...],
    AsList(
        "a list of email domains, e.g. [example.com]",
        at_least_one="must list at least one email domain, e.g. [example.com] (leave the "
        "key out to map every domain, which check warns about)",
    ),
    AfterValidator(_unique),
]


def placeholders(template: str) -> set[str]:
    """The {names} a (valid) template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def principal_problems(identity: "IdentitySpec") -> list[Problem]:
    """Everyone's principal must be their own: the shared template needs {handle}."""
    if "handle" in placeholders(identity.principal):
        return []
    return [
        (
            ("identity", "principal"),
            f"{identity.principal!r} has no {{handle}}, so everyone would get the same IAM "
            "principal and each grant would open it to all (e.g. "
            "arn:aws:iam::{account_id}:role/DatabasesRole_{handle})",
            identity.principal,
        )
    ]


def db_user_problems(
    template: str, databases: Mapping[str, "DatabaseSpec"], *, personal: bool = False
) -> list[str]:
    """Why a db_user template could hand one database user to two people or two levels.

    personal: an override for one person, which may name a fixed user (no {handle}).
    """
    names = placeholders(template)
    if not personal and "handle" not in names:
        return [
            f"{template!r} has no {{handle}}, so everyone would share one database user "
            "(use e.g. {handle}_{level})"
        ]
    users = [template.format(account_id="", handle=SHORTEST_HANDLE, level=lv) for lv in LEVELS]
    for user in users:
        if not SQL_IDENT.match(user):
            return [
                f"{template!r} cannot give a safe SQL identifier whatever the handle (with "
                f"handle {SHORTEST_HANDLE!r} it gives {user!r}; the result must match "
                "^[a-z_][a-z0-9_]{0,62}$: lowercase letters, digits and _)"
            ]
    problems: list[str] = []
    mysql = [name for name, db in databases.items() if db.engine == Engine.MYSQL]
    if mysql and max(len(user) for user in users) > MYSQL_MAX_USER:
        problems.append(
            f"{template!r} gives names longer than MySQL's {MYSQL_MAX_USER} "
            f"characters even for the handle {SHORTEST_HANDLE!r} "
            f"(databases.{mysql[0]} is MySQL); shorten it"
        )
    if "level" not in names:
        for name, db in databases.items():
            if len({_grant_set(db, spec.grants) for spec in db.levels.values()}) > 1:
                carried = "; ".join(
                    f"{lv.value}: {', '.join(spec.grants) or 'nothing'}"
                    for lv, spec in db.levels.items()
                )
                problems.append(
                    f"{template!r} has no {{level}}, but the levels of databases.{name} carry "
                    f"different grants ({carried}); a person's grants at two levels would share "
                    "one database user (add {level}, e.g. {handle}_{level})"
                )
    return problems


def identity_problems(
    identity: "IdentitySpec", databases: Mapping[str, "DatabaseSpec"]
) -> list[Problem]:
    """Every identity rule that needs the databases, as (key path, message, value)."""
    found = principal_problems(identity)
    found += [
        (("identity", "db_user"), message, identity.db_user)
        for message in db_user_problems(identity.db_user, databases)
    ]
    for email, override in identity.overrides.items():
        if "db_user" in override:
            found += [
                (("identity", "overrides", email, "db_user"), message, override["db_user"])
                for message in db_user_problems(override["db_user"], databases, personal=True)
            ]
    return found


def catalog_warnings(catalog: "Catalog") -> list[str]:
    """What `check` should point out though the catalog works."""
    if catalog.identity.email_domains:
        return []
    return [
        "identity.email_domains is not set: a Slack member with any email domain is mapped "
        "to an AWS role; list your organisation's domains, e.g. email_domains: "
        "[example.com]"
    ]


def _grant_set(database: "DatabaseSpec", grants: tuple[str, ...]) -> frozenset[str]:
    """A level's grants as a comparable set (MySQL privilege lists split and upper-cased)."""
    if database.engine != Engine.MYSQL:
        return frozenset(grants)
    items = {" ".join(item.split()).upper() for grant in grants for item in grant.split(",")}
    return frozenset("ALL PRIVILEGES" if item == "ALL" else item for item in items)
