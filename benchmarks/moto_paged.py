"""moto in a thread of the benchmark: seeded straight into its IAM model, and paging
GetAccountAuthorizationDetails the way IAM documents it (moto returns everything at once).

Seeding 100k policies through moto's HTTP API takes minutes; written into its model it takes
seconds, and the bot still reads them over HTTP. Paging matters because the bot's memory and
CPU per call depend on the page size: IAM answers at most MaxItems (≤ 1,000) entities a call,
with IsTruncated and a Marker for the rest.
"""

import json
import logging
import urllib.request
from datetime import datetime

from moto.core.responses import ActionResult
from moto.iam.models import iam_backends
from moto.iam.responses import IamResponse
from moto.server import ThreadedMotoServer

from providers.aws_policy import grant_policy, policy_json, policy_name
from tests.support import catalogs
from tests.support.ports import free_port, wait_for_port

_LISTS = (
    ("UserDetailList", "users"),
    ("GroupDetailList", "groups"),
    ("RoleDetailList", "roles"),
    ("Policies", "managed_policies"),
)
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{catalogs.ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def _paged_details(self: IamResponse) -> ActionResult:
    """GetAccountAuthorizationDetails with MaxItems and Marker, as IAM answers it."""
    details = self.backend.get_account_authorization_details(self._get_param("Filter", []))
    entities = [(key, item) for key, source in _LISTS for item in details[source]]
    start = int(self._get_param("Marker") or 0)
    size = int(self._get_param("MaxItems") or 100)
    page = entities[start : start + size]
    result: dict[str, object] = {key: [item for k, item in page if k == key] for key, _ in _LISTS}
    result["IsTruncated"] = start + size < len(entities)
    if result["IsTruncated"]:
        result["Marker"] = str(start + size)
    return ActionResult(result)


class PagedMoto:
    """A moto server thread on a free port; `url` is its endpoint."""

    def __init__(self) -> None:
        IamResponse.get_account_authorization_details = _paged_details  # type: ignore[method-assign]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request otherwise

    def __enter__(self) -> "PagedMoto":
        self._server.start()
        wait_for_port(self.port)
        # moto's models live in this process: forget what an earlier server here held.
        url = f"{self.url}/moto-api/reset"
        reset = urllib.request.Request(url, method="POST", data=b"")  # noqa: S310 (loopback)
        with urllib.request.urlopen(reset, timeout=30) as response:  # noqa: S310
            response.read()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.stop()

    @staticmethod
    def seed(grants: list[tuple[str, str, datetime]], *, resource_id: str) -> None:
        """A role per distinct role ARN and a grant policy per (grant id, role ARN, end)."""
        iam = iam_backends[catalogs.ACCOUNT]["global"]
        roles = {}
        for grant_id, role_arn, end in grants:
            name = role_arn.rsplit("/", 1)[1]
            if name not in roles:
                roles[name] = iam.create_role(
                    role_name=name,
                    assume_role_policy_document=TRUST,
                    path="/",
                    permissions_boundary=None,
                    description="",
                    tags=[],
                    max_session_duration=None,
                )
            handle = name.removeprefix("DatabasesRole_")
            document = grant_policy(
                grant_id=grant_id,
                region="eu-west-1",
                account_id=catalogs.ACCOUNT,
                resource_id=resource_id,
                db_user=f"{handle}_ro",
                expires_at=end,
            )
            # The model's own put, without IAM's validation and name lookup per call.
            roles[name].put_policy(policy_name(grant_id), policy_json(document))
