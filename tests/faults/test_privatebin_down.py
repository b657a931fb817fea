"""PrivateBin down: the grant is made, the user is told, New token works later, nothing leaks."""

import json

from bot.slack.actions import ActionId
from providers.privatebin import PrivateBinShare
from tests.support import catalogs
from tests.support.fakes import FAKE_SIGNATURE
from tests.support.harness import BotHarness, fake_providers
from tests.support.ports import free_port


async def test_grant_survives_privatebin_outage_and_new_token_recovers(
    state_url: str, privatebin_inproc: object
) -> None:
    providers = fake_providers()
    providers.share = PrivateBinShare(f"http://127.0.0.1:{free_port()}/", timeout=2)
    async with BotHarness(state_url, providers=providers) as h:
        await h.command("request orders-prod ro 1h investigating INC-9")
        [request] = await h.requests()
        await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)
        [grant] = await h.grants()
        assert grant.status == "active"
        assert h.iam.has(grant.principal_arn, grant.id)
        failed = h.emu.dms_to(catalogs.DEV)[-1]
        assert "could not create the login link" in json.dumps(failed.blocks)
        assert "refused the connection" in json.dumps(failed.blocks)
        assert "New token" in json.dumps(failed.blocks)
        assert [(i.kind, i.delivered) for i in await h.token_issues()] == [("link", False)]

        providers.share = PrivateBinShare(privatebin_inproc.url)  # type: ignore[attr-defined]
        h.workflow.d.share = providers.share
        await h.emu.click(
            user_id=catalogs.DEV,
            action_id=ActionId.NEW_TOKEN,
            value=grant.id,
            message=(failed.channel, failed.ts),
        )
        await h.settle()
        assert "One-time login link" in json.dumps(h.emu.dms_to(catalogs.DEV)[-1].blocks)
        assert [i.delivered for i in await h.token_issues()] == [False, True]
        slack = json.dumps([c.params for c in h.emu.calls])
        assert FAKE_SIGNATURE not in slack and "X-Amz-Signature" not in slack
        await providers.share.close()
