"""Short ids people can type: a kind letter and 8 unambiguous lowercase characters."""

import secrets

_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_id(kind: str) -> str:
    """A fresh id like 'g7k2m9x4q' (alphanumeric so it is valid in IAM policy Sids)."""
    return kind + "".join(secrets.choice(_ALPHABET) for _ in range(8))
