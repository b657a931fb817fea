"""Short ids people can type: a kind letter and 8 unambiguous lowercase characters."""

import secrets

_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_id(kind: str) -> str:
    """A fresh id like 'g7k2m9x4q' (alphanumeric so it is valid in IAM policy Sids)."""
    return kind + "".join(secrets.choice(_ALPHABET) for _ in range(8))


def looks_like(kind: str, text: str) -> bool:
    """Whether text has the shape of an id of that kind."""
    return len(text) == 9 and text[0] == kind and all(c in _ALPHABET for c in text[1:])
