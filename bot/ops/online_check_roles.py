"""`check --online` for identity.provision: who created roles will trust, and their boundary."""

import asyncio
import json
from typing import Any
from urllib.parse import unquote

from botocore.client import BaseClient

from bot.catalog.model import Catalog
from bot.errors import SetupError
from bot.ops.probe_failures import AWS
from bot.ops.probes import Probe, not_checked, run_probe
from bot.wiring import Providers
from providers.role_documents import boundary_arn


async def provision_probes(
    catalog: Catalog, providers: Providers, aws_blocked: str | None = None
) -> list[Probe]:
    """The bot's own ARN (trusted by the roles it makes) and each account's boundary policy."""
    provision, roles, aws = catalog.identity.provision, providers.roles, providers.aws
    if provision is None or roles is None or aws is None:
        return []
    if aws_blocked:
        return [not_checked("identity.provision (trust and boundaries)", aws_blocked)]

    async def trusted() -> str:
        return f"roles the bot creates will trust {await roles.bot_arn()}"  # type: ignore[attr-defined]

    probes = [
        await run_probe(
            "identity.provision: the bot's own principal",
            trusted,
            service=AWS,
            where="STS",
            fix="give the pod its IRSA role or set AWS credentials",
        )
    ]
    for account in sorted({db.account_id for db in catalog.databases.values()}):
        boundary = boundary_arn(provision, account)

        async def exists(account: str = account, boundary: str = boundary) -> str:
            document = await asyncio.to_thread(_boundary_document, aws.iam(account), boundary)
            extra = sorted(allowed_beyond_connect(document))
            if extra:
                raise SetupError(f"{boundary} allows more than rds-db:connect ({', '.join(extra)})")
            return f"{boundary} exists and allows only rds-db:connect"

        probes.append(
            await run_probe(
                f"identity.provision: permissions boundary in {account}",
                exists,
                service=AWS,
                where="IAM",
                fix="create it from `db-access-bot iam-policy --boundary --account "
                f"{account}` (it may allow only rds-db:connect), or fix permissions_boundary",
            )
        )
    return probes


def _boundary_document(iam: BaseClient, arn: str) -> dict[str, Any]:
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
    text = document["Document"]
    return json.loads(unquote(text)) if isinstance(text, str) else text


def allowed_beyond_connect(document: dict[str, Any]) -> set[str]:
    """Actions a boundary allows besides rds-db:connect (a boundary caps, so Deny is fine)."""
    statements = document.get("Statement") or []
    found: set[str] = set()
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement:
            found.add("NotAction: " + json.dumps(statement["NotAction"]))
        actions = statement.get("Action") or []
        found |= {
            a
            for a in ([actions] if isinstance(actions, str) else actions)
            if a.lower() != "rds-db:connect"
        }
    return found
