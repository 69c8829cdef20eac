"""The hold guards: what must hold before a detainer may keep a person, and the policy evaluation they read."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from holdtrack.audit.models import CaseType
from holdtrack.cases import clocks
from holdtrack.cases.models import (
    ACTIVE_STATES,
    HOLD_SUPPORTING_WARRANTS,
    Box,
    Detainer,
    DetainerState,
    RequestType,
    ReviewResult,
    Warrant,
)
from holdtrack.core.errors import DomainError, GuardRefused
from holdtrack.custody.identity import person_has_open_claim
from holdtrack.custody.rules import booking_released
from holdtrack.jurisdictions.policy import Evaluation, evaluate
from holdtrack.kernel.refusals import declare

S = DetainerState
C = CaseType.DETAINER
# What the guards and the policy evaluation read beside the row: fetched with it by the services that evaluate.
FACTS = ("facility", "addressed_lea__jurisdiction", "booking")


# ----------------------------------------------------------------------------------------------- guards


def has_open_claim(subject_id: int) -> bool:
    # A claim on any record of the person counts (ADR 0014): the booked record and the registry record of one
    # confirmed person share every safeguard.
    return person_has_open_claim(subject_id)


def hold_warrants(d: Detainer) -> list[Warrant]:
    return [w for w in d.warrants.all() if w.warrant_type in HOLD_SUPPORTING_WARRANTS]


def _has_judicial_warrant(d: Detainer) -> bool:
    # Only once the receiving LEA's counsel confirmed it: until then a policy reads the warrant as administrative
    # (the protective reading), so the agency cannot self-certify what only a court issues. Read from the
    # warrants ``with_warrants`` fetched, when it did (a detainer has one or two).
    return d.pk is not None and any(w.is_judicial and w.judicial_confirmed_at is not None for w in d.warrants.all())


def with_warrants(d: Detainer) -> Detainer:
    """The locked detainer's warrants, read once for every guard of the service (they change only under the same
    lock, in ``warrant_attach`` and ``warrant_confirm_judicial``)."""
    # What prefetch_related_objects stores, without its machinery (several times the query on this path).
    warrants = d.warrants.all()
    warrants._fetch_all()
    d._prefetched_objects_cache = {**getattr(d, "_prefetched_objects_cache", {}), "warrants": warrants}  # type: ignore[attr-defined]
    return d


def policy_evaluation(d: Detainer, at: datetime) -> Evaluation:
    # Law in force on the facility's calendar day, not the UTC day.
    tz_day = at.astimezone(ZoneInfo(d.facility.timezone)).date()
    return evaluate(
        d.addressed_lea,
        on=tz_day,
        judicial_warrant=_has_judicial_warrant(d),
        serious_conviction=d.booking.serious_conviction,
    )


def hold_guard_failures(d: Detainer, at: datetime, ev: Evaluation | None = None) -> list[GuardRefused]:
    """Every reason a hold may not be in effect on this detainer at ``at`` (domain.md B3.1 D6/D8, C2).
    Empty means the hold is lawful under the rules we encode."""
    problems: list[GuardRefused] = []
    if d.request_type != RequestType.HOLD:
        problems.append(GuardRefused(f"A {d.get_form_type_display()} is not a hold request.", rule="FORM-TYPE"))
    if not hold_warrants(d):
        problems.append(
            GuardRefused(
                "No hold without an administrative warrant (I-200 or I-205) attached.",
                rule="R-WARRANT-REQUIRED v1",
                citation="ICE Policy 10074.2 (in force 2017-04-02)",
            )
        )
    if d.box == Box.PC_REMOVABLE and not d.pc_bases:
        problems.append(
            GuardRefused(
                "No probable-cause basis is recorded.",
                rule="R-PC-BASIS v1",
                citation="Form I-247A section 1; Policy 10074.2",
            )
        )
    if d.served_at is None or d.served_at > at:
        problems.append(
            GuardRefused(
                "The detainer has not been served on the subject; it takes effect only on service.",
                rule="R-SERVICE v1",
                citation="Form I-247A (02/17), service on the subject",
            )
        )
    if has_open_claim(d.subject_id):
        problems.append(
            GuardRefused(
                "A citizenship claim is open: no hold until it is resolved.",
                rule="R-CITIZENSHIP-FREEZE v1",
                citation="GAO-21-487; Galarza v. Szalczyk, 745 F.3d 634 (3d Cir. 2014)",
            )
        )
    if d.neutral_review_required and d.neutral_review_result != ReviewResult.PC_FOUND:
        problems.append(
            GuardRefused(
                "Neutral probable-cause review has not found probable cause.",
                rule=clocks.R_NEUTRAL_REVIEW.ref,
                citation=clocks.R_NEUTRAL_REVIEW.citation,
            )
        )
    ev = ev or policy_evaluation(d, at)
    if not ev.hold_allowed:
        refusal = ev.refusal
        problems.append(
            GuardRefused(
                "Local law does not allow this hold.",
                rule=refusal.rule_id if refusal else ev.hold_rule,
                citation=refusal.citation if refusal else "",
            )
        )
    return problems


def raise_first(problems: list[GuardRefused]) -> None:
    if problems:
        raise problems[0]


# ------------------------------------------------------------------------------- custody transfer


def _not_yet_eligible(d: Detainer, at: datetime) -> GuardRefused | None:
    eligible = d.booking.release_eligible_at
    if d.state in ACTIVE_STATES and (eligible is None or eligible > at):
        return GuardRefused("The subject is not yet eligible for release; custody is transferred at release.")
    return None


def _booking_released(d: Detainer, at: datetime) -> DomainError | None:
    return booking_released(d.booking, at)  # the release the transfer records would be refused


# What ``custody_events.detainer_transfer_custody`` takes and checks beside its party rule (kernel.refusals).
declare("detainer_transfer_custody", steps=("transfer_custody",), checks=(_not_yet_eligible, _booking_released))
