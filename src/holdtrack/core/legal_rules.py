"""The versioned legal rules that set a clock, each with its length stated once.

Clocks (``cases.clocks``), the policy evaluation (``jurisdictions.policy``), the sweep, the documents and the
invariants read a rule's length here instead of retyping it. They sit on the floor because the reference data
below the cases (the federal default in ``jurisdictions.policy``, the Colorado statute in its reference rows)
cites them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Rule:
    id: str
    version: int
    title: str
    citation: str
    # The length the rule itself sets; None when the case states it (days on a subpoena, in a court order).
    length: timedelta | None = None

    @property
    def ref(self) -> str:
        return f"{self.id} v{self.version}"

    @property
    def span(self) -> timedelta:
        if self.length is None:
            raise ValueError(f"{self.ref} sets no length of its own: the case states it.")
        return self.length

    @property
    def hours(self) -> int:
        """The length in whole clock hours (every fixed-length rule is counted in hours)."""
        return int(self.span // timedelta(hours=1))

    @property
    def length_text(self) -> str:
        """The length as the clocks' explanations say it ("48 hours")."""
        return f"{self.hours} hours"

    def due(self, start: datetime) -> datetime:
        """The instant the rule's length runs out, counted from ``start`` (elapsed time, not wall-clock)."""
        return start + self.span

    def before(self, end: datetime) -> datetime:
        """The instant the rule's length before ``end`` (a target set by a later event, as advance notice)."""
        return end - self.span


R_HOLD_48H = Rule(
    "R-HOLD-48H",
    1,
    "Hold ceiling: 48 consecutive clock hours from release eligibility",
    "8 CFR 287.7(d); Form I-247A (02/17); protective reading, domain.md A1.5",
    timedelta(hours=48),
)
R_NOTICE_48H = Rule(
    "R-NOTICE-48H",
    1,
    "Notice target: 48 hours before projected release",
    "Form I-247A request to notify at least 48 hours before release if possible",
    timedelta(hours=48),
)
R_NEUTRAL_REVIEW = Rule(
    "R-NEUTRAL-REVIEW-48H",
    1,
    "Neutral probable-cause review within 48 hours of issuance",
    "Gonzalez v. ICE settlement, in force 2025-03-04 (domain.md A1.10)",
    timedelta(hours=48),
)
R_SUBPOENA_RETURN = Rule(
    "R-SUBPOENA-RETURN",
    1,
    "Return date: the days stated on the subpoena from service; a weekend or federal holiday "
    "moves it to the next business day, end of that day in the recipient's zone",
    "8 U.S.C. 1225(d)(4); day counting as in Fed. R. Civ. P. 6(a)(1)(C)",
)
R_COMPLY_BY = Rule(
    "R-COMPLY-BY",
    1,
    "Comply-by: the days stated in the court's order, counted as in FRCP 6(a)",
    "Court order terms; Fed. R. Civ. P. 6(a)(1)(C)",
)
R_CO_RELEASE_6H = Rule(
    "R-CO-RELEASE-6H",
    1,
    "Release within 6 hours of bond posted or PR granted",
    "Colorado SB25-276 and C.R.S. 16-4-102 as summarised in domain.md A3.2",
    timedelta(hours=6),
)

RULES = {
    r.ref: r for r in (R_HOLD_48H, R_NOTICE_48H, R_NEUTRAL_REVIEW, R_SUBPOENA_RETURN, R_COMPLY_BY, R_CO_RELEASE_6H)
}

__all__ = [
    "RULES",
    "R_COMPLY_BY",
    "R_CO_RELEASE_6H",
    "R_HOLD_48H",
    "R_NEUTRAL_REVIEW",
    "R_NOTICE_48H",
    "R_SUBPOENA_RETURN",
    "Rule",
]
