"""What documents print: fixed labels and authorities, and the helpers that format case facts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy

from holdtrack.accounts.models import User
from holdtrack.audit.export import recorded_text
from holdtrack.audit.models import CaseType, Transition
from holdtrack.cases.models import (
    ItemCategory,
    Subpoena,
    SubpoenaResponse,
)
from holdtrack.core.errors import ValidationFailed
from holdtrack.core.timeutil import local
from holdtrack.custody.models import IdentifierType, Subject

LANGUAGES = {"en": "English", "es": "Español"}
ADMIN_WARRANT_LABEL = "Administrative warrant — signed by an immigration officer; not a judicial warrant"
NOT_COURT_ORDER = "This is an administrative subpoena, not a court order."
SUBPOENA_AUTHORITY = "8 CFR 287.4(a)(1)"
ENFORCEMENT_BASIS = "8 U.S.C. 1225(d)(4)(B)"
# Labels printed on documents that exist in more than one language.
SERVICE_METHODS = {
    "IN_PERSON": gettext_lazy("In person"),
    "INMATE_MAIL": gettext_lazy("Inmate mail"),
    "OTHER": gettext_lazy("Other"),
}
RECORD_LABELS: dict[str, Any] = {
    CaseType.DETAINER: gettext_lazy("Detainer record"),
    CaseType.SUBPOENA: gettext_lazy("Subpoena"),
    CaseType.REFERRAL: gettext_lazy("Referral"),
    CaseType.COURT_CASE: gettext_lazy("Court case"),
}


# -------------------------------------------------------------------------------------------- helpers


def when(value: datetime | None, tz: str) -> str:
    return local(value, tz) if value else ""


def person(user: User | None) -> str:
    if user is None:
        return ""
    name = user.get_full_name() or user.username
    return f"{name}, {user.title}" if user.title else name


def a_number(subject: Subject) -> str:
    ident = subject.identifiers.filter(type=IdentifierType.A_NUMBER).order_by("pk").first()
    return ident.value if ident else ""


def subject_rows(subject: Subject) -> list[tuple[str, str]]:
    return [
        ("Name", subject.display_name),
        ("Date of birth", subject.date_of_birth.isoformat() if subject.date_of_birth else "Not recorded"),
        ("Country of citizenship", subject.citizenship_country or "Not recorded"),
        ("Sex", subject.get_sex_display()),
        ("File number (A-number)", a_number(subject) or "None recorded"),
        ("Subject ID", str(subject.pk)),
    ]


def item_labels(items: list[str]) -> list[str]:
    labels = dict(ItemCategory.choices)
    return [str(labels.get(i, i)) for i in items]


def last_transition(case_type: str, case_id: int, *names: str) -> Transition | None:
    qs = Transition.objects.filter(case_type=case_type, case_id=case_id)
    if names:
        qs = qs.filter(name__in=names)
    return qs.order_by("-seq").first()


def channel_text(t: Transition) -> str:
    """How a step was entered; a step the counterpart recorded names its staff and the document (ADR 0019)."""
    return recorded_text(t) or str(t.get_channel_display())


def response_transition(s: Subpoena, response: SubpoenaResponse) -> Transition | None:
    for t in Transition.objects.filter(case_type=CaseType.SUBPOENA, case_id=s.pk).order_by("seq"):
        if (t.data or {}).get("response_id") == response.pk:
            return t
    return None


def subpoena_tz(s: Subpoena) -> str:
    return s.recipient_lea.jurisdiction.timezone


def require(value: Any, message: str) -> None:
    if not value:
        raise ValidationFailed(message)
