"""`check --online` for identity.provision: who created roles will trust, and their boundary."""

import asyncio

from bot.catalog import Catalog
from bot.online_check import Probe, run_probe
from bot.wiring import Providers
from providers.role_documents import boundary_arn


async def provision_probes(catalog: Catalog, providers: Providers) -> list[Probe]:
    """The bot's own ARN (trusted by the roles it makes) and each account's boundary policy."""
    provision, roles, aws = catalog.identity.provision, providers.roles, providers.aws
    if provision is None or roles is None or aws is None:
        return []

    async def trusted() -> str:
        return f"roles the bot creates will trust {await roles.bot_arn()}"  # type: ignore[attr-defined]

    probes = [
        await run_probe(
            "identity.provision: the bot's own principal",
            trusted,
            "give the pod its IRSA role or set AWS credentials",
        )
    ]
    for account in sorted({db.account_id for db in catalog.databases.values()}):
        boundary = boundary_arn(provision, account)

        async def exists(account: str = account, boundary: str = boundary) -> str:
            await asyncio.to_thread(aws.iam(account).get_policy, PolicyArn=boundary)
            return f"{boundary} exists"

        probes.append(
            await run_probe(
                f"identity.provision: permissions boundary in {account}",
                exists,
                "create it from `db-access-bot iam-policy --boundary --account "
                f"{account}` and give the bot iam:GetPolicy on it, or fix permissions_boundary",
            )
        )
    return probes
