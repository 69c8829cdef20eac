"""Over-detention checks V1–V8 (domain.md A5.3), computed at minute level from recorded events."""

from __future__ import annotations

from datetime import datetime

from holdtrack.cases.models import HOLD_SUPPORTING_WARRANTS, Detainer, DetainerState, ReviewResult
from holdtrack.custody.identity import person_subject_ids
from holdtrack.custody.models import CitizenshipClaim, ReleaseType


def _minutes(a: datetime, b: datetime) -> int:
    return max(0, int((b - a).total_seconds() // 60))


def hold_minutes_used(d: Detainer) -> int:
    """Custody minutes after release eligibility attributable to the detainer's hold."""
    if d.hold_started_at is None:
        return 0
    end = d.hold_ended_at or d.booking.released_at
    if d.booking.released_at is not None and (end is None or d.booking.released_at < end):
        end = d.booking.released_at
    return _minutes(d.hold_started_at, end) if end else 0


def over_detention_flags(d: Detainer) -> list[dict[str, object]]:
    flags: list[dict[str, object]] = []
    b = d.booking
    eligible, released = b.release_eligible_at, b.released_at
    policy = d.policy_at_decision or {}
    # V2: custody continued past the hold ceiling (the sweep ends the hold; a late release is still flagged).
    if d.hold_expires_at and released and released > d.hold_expires_at:
        flags.append(
            {"code": "V2", "minutes": _minutes(d.hold_expires_at, released), "detail": "custody past the hold ceiling"}
        )
    if d.hold_started_at is not None:
        if policy and not policy.get("hold_allowed", True):
            flags.append({"code": "V1", "minutes": hold_minutes_used(d), "detail": "hold where local law forbids it"})
        overlap = CitizenshipClaim.objects.filter(
            subject_id__in=person_subject_ids(d.subject_id),  # a claim on any record of the person
            raised_at__lt=d.hold_ended_at or released or d.hold_expires_at,
        ).exclude(resolved_at__lte=d.hold_started_at)
        if overlap.exists():
            flags.append({"code": "V3", "detail": "hold overlapped an open citizenship claim"})
        if d.served_at is None or d.served_at > d.hold_started_at:
            flags.append({"code": "V5", "detail": "hold on a detainer not served on the subject"})
        if not d.warrants.filter(warrant_type__in=sorted(HOLD_SUPPORTING_WARRANTS)).exists():
            flags.append({"code": "V6", "detail": "hold without an I-200 or I-205"})
        if d.neutral_review_required and d.neutral_review_result != ReviewResult.PC_FOUND:
            flags.append({"code": "V7", "detail": "hold without a neutral probable-cause finding"})
    elif (
        eligible
        and released
        and b.release_type == ReleaseType.TRANSFER_TO_ICE
        and released > eligible
        and d.state in (DetainerState.CUSTODY_TRANSFERRED,)
        and d.lea_decision != "HONOR_HOLD"
    ):
        # Custody kept past eligibility for a handover the LEA had not agreed to hold for.
        flags.append(
            {
                "code": "V1",
                "minutes": _minutes(eligible, released),
                "detail": "custody after release eligibility without an agreed hold",
            }
        )
    within = policy.get("release_within_hours")
    if within and eligible and released and _minutes(eligible, released) > within * 60:
        flags.append(
            {
                "code": "V8",
                "minutes": _minutes(eligible, released) - within * 60,
                "detail": f"release later than {within} h after bond or PR",
            }
        )
    return flags
