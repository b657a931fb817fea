"""The `db-access-bot` command line: run, migrate, check, manifest, catalog-schema, iam-policy,
audit. Every failure an operator can cause ends in one line naming the fix and exit code 2."""

import argparse
import asyncio
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence

from botocore.exceptions import InvalidConfigError

from bot.catalog.identity_templates import catalog_warnings
from bot.catalog.model import Catalog, load_catalog
from bot.cli_parser import parser
from bot.config import Settings, load_settings
from bot.errors import CatalogError, DbAccessError, InputError, SetupError
from bot.store.access import url_problem

EXIT_OK, EXIT_BUG, EXIT_PROBLEMS = 0, 1, 2
DEBUG_VARIABLE = "DB_ACCESS_DEBUG"


def _fail(problems: Sequence[str]) -> int:
    print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found:", file=sys.stderr)
    for problem in problems:
        print(f"  ✗ {problem}", file=sys.stderr)
    return EXIT_PROBLEMS


def _catalog(settings: Settings) -> Catalog:
    try:
        return load_catalog(settings.db_access_catalog)
    except CatalogError as exc:
        raise SystemExit(_fail(exc.problems)) from None


def _validated() -> tuple[Settings, Catalog]:
    """Settings and catalog, or exit 2 listing every problem of both."""
    settings, problems = load_settings()
    problems += settings.problems()
    catalog = None
    try:
        catalog = load_catalog(settings.db_access_catalog)
    except CatalogError as exc:
        problems += exc.problems
    if problems:
        raise SystemExit(_fail(problems))
    assert catalog is not None
    return settings, catalog


def _warnings(settings: Settings, catalog: Catalog) -> list[str]:
    """What works, but not as the catalog intends (the bot stays on the safe side)."""
    from bot.oncall import on_call_setting_warnings

    return on_call_setting_warnings(settings, catalog)


def _store_url() -> str:
    """DATABASE_URL, when it names a store this bot can use."""
    settings, _ = load_settings()  # other settings do not matter to the store commands
    problem = url_problem(settings.database_url)
    if problem:
        raise SetupError(problem)
    return settings.database_url


def cmd_run(args: argparse.Namespace) -> int:
    """Start the service."""
    from bot.ops.logs import configure_logging
    from bot.store.access import require_ready
    from bot.wiring import build_service

    settings, catalog = _validated()
    configure_logging(settings.log_level)
    for warning in [*catalog_warnings(catalog), *_warnings(settings, catalog)]:
        logging.getLogger("db_access_bot.catalog").warning(warning)

    async def serve() -> None:
        store = await require_ready(settings.database_url)
        if store.newer:
            logging.getLogger(__name__).warning(
                "the state store's schema is newer than this version; running anyway",
                extra={"store": store.summary},
            )
        # Built inside the loop: the Socket Mode client opens an aiohttp session at once.
        await build_service(settings, catalog).run()

    asyncio.run(serve())
    return EXIT_OK


def cmd_migrate(args: argparse.Namespace) -> int:
    """Bring the state store's schema up to date."""
    from bot.store.access import migrate

    where = migrate(_store_url(), args.revision)
    print(f"state store {where} is at revision {args.revision}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """Validate settings and catalog offline (and, with --online, the outside systems)."""
    settings, catalog = _validated()
    levels = sum(len(db.levels) for db in catalog.databases.values())
    channels = {db.approvals_channel for db in catalog.databases.values()}
    print(
        f"✓ {settings.db_access_catalog}: {len(catalog.databases)} databases, {levels} levels, "
        f"{len(channels)} approvals channel(s); settings ok"
    )
    for warning in [*catalog_warnings(catalog), *_warnings(settings, catalog)]:
        print(f"  ⚠ {warning}", file=sys.stderr)
    if args.online:
        from bot.ops.online_check import run_online_checks

        return asyncio.run(run_online_checks(settings, catalog))
    return EXIT_OK


def cmd_manifest(args: argparse.Namespace) -> int:
    """Print the Slack app manifest."""
    from bot.slack.manifest import manifest_yaml

    print(manifest_yaml(args.name), end="")
    return EXIT_OK


def cmd_catalog_schema(args: argparse.Namespace) -> int:
    """Print the catalog's JSON Schema, for editors and the Helm chart."""
    from bot.catalog.schema import catalog_json_schema

    print(json.dumps(catalog_json_schema(), indent=2, ensure_ascii=False))
    return EXIT_OK


def cmd_iam_policy(args: argparse.Namespace) -> int:
    """Print the IAM policy the bot's role (or a manage role, or a user role's trust) needs."""
    from bot.ops.iam_policy import (
        bot_role_policy,
        manage_role_policy,
        role_arn_problem,
        trust_policy_for_user_roles,
    )

    if args.trust_for is not None:
        problem = role_arn_problem(args.trust_for)
        if problem:
            raise InputError(f"--trust-for {args.trust_for!r} {problem}")
        print(json.dumps(trust_policy_for_user_roles(args.trust_for), indent=2))
        return EXIT_OK
    catalog = _catalog(load_settings()[0])
    if args.account and args.account not in {db.account_id for db in catalog.databases.values()}:
        return _fail([f"--account {args.account}: no database in the catalog uses it"])
    if args.boundary:
        from bot.ops.iam_policy_roles import boundary_policy

        print(json.dumps(boundary_policy(catalog, args.account), indent=2))
        return EXIT_OK
    policy = manage_role_policy(catalog, args.account) if args.account else bot_role_policy(catalog)
    print(json.dumps(policy, indent=2))
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    """Export the audit trail, or verify its hash chain."""
    if args.verify == args.csv:
        return _fail(["audit: give exactly one of --csv (export) or --verify (check the chain)"])
    if args.verify:
        if args.since or args.db:
            return _fail(["audit --verify checks the whole chain; drop --since and --db"])
        return _verify(_store_url())
    from bot.ops.audit_export import export_csv, since_start

    start = since_start(args.since)
    url = _store_url()
    known = _catalog_databases() if args.db is not None else set()
    return asyncio.run(
        export_csv(url, since=start, database=args.db, also_known=known, out=sys.stdout)
    )


def _catalog_databases() -> set[str]:
    """The catalog's database names, when it can be read (`audit` works without a catalog)."""
    try:
        return set(load_catalog(load_settings()[0].db_access_catalog).databases)
    except CatalogError:
        return set()


def _verify(url: str) -> int:
    from bot.ops.audit_verify import verify_url

    result = asyncio.run(verify_url(url))
    if not result.ok:
        return _fail([result.summary()])
    print(f"✓ {result.summary()}")
    return EXIT_OK


def _scrubbed(text: str) -> str:
    """text without tokens, passwords or the DATABASE_URL's credentials."""
    from bot.ops.logs import scrub

    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "DATABASE_URL"):
        value = os.environ.get(name, "")
        if len(value) >= 8:
            text = text.replace(value, f"<{name}>")
    return scrub(re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", text))


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": cmd_run,
    "migrate": cmd_migrate,
    "check": cmd_check,
    "manifest": cmd_manifest,
    "catalog-schema": cmd_catalog_schema,
    "iam-policy": cmd_iam_policy,
    "audit": cmd_audit,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = parser().parse_args(argv)
    try:
        code = COMMANDS[args.command](args)
        sys.stdout.flush()  # here, so a closed pipe is handled below and not at exit
        return code
    except KeyboardInterrupt:
        return 130
    except DbAccessError as exc:
        print(f"db-access-bot {args.command}: {exc.user_message}", file=sys.stderr)
        return EXIT_PROBLEMS
    except InvalidConfigError as exc:
        # botocore refuses its own settings (e.g. AWS_CA_BUNDLE set but empty) before any call.
        print(
            f"db-access-bot {args.command}: AWS configuration: {_scrubbed(str(exc))} "
            "Fix or unset the AWS_* variable it names.",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away; say nothing more on the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BUG
    except Exception as exc:
        if os.environ.get(DEBUG_VARIABLE):
            raise
        detail = _scrubbed(str(exc).splitlines()[0] if str(exc) else "")[:300]
        print(
            f"db-access-bot {args.command}: unexpected {type(exc).__name__}: {detail} "
            f"(a bug; set {DEBUG_VARIABLE}=1 to see the traceback, and report it)",
            file=sys.stderr,
        )
        return EXIT_BUG


if __name__ == "__main__":
    raise SystemExit(main())
