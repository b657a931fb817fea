"""Read pastes back with pbincli, the independent PrivateBin client."""

from typing import Any
from urllib.parse import urlsplit

from pbincli.api import PrivateBin
from pbincli.format import Paste


def pbincli_get(link: str) -> dict[str, Any]:
    """The JSON answer for a paste link, fetched by pbincli's own API client."""
    parts = urlsplit(link)
    api = PrivateBin({"server": link.split("?")[0]})
    api.session.trust_env = False
    return api.get(parts.query)


def pbincli_read(link: str) -> str:
    """Fetch and decrypt a link the way `pbincli get` does; LookupError if it is gone."""
    result = pbincli_get(link)
    if result["status"]:
        raise LookupError(result["message"])
    paste = Paste()
    paste.setVersion(result.get("v", 1))
    # `#-` only asks the PrivateBin web UI to confirm before burning; the key follows it.
    paste.setHash(urlsplit(link).fragment.removeprefix("-"))
    paste.loadJSON(result)
    paste.decrypt()
    return paste.getText().decode()
