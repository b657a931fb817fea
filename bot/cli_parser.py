"""The `db-access-bot` argument parser: each command's --help says what it does and what it reads.

The settings each command lists come from bot.config.Settings, so a new setting shows up in
`run --help` and `check --help` without anyone remembering to add it.
"""

import argparse
import importlib.metadata
import textwrap
from collections.abc import Sequence

from bot.config import Settings

PACKAGE = "db-access-bot"
SETTINGS_HEADING = "settings (environment):"
# Without these `run` refuses to start; every other setting has a working default.
REQUIRED = ("slack_bot_token", "slack_app_token", "privatebin_url")
EVERY_SETTING = tuple(Settings.model_fields)
AWS_NOTE = (
    "AWS credentials come from the standard chain (the pod's IRSA role, or AWS_PROFILE / "
    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY); each database's region comes from the catalog."
)
WIDTH = 78


def package_version() -> str:
    """The installed package's version."""
    try:
        return importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:  # run from a checkout without installing
        return "unknown (not installed; run scripts/setup)"


def _fill(text: str) -> str:
    return "\n".join(textwrap.fill(paragraph, WIDTH) for paragraph in text.split("\n"))


def _default(name: str) -> str:
    if name in REQUIRED:
        return "(required)"
    default = Settings.model_fields[name].default
    return "(optional)" if default is None else f"(default: {default})"


def settings_help(names: Sequence[str], note: str = "") -> str:
    """The epilog listing names (Settings fields) with what each means and its default."""
    if not names:
        return "It reads no settings."
    pad = max(len(name) for name in names) + 2
    lines = [SETTINGS_HEADING]
    for name in names:
        text = f"{Settings.model_fields[name].description} {_default(name)}"
        # Never break inside a URL or a path: a copied default must still work.
        first, *rest = textwrap.wrap(
            text, WIDTH - pad - 2, break_on_hyphens=False, break_long_words=False
        )
        lines.append(f"  {name.upper():<{pad}}{first}")
        lines += [" " * (pad + 2) + line for line in rest]
    return "\n".join(lines) + (f"\n\n{_fill(note)}" if note else "")


def _command(
    sub: "argparse._SubParsersAction[argparse.ArgumentParser]",
    name: str,
    summary: str,
    description: str,
    reads: Sequence[str] = (),
    note: str = "",
) -> argparse.ArgumentParser:
    return sub.add_parser(
        name,
        help=summary,
        description=_fill(description),
        epilog=settings_help(reads, note),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def parser() -> argparse.ArgumentParser:
    """The argument parser with every command; args.command names the one chosen."""
    top = argparse.ArgumentParser(
        prog=PACKAGE,
        description="Temporary, approved, audited IAM access to RDS/Aurora through Slack.",
        epilog=_fill(
            "Run `db-access-bot COMMAND --help` for what a command does and which settings it "
            "reads. Exit codes: 0 done, 2 a problem you can fix (the message says which), "
            "1 a bug."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _command(
        sub,
        "run",
        "run the service (Socket Mode, health server, scheduler)",
        "Run the service: the Socket Mode connection to Slack, the approval workflow, the "
        "scheduler (revocations, reminders, reconciliation) and the health server (/healthz, "
        "/metrics). Refuses to start (exit 2) while a setting or the catalog is invalid, or "
        "while the state store cannot be reached or needs `db-access-bot migrate`.",
        EVERY_SETTING,
        AWS_NOTE,
    )
    p = _command(
        sub,
        "migrate",
        "create or upgrade the state store schema (Alembic)",
        "Create or upgrade the state store's schema (Alembic). Run it before the first `run` "
        "and after every upgrade; the Helm chart runs it as a pre-install/pre-upgrade Job. A "
        "store already at the revision is left as it is.",
        ["database_url"],
    )
    p.add_argument("--revision", default="head", help="target revision (default: head)")
    p = _command(
        sub,
        "check",
        "validate settings and catalog; exit 2 on problems",
        "Validate the settings and the catalog without changing anything: token prefixes, "
        "URLs, the DATABASE_URL driver, RDS_CA_BUNDLE, every catalog key. Exit 0 with a "
        "one-line summary, or 2 listing every problem at once.\n"
        "With --online, also probe the state store, Slack, AWS, the admin connections and "
        "PrivateBin, one line each, telling a system that cannot be reached (DNS, refused, "
        "TLS, timeout) from one that refuses the bot's token or credentials.",
        EVERY_SETTING,
        AWS_NOTE,
    )
    p.add_argument(
        "--online",
        action="store_true",
        help="also probe the state store, Slack, AWS, the databases and PrivateBin",
    )
    p = _command(
        sub,
        "manifest",
        "print the Slack app manifest (YAML)",
        "Print the Slack app manifest (YAML) to create the app from: Socket Mode, the "
        "/db-access command, App Home and the bot scopes.",
    )
    p.add_argument("--name", default=PACKAGE, help="app and bot display name")
    _command(
        sub,
        "catalog-schema",
        "print the JSON Schema of the catalog (draft 2020-12)",
        "Print the JSON Schema (draft 2020-12) of the catalog, for an editor's YAML language "
        "server or a CI check of the catalog.",
    )
    p = _command(
        sub,
        "iam-policy",
        "print the least-privilege IAM policy for the bot",
        "Print a least-privilege IAM policy as JSON: by default the bot role's, derived from "
        "the catalog; with --account, that account's manage role; with --boundary, the "
        "permissions boundary of the roles the bot creates (identity.provision); with "
        "--trust-for, the trust policy each per-user role needs so the bot role can assume it "
        "(no catalog needed).",
        ["db_access_catalog"],
    )
    p.add_argument("--account", help="print the policy of this account's manage role instead")
    p.add_argument(
        "--trust-for",
        metavar="BOT_ROLE_ARN",
        help="print the trust policy each per-user role needs for this bot role "
        "(arn:aws:iam::<account id>:role/<name>)",
    )
    p.add_argument(
        "--boundary",
        action="store_true",
        help="print the permissions boundary for the roles the bot creates (identity.provision)",
    )
    p = _command(
        sub,
        "audit",
        "export the audit trail or verify its hash chain",
        "Stream the audit trail as CSV (RFC 4180) to stdout, oldest first (--csv), or check "
        "every row against the hash chain and name the first broken one (--verify). Read-only: "
        "it never creates or migrates the state store.",
        ["database_url", "db_access_catalog"],
        "The catalog is optional here: when it can be read, --db also accepts its databases "
        "that have no events yet.",
    )
    p.add_argument("--csv", action="store_true", help="write CSV to stdout (RFC 4180)")
    p.add_argument(
        "--verify",
        action="store_true",
        help="check every row against the hash chain; exit 2 naming the first broken row",
    )
    p.add_argument("--since", help="only events newer than this, e.g. 7d, 12h (--csv)")
    p.add_argument("--db", help="only events of this database, of the trail or catalog (--csv)")
    return top
