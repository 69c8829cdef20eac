"""Local law evaluated as data.

Every applicable policy (state → county → city → the agency itself, plus any 287(g) agreement) is read at
the date of the action; each dimension takes the most restrictive value, because a city or an agency cannot
loosen state law. The result names every rule that applied, with its citation, and is stored on the case.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from django.db.models import F, Q

from holdtrack.core.legal_rules import R_HOLD_48H
from holdtrack.jurisdictions.models import (
    Agreement287g,
    AgreementModel,
    HoldRule,
    LawEnforcementAgency,
    NotifyRule,
    Policy,
    SubpoenaRule,
)

DEFAULT_HOLD_HOURS = R_HOLD_48H.hours
DEFAULT_HOLD_RULE = R_HOLD_48H.ref
DEFAULT_HOLD_CITATION = f"8 CFR 287.7(d); Form I-247A (02/17) read as {DEFAULT_HOLD_HOURS} clock hours (domain.md A1.5)"

_HOLD_ORDER = [
    HoldRule.HONOR,
    HoldRule.JUDICIAL_WARRANT,
    HoldRule.JUDICIAL_WARRANT_AND_SERIOUS,
    HoldRule.LISTED_OFFENSES,
    HoldRule.NEVER,
]
_NOTIFY_ORDER = [NotifyRule.ALLOWED, NotifyRule.CONDITIONAL, NotifyRule.PROHIBITED]
_SUBPOENA_ORDER = [
    SubpoenaRule.HONOR,
    SubpoenaRule.LEGAL_REVIEW,
    SubpoenaRule.JUDICIAL_ONLY,
    SubpoenaRule.DECLINE_DOCUMENT_REPORT,
]


@dataclass(frozen=True)
class RuleHit:
    rule_id: str
    citation: str
    effect: str


@dataclass
class Evaluation:
    on: str
    lea_ori: str
    hold_rule: str = HoldRule.HONOR
    hold_allowed: bool = True
    hold_max_hours: int = DEFAULT_HOLD_HOURS
    hold_ceiling_rule: str = DEFAULT_HOLD_RULE
    notify_rule: str = NotifyRule.ALLOWED
    notify_allowed: bool = True
    subpoena_handling: str = SubpoenaRule.LEGAL_REVIEW
    release_within_hours: int | None = None
    agreement_287g: str = ""
    hits: list[RuleHit] = field(default_factory=list)
    refusal: RuleHit | None = None
    # Which rule set the strictest value of each dimension (so a refusal cites the law that caused it).
    hold_source: RuleHit | None = None
    notify_source: RuleHit | None = None
    subpoena_source: RuleHit | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def rule_ids(self) -> list[str]:
        return [h.rule_id for h in self.hits]

    def explain(self) -> str:
        return "; ".join(f"{h.rule_id} ({h.citation}): {h.effect}" for h in self.hits)


# A batch job that evaluates thousands of cases while no policy changes (the simulator, an import) may memoise
# the reads for its own duration: each agency's rows are read once, undated, and filtered by date in Python.
# Outside such a scope every evaluation reads the current rows.
_memo: ContextVar[dict[tuple[str, int], Any] | None] = ContextVar("policy_memo", default=None)


@contextmanager
def memoised_reads() -> Iterator[None]:
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _memoised_rows(kind: str, lea: LawEnforcementAgency, rows: Any) -> list[Any] | None:
    """Every row of ``rows`` (all dates) once per scope and agency, or ``None`` outside a memo scope."""
    memo = _memo.get()
    if memo is None:
        return None
    key = (kind, lea.pk)
    if key not in memo:
        memo[key] = list(rows())
    return memo[key]


def _in_force(p: Policy, on: date) -> bool:
    return p.effective_from <= on and (p.effective_to is None or p.effective_to >= on)


def _policy_rows(lea: LawEnforcementAgency) -> Any:
    """Every version of every policy of the agency and every enclosing jurisdiction, newest version first."""
    jurisdictions = lea.jurisdiction.ancestors()
    ids = {j.pk for j in jurisdictions}
    # A county agency is also bound by a city that contains its county (NYC spans five counties) — not the
    # reverse. Cities whose member counties include this one are added.
    for j in jurisdictions:
        ids.update(j.cities.values_list("pk", flat=True))
    return Policy.objects.filter(Q(jurisdiction_id__in=ids) | Q(lea=lea)).order_by("key", "-version")


def applicable_policies(lea: LawEnforcementAgency, on: date) -> list[Policy]:
    """The newest version of each policy in force on ``on`` for the agency and every enclosing jurisdiction."""
    rows = _memoised_rows("policies", lea, lambda: _policy_rows(lea))
    if rows is None:
        rows = list(
            _policy_rows(lea)
            .filter(effective_from__lte=on)
            .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        )
    newest: dict[str, Policy] = {}
    for p in rows:
        if _in_force(p, on):
            newest.setdefault(p.key, p)
    return list(newest.values())


def _agreement_rows(lea: LawEnforcementAgency) -> Any:
    # Many agencies sign JEM and WSO on the same day. Prefer JEM (the broader jail authority; "JEM" sorts before
    # "WSO"), then the earliest known signing date, then the row id, so the stored evaluation is the same on
    # SQLite and PostgreSQL (they order NULLs differently and break ties arbitrarily).
    return Agreement287g.objects.filter(
        lea=lea, status="ACTIVE", model__in=[AgreementModel.JEM, AgreementModel.WSO]
    ).order_by("model", F("signed_on").asc(nulls_last=True), "pk")


def active_agreement(lea: LawEnforcementAgency, on: date) -> Agreement287g | None:
    rows = _memoised_rows("agreement", lea, lambda: _agreement_rows(lea))
    if rows is None:
        return _agreement_rows(lea).filter(Q(signed_on__isnull=True) | Q(signed_on__lte=on)).first()
    return next((a for a in rows if a.signed_on is None or a.signed_on <= on), None)


def evaluate(
    lea: LawEnforcementAgency,
    *,
    on: date,
    judicial_warrant: bool = False,
    serious_conviction: bool = False,
) -> Evaluation:
    ev = Evaluation(on=on.isoformat(), lea_ori=lea.ori)
    ev.hits.append(
        RuleHit(
            DEFAULT_HOLD_RULE,
            DEFAULT_HOLD_CITATION,
            f"hold ceiling {DEFAULT_HOLD_HOURS} clock hours from release eligibility",
        )
    )
    agreement = active_agreement(lea, on)
    if agreement is not None:
        ev.agreement_287g = f"{agreement.get_model_display()} signed {agreement.signed_on or 'date not published'}"
        ev.hits.append(
            RuleHit(
                f"287G-{agreement.pk}",
                "8 U.S.C. 1357(g); ICE 287(g) participating agencies sheet " + agreement.source_sheet,
                f"287(g) {agreement.get_model_display()} agreement in force (a cooperation agreement; it does not "
                "override state or local law)",
            )
        )
    for policy in applicable_policies(lea, on):
        _apply(ev, policy)
    _decide(ev, judicial_warrant=judicial_warrant, serious_conviction=serious_conviction)
    return ev


def _stricter(current: str, candidate: str, order: list[Any]) -> str:
    return candidate if order.index(candidate) > order.index(current) else current


def _apply(ev: Evaluation, p: Policy) -> None:
    effects = []
    if p.hold_requests != HoldRule.HONOR:
        effects.append(p.get_hold_requests_display())
    if p.hold_max_hours is not None and p.hold_max_hours < ev.hold_max_hours:
        effects.append(f"hold ceiling {p.hold_max_hours} h")
    if p.notification_requests != NotifyRule.ALLOWED:
        effects.append(p.get_notification_requests_display())
    if p.subpoena_handling != SubpoenaRule.LEGAL_REVIEW:
        effects.append(p.get_subpoena_handling_display())
    if p.release_within_hours is not None:
        effects.append(f"release within {p.release_within_hours} h of bond or PR")
    hit = RuleHit(p.rule_id, p.citation, "; ".join(effects) or "no restriction on this request")
    ev.hits.append(hit)

    if _stricter(ev.hold_rule, p.hold_requests, _HOLD_ORDER) != ev.hold_rule:
        ev.hold_rule, ev.hold_source = p.hold_requests, hit
    if p.hold_max_hours is not None and p.hold_max_hours < ev.hold_max_hours:
        ev.hold_max_hours, ev.hold_ceiling_rule = p.hold_max_hours, p.rule_id
        if p.hold_max_hours <= 0:
            ev.hold_source = hit
    if _stricter(ev.notify_rule, p.notification_requests, _NOTIFY_ORDER) != ev.notify_rule:
        ev.notify_rule, ev.notify_source = p.notification_requests, hit
    if _stricter(ev.subpoena_handling, p.subpoena_handling, _SUBPOENA_ORDER) != ev.subpoena_handling:
        ev.subpoena_handling, ev.subpoena_source = p.subpoena_handling, hit
    if p.release_within_hours is not None:
        ev.release_within_hours = min(ev.release_within_hours or p.release_within_hours, p.release_within_hours)


def _decide(ev: Evaluation, *, judicial_warrant: bool, serious_conviction: bool) -> None:
    rule = HoldRule(ev.hold_rule)
    if rule == HoldRule.HONOR:
        ev.hold_allowed = True
    elif rule == HoldRule.JUDICIAL_WARRANT:
        ev.hold_allowed = judicial_warrant
    elif rule == HoldRule.JUDICIAL_WARRANT_AND_SERIOUS:
        ev.hold_allowed = judicial_warrant and serious_conviction
    else:
        ev.hold_allowed = False
    if ev.hold_max_hours <= 0:
        ev.hold_allowed = False
    if not ev.hold_allowed:
        ev.refusal = ev.hold_source or ev.hits[-1]
    notify = NotifyRule(ev.notify_rule)
    ev.notify_allowed = notify == NotifyRule.ALLOWED or (notify == NotifyRule.CONDITIONAL and serious_conviction)
