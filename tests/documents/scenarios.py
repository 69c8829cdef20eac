"""Case histories for the document tests, driven through the real services (no ``test_`` functions here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from holdtrack.audit.models import CaseType
from holdtrack.cases.models import CourtCase, Detainer, ItemCategory, LiftReason, ResponseType, Subpoena
from holdtrack.cases.services import detainers as ds
from holdtrack.cases.services import subpoenas as ss
from holdtrack.custody import services as cs
from holdtrack.documents.models import DocumentKind
from tests.factories import T0, World, book, hold_eligible, received, subpoena_to

ENFORCED_AT = T0 + timedelta(days=3)


@dataclass
class Cases:
    detainer: Detainer  # served on the subject, hold eligible
    lifted: Detainer  # lifted by the agency
    subpoena: Subpoena  # declined, referred, enforced in court, then produced under the order
    court_case: CourtCase


def a_numbered_booking(w: World):
    subject = cs.subject_create(
        actor=w.booking_clerk,
        first_name="Rosa",
        middle_name="María",
        last_name="Quintero-Synthetic",
        date_of_birth=T0.date().replace(year=1988, month=7, day=14),
        sex="F",
        birth_country="Honduras",
        citizenship_country="Honduras",
        identifiers={"A_NUMBER": "A200123456"},
    )
    return cs.booking_create(
        actor=w.booking_clerk, subject=subject, facility=w.facility, booking_number="HC-2026-004411", booked_at=T0
    )


def build(w: World) -> Cases:
    detainer = hold_eligible(w, booking=a_numbered_booking(w))
    lifted = received(w, booking=book(w))
    ds.detainer_lift(
        actor=w.officer,
        detainer=lifted,
        reason=LiftReason.PROSECUTORIAL_DISCRETION,
        at=T0 + timedelta(hours=5),
        note_text="Case reviewed by the field office.",
    )
    lifted.refresh_from_db()
    s = subpoena_to(w, stage="enforced", detainer=detainer, at=ENFORCED_AT)
    case = CourtCase.objects.get(referral__subpoena=s)
    ss.court_compliance_record(
        actor=w.lea_counsel,
        case=case,
        produced_items=[ItemCategory.RELEASE_DATE, ItemCategory.HOME_ADDRESS],
        at=ENFORCED_AT + timedelta(days=45),
    )
    s.refresh_from_db()
    case.refresh_from_db()
    return Cases(detainer=detainer, lifted=lifted, subpoena=s, court_case=case)


__all__ = ["ENFORCED_AT", "Cases", "ResponseType", "build"]


# Every generated document: (kind, case type, which case of the scenario, language). Shared with bench/.
DOCUMENTS = [
    (DocumentKind.DETAINER_FORM, CaseType.DETAINER, "detainer", "en"),
    (DocumentKind.NOTIFICATION_REQUEST, CaseType.DETAINER, "detainer", "en"),
    (DocumentKind.DETAINER_CANCELLATION, CaseType.DETAINER, "lifted", "en"),
    (DocumentKind.SUBJECT_NOTICE, CaseType.DETAINER, "detainer", "en"),
    (DocumentKind.SUBJECT_NOTICE, CaseType.DETAINER, "detainer", "es"),
    (DocumentKind.SERVICE_PROOF, CaseType.DETAINER, "detainer", "en"),
    (DocumentKind.SUBPOENA, CaseType.SUBPOENA, "subpoena", "en"),
    (DocumentKind.SERVICE_PROOF, CaseType.SUBPOENA, "subpoena", "en"),
    (DocumentKind.RESPONSE_LETTER, CaseType.SUBPOENA, "subpoena", "en"),
    (DocumentKind.CUSTODIAN_CERTIFICATION, CaseType.SUBPOENA, "subpoena", "en"),
    (DocumentKind.CLOCK_HISTORY, CaseType.SUBPOENA, "subpoena", "en"),
    (DocumentKind.NONCOMPLIANCE_RECORD, CaseType.SUBPOENA, "subpoena", "en"),
    (DocumentKind.REFERRAL_MEMO, CaseType.REFERRAL, "referral", "en"),
]
