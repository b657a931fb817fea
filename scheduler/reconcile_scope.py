"""Which IAM principals reconciliation may touch: what the identity templates can name, and
the principals of grants the bot keeps."""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.catalog.model import Catalog
from bot.domain import Level

# What a template placeholder may stand for in an ARN (IAM names: [\w+=,.@-]).
_PLACEHOLDERS = {
    "account_id": r"\d{12}",
    "handle": r"[\w+=,.@-]+",
    "level": "(?:" + "|".join(re.escape(level.value) for level in Level) + ")",
}
_PLACEHOLDER = re.compile(r"\{(account_id|handle|level)\}")


def template_pattern(template: str) -> re.Pattern[str]:
    """A regex matching every ARN the principal template can produce."""
    parts, last = [], 0
    for match in _PLACEHOLDER.finditer(template):
        parts += [re.escape(template[last : match.start()]), _PLACEHOLDERS[match[1]]]
        last = match.end()
    parts.append(re.escape(template[last:]))
    return re.compile("".join(parts), re.ASCII)


@dataclass(frozen=True)
class Scope:
    """The principals one reconciliation pass looks at."""

    patterns: tuple[re.Pattern[str], ...]
    known: frozenset[str]

    @classmethod
    def of(cls, catalog: Catalog, known: Iterable[str]) -> "Scope":
        """The catalog's identity templates (overrides too) plus the known principal ARNs."""
        templates = {catalog.identity.principal}
        templates |= {
            o["principal"] for o in catalog.identity.overrides.values() if "principal" in o
        }
        return cls(tuple(template_pattern(t) for t in sorted(templates)), frozenset(known))

    @property
    def kinds(self) -> frozenset[str]:
        """ "role" and/or "user": the kinds of principal IAM must be asked about."""
        sources = [p.pattern for p in self.patterns] + list(self.known)
        return frozenset(
            kind for kind in ("role", "user") if any(f":{kind}/" in text for text in sources)
        )

    def covers(self, arn: str) -> bool:
        """Whether reconciliation may delete and restore grant policies on this principal."""
        return arn in self.known or any(p.fullmatch(arn) for p in self.patterns)
