"""Who must sign an application for a client: the Company Register's representation rule of
each signatory, matched to the client's linked users (MANUAL-EN §7–8, §13).

A set of signatures meets the rule when one of its signers' own rule is satisfied by the set:
an officer who represents `individually` alone; one `with_at_least` N together with enough
other signatories (N others, or N in all: `counts`, as `RepresentationRule.signers_required`
reads it); one `with_all` with every signatory the register names. The right to sign comes
from the register, never from the portal role: a main user who is not a representative has
no rule here and so never counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from portal.company_register import RegisterEntry, RepresentationRule, match_officer
from portal.identity import NaturalPerson

Counts = Literal["others", "total"]
ALONE = RepresentationRule("individually")


@dataclass(frozen=True, slots=True)
class SigningRule:
    """The client's signers (person id -> their rule) and how many signatories there are."""

    rules: Mapping[int, RepresentationRule]
    signatories: int
    counts: Counts

    def needed_with(self, person_id: int) -> int:
        rule = self.rules[person_id]
        return rule.signers_required(signatories=self.signatories, counts=self.counts)

    def met(self, signed: Iterable[int]) -> bool:
        signers = {p for p in signed if p in self.rules}
        return any(len(signers) >= self.needed_with(p) for p in signers)

    def pending(self, signed: Iterable[int], refused: Iterable[int] = ()) -> tuple[int, ...]:
        """Signers still to be asked: none once the rule is met; never one who refused."""
        done = set(signed)
        if self.met(done):
            return ()
        out = done | set(refused)
        return tuple(sorted(p for p in self.rules if p not in out))


def company_rule(
    entry: RegisterEntry | None,
    users: Iterable[tuple[int, NaturalPerson]],
    *,
    counts: Counts,
) -> SigningRule:
    """The linked users whom the register makes signatories of the company, with their rule."""
    if entry is None:
        return SigningRule({}, 0, counts)
    rules: dict[int, RepresentationRule] = {}
    for person_id, person in users:
        match = match_officer(entry, person)
        if match is not None:
            rules[person_id] = match.rule
    return SigningRule(rules, len(entry.signatories), counts)


def own_rule(person_id: int) -> SigningRule:
    """A natural person signs for themselves alone (how N is read does not matter then)."""
    return SigningRule({person_id: ALONE}, 1, "total")
