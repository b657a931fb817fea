"""Validate raw catalog data into a Catalog, collecting every problem with its key path."""

import re
import string
from datetime import timedelta
from typing import Any

from bot.catalog import AccountSpec, AdminSpec, Catalog, DatabaseSpec, IdentitySpec, LevelSpec
from bot.domain import Engine, Level
from bot.durations import HINT, parse_duration

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
DB_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$")
SQL_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
PLACEHOLDERS = {"account_id", "handle", "level"}

TOP_KEYS = {"approvals_channel", "admins", "approval_timeout", "identity", "accounts",
            "databases", "unused_after"}
IDENTITY_KEYS = {"principal", "db_user", "overrides"}
OVERRIDE_KEYS = {"handle", "principal", "db_user"}
DB_KEYS = {"description", "account_id", "region", "engine", "host", "port", "dbname",
           "instance_id", "cluster_id", "resource_id", "levels", "durations", "approvers",
           "requesters", "approvals_channel", "auto_approve", "admin", "terminate_sessions"}
LEVEL_KEYS = {"grants", "approvals", "standing"}


class _Problems:
    """Collects problems; each check returns a value or None and records why."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(f"{path}: {message}" if path else message)

    def mapping(self, value: Any, path: str, allowed: set[str], required: set[str]) -> dict:
        if not isinstance(value, dict):
            self.add(path, f"must be a mapping, not {_kind(value)}")
            return {}
        for key in value:
            if key not in allowed:
                self.add(_join(path, key), f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for key in sorted(required - set(value)):
            self.add(_join(path, key), "is required")
        return value

    def text(self, value: Any, path: str, pattern: re.Pattern[str] | None = None,
             fix: str = "") -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.add(path, f"must be a non-empty string, not {_kind(value)}")
            return None
        if pattern is not None and not pattern.match(value):
            self.add(path, f"{value!r} {fix}")
            return None
        return value

    def duration(self, value: Any, path: str) -> timedelta | None:
        try:
            return parse_duration(str(value))
        except ValueError:
            self.add(path, f"{value!r} is not a duration ({HINT})")
            return None

    def slack_ids(self, value: Any, path: str, *, groups: bool) -> tuple[str, ...]:
        if not isinstance(value, list):
            self.add(path, f"must be a list of Slack ids, not {_kind(value)}")
            return ()
        ok: list[str] = []
        for i, item in enumerate(value):
            valid = isinstance(item, str) and (USER_ID.match(item) or
                                               (groups and GROUP_ID.match(item)))
            if valid:
                ok.append(item)
            else:
                what = "a Slack user id (U…/W…) or user-group id (S…)" if groups \
                    else "a Slack user id (U…/W…)"
                self.add(f"{path}[{i}]", f"{item!r} is not {what}")
        return tuple(ok)


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def _template(p: _Problems, value: Any, path: str) -> str | None:
    text = p.text(value, path)
    if text is None:
        return None
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        p.add(path, f"{text!r} has an unbalanced brace (placeholders look like {{handle}})")
        return None
    unknown = sorted(names - PLACEHOLDERS)
    if unknown:
        p.add(path, f"unknown placeholder {{{unknown[0]}}} "
                    "(use {account_id}, {handle} or {level})")
        return None
    return text


def _identity(p: _Problems, raw: Any) -> IdentitySpec | None:
    data = p.mapping(raw, "identity", IDENTITY_KEYS, {"principal", "db_user"})
    principal = _template(p, data.get("principal"), "identity.principal")
    if principal and not re.match(r"^arn:aws[a-z-]*:iam::[^:]+:(role|user)/", principal):
        p.add("identity.principal",
              f"{principal!r} is not an IAM role or user ARN template "
              "(e.g. arn:aws:iam::{account_id}:role/DatabasesRole_{handle})")
        principal = None
    db_user = _template(p, data.get("db_user"), "identity.db_user")
    overrides: dict[str, dict[str, str]] = {}
    raw_over = data.get("overrides", {}) or {}
    if not isinstance(raw_over, dict):
        p.add("identity.overrides", "must be a mapping of email to {handle: …}")
    else:
        for email, over in raw_over.items():
            path = f"identity.overrides.{email}"
            if not isinstance(email, str) or "@" not in email:
                p.add(path, "key must be an email address")
                continue
            fields = p.mapping(over, path, OVERRIDE_KEYS, set())
            clean = {k: v for k, v in fields.items()
                     if k in OVERRIDE_KEYS and p.text(v, f"{path}.{k}") is not None}
            handle = clean.get("handle")
            if handle is not None and not SQL_IDENT.match(handle):
                p.add(f"{path}.handle", f"{handle!r} must match ^[a-z_][a-z0-9_]{{0,62}}$")
            overrides[email.lower()] = clean
    if principal is None or db_user is None:
        return None
    return IdentitySpec(principal=principal, db_user=db_user, overrides=overrides)


def _accounts(p: _Problems, raw: Any) -> dict[str, AccountSpec]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        p.add("accounts", "must be a mapping of 12-digit account id to settings")
        return {}
    out: dict[str, AccountSpec] = {}
    for key, value in raw.items():
        path = f"accounts.{key}"
        account_id = str(key)
        if not ACCOUNT_ID.match(account_id):
            p.add(path, f"{key!r} is not a 12-digit AWS account id (quote it: \"012345678901\")")
            continue
        data = p.mapping(value or {}, path, {"manage_role_arn"}, set())
        arn = data.get("manage_role_arn")
        if arn is not None:
            arn = p.text(arn, f"{path}.manage_role_arn", ROLE_ARN,
                         "is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)")
        out[account_id] = AccountSpec(account_id=account_id, manage_role_arn=arn)
    return out


def _levels(p: _Problems, raw: Any, path: str) -> dict[Level, LevelSpec]:
    if not isinstance(raw, dict) or not raw:
        p.add(path, "must map at least one level (ro or rw) to {grants: […]}")
        return {}
    levels: dict[Level, LevelSpec] = {}
    for name, value in raw.items():
        lpath = f"{path}.{name}"
        if name not in {lv.value for lv in Level}:
            p.add(lpath, f"{name!r} is not a level (use ro or rw)")
            continue
        data = p.mapping(value, lpath, LEVEL_KEYS, {"grants"})
        grants = data.get("grants")
        ok_grants: list[str] = []
        if "grants" in data and not isinstance(grants, list):
            p.add(f"{lpath}.grants", "must be a list of role names or privileges")
        for i, grant in enumerate(grants if isinstance(grants, list) else []):
            if p.text(grant, f"{lpath}.grants[{i}]") is not None:
                ok_grants.append(grant)
        approvals = data.get("approvals", 1)
        if not isinstance(approvals, int) or isinstance(approvals, bool) or approvals < 1:
            p.add(f"{lpath}.approvals", f"{approvals!r} must be a whole number of at least 1")
            approvals = 1
        standing = data.get("standing", False)
        if not isinstance(standing, bool):
            p.add(f"{lpath}.standing", "must be true or false")
            standing = False
        levels[Level(name)] = LevelSpec(Level(name), tuple(ok_grants), approvals, standing)
    return levels


def _database(p: _Problems, name: str, raw: Any, default_channel: str) -> DatabaseSpec | None:
    path = f"databases.{name}"
    start = len(p.items)
    if not DB_NAME.match(str(name)):
        p.add(path, "database names use lowercase letters, digits, '-' and '_'")
    data = p.mapping(raw, path, DB_KEYS, {"account_id", "region", "engine", "host", "port",
                                          "dbname", "levels", "durations", "approvers"})
    account_id = data.get("account_id")
    if account_id is not None and not ACCOUNT_ID.match(str(account_id)):
        p.add(f"{path}.account_id", f"{account_id!r} is not a 12-digit AWS account id "
                                    "(quote it in YAML so leading zeros survive)")
    region = data.get("region")
    if region is not None:
        p.text(region, f"{path}.region", REGION, "is not an AWS region (e.g. eu-west-1)")
    engine = data.get("engine")
    if engine is not None and engine not in {e.value for e in Engine}:
        p.add(f"{path}.engine", f"{engine!r} is not an engine (use postgres or mysql)")
    for key in ("host", "dbname"):
        if key in data:
            p.text(data[key], f"{path}.{key}")
    port = data.get("port")
    if port is not None and (not isinstance(port, int) or isinstance(port, bool)
                             or not 0 < port < 65536):
        p.add(f"{path}.port", f"{port!r} is not a TCP port (1-65535)")
    ids = [k for k in ("instance_id", "cluster_id", "resource_id") if data.get(k)]
    if not ids and data:
        p.add(path, "needs instance_id, cluster_id or resource_id to find the RDS resource id")
    if data.get("instance_id") and data.get("cluster_id"):
        p.add(path, "give instance_id or cluster_id, not both")
    resource_id = data.get("resource_id")
    if resource_id is not None:
        p.text(resource_id, f"{path}.resource_id", re.compile(r"^(db|cluster)-[A-Z0-9]+$"),
               "is not an RDS resource id (db-… or cluster-…)")
    levels = _levels(p, data.get("levels"), f"{path}.levels") if "levels" in data else {}
    durations: list[timedelta] = []
    raw_durations = data.get("durations")
    if "durations" in data:
        if not isinstance(raw_durations, list) or not raw_durations:
            p.add(f"{path}.durations", "must list at least one duration (e.g. [15m, 1h, 8h])")
        else:
            for i, item in enumerate(raw_durations):
                value = p.duration(item, f"{path}.durations[{i}]")
                if value is not None:
                    durations.append(value)
    approvers = p.slack_ids(data.get("approvers"), f"{path}.approvers", groups=True) \
        if "approvers" in data else ()
    if "approvers" in data and isinstance(data.get("approvers"), list) and not data["approvers"]:
        p.add(f"{path}.approvers", "must name at least one approver")
    requesters = None
    if data.get("requesters") is not None:
        requesters = p.slack_ids(data["requesters"], f"{path}.requesters", groups=True)
    channel = data.get("approvals_channel", default_channel)
    if "approvals_channel" in data:
        p.text(channel, f"{path}.approvals_channel", CHANNEL_ID,
               "is not a Slack channel id (C… or G…)")
    auto: set[Level] = set()
    raw_auto = data.get("auto_approve", []) or []
    if not isinstance(raw_auto, list):
        p.add(f"{path}.auto_approve", "must be a list of levels, e.g. [ro]")
        raw_auto = []
    for i, item in enumerate(raw_auto):
        if item not in {lv.value for lv in levels}:
            offered = ", ".join(lv.value for lv in levels) or "none"
            p.add(f"{path}.auto_approve[{i}]",
                  f"{item!r} is not a level of this database (its levels: {offered})")
        else:
            auto.add(Level(item))
    admin = None
    if data.get("admin") is not None:
        adata = p.mapping(data["admin"], f"{path}.admin", {"secret_arn", "iam_user"}, set())
        secret_arn, iam_user = adata.get("secret_arn"), adata.get("iam_user")
        if bool(secret_arn) == bool(iam_user):
            p.add(f"{path}.admin", "give exactly one of secret_arn or iam_user")
        if secret_arn is not None:
            p.text(secret_arn, f"{path}.admin.secret_arn", SECRET_ARN,
                   "is not a Secrets Manager secret ARN")
        if iam_user is not None:
            p.text(iam_user, f"{path}.admin.iam_user", SQL_IDENT,
                   "must match ^[a-z_][a-z0-9_]{0,62}$")
        admin = AdminSpec(secret_arn=secret_arn, iam_user=iam_user)
    terminate = data.get("terminate_sessions", False)
    if not isinstance(terminate, bool):
        p.add(f"{path}.terminate_sessions", "must be true or false")
    description = data.get("description", "")
    if description and not isinstance(description, str):
        p.add(f"{path}.description", "must be text")
    if len(p.items) > start:
        return None
    return DatabaseSpec(
        name=name, account_id=str(account_id), region=region, engine=Engine(engine),
        host=data["host"], port=port, dbname=data["dbname"], levels=levels,
        durations=tuple(durations), approvers=approvers, approvals_channel=channel,
        description=description or "", instance_id=data.get("instance_id"),
        cluster_id=data.get("cluster_id"), resource_id=resource_id, requesters=requesters,
        auto_approve=frozenset(auto), admin=admin, terminate_sessions=terminate,
    )


def parse_catalog(data: Any) -> Catalog:
    """Validate data loaded from YAML; raise CatalogError with every problem found."""
    from bot.errors import CatalogError

    p = _Problems()
    if data is None:
        raise CatalogError(["the catalog is empty (start from catalog.example.yaml)"])
    top = p.mapping(data, "", TOP_KEYS, {"approvals_channel", "identity", "databases"})
    channel = p.text(top.get("approvals_channel"), "approvals_channel", CHANNEL_ID,
                     "is not a Slack channel id (C… or G…)") if "approvals_channel" in top else None
    admins = p.slack_ids(top.get("admins", []), "admins", groups=True)
    timeout = p.duration(top.get("approval_timeout", "30m"), "approval_timeout")
    unused = p.duration(top.get("unused_after", "90d"), "unused_after")
    identity = _identity(p, top.get("identity")) if "identity" in top else None
    accounts = _accounts(p, top.get("accounts"))
    databases: dict[str, DatabaseSpec] = {}
    raw_dbs = top.get("databases")
    if "databases" in top and (not isinstance(raw_dbs, dict) or not raw_dbs):
        p.add("databases", "must map at least one database name to its settings")
    elif isinstance(raw_dbs, dict):
        for name, raw in raw_dbs.items():
            spec = _database(p, str(name), raw, channel or "")
            if spec is not None:
                databases[spec.name] = spec
    if p.items:
        raise CatalogError(p.items)
    assert channel and identity and timeout and unused
    return Catalog(approvals_channel=channel, admins=admins, approval_timeout=timeout,
                   identity=identity, databases=databases, accounts=accounts,
                   unused_after=unused)
