"""Access functions: the only way views read case data and personal data (brief.md principle 4).

Scope by role and organization (the organization behind each role comes from ``accounts.scope``; custody
records are scoped in ``custody/access.py``):

- agency roles (officer, supervisor, counsel) see the cases of their office's area of responsibility;
- LEA roles see the cases sent to their agency: detainers once transmitted, subpoenas once served
  (an agency's draft is not yet the LEA's case);
- a DOJ attorney sees the subpoenas and court cases referred to their office, and the detainers those
  subpoenas relate to — nothing else;
- analysts, auditors, administrators, the system account and anonymous visitors see no personal data.

``*_get_for_user`` raises :class:`~holdtrack.core.errors.NotFound` alike for a missing and a forbidden
record, so ids cannot be probed; a read of a detainer, subpoena or court case writes an access event (a
referral shows no more than its subpoena's number and states).

Each check stands on its own line so that the scoping matrix in ``tests/cases/test_access.py`` covers it. This
module also registers the cases' subject source with ``custody.access`` (a subject is seen with its cases); the
cases app imports it at start-up for that.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from holdtrack.accounts.models import Organization, Role
from holdtrack.accounts.scope import AnyUser, active_role, active_user, agency_org, as_pk, doj_org, lea_org, reader_data
from holdtrack.audit.models import AuditEvent, CaseType
from holdtrack.audit.services import audit_record
from holdtrack.cases.models import (
    CourtCase,
    Detainer,
    EnforcementReferral,
    Subpoena,
    WorkItem,
)
from holdtrack.core.errors import NotFound
from holdtrack.core.rows import one_or_none, read_one, value_rows
from holdtrack.custody.access import register_subject_source

# Roles that may read the audit trail (events carry ids and roles, never personal data).
AUDIT_READER_ROLES = frozenset({Role.AUDITOR, Role.ADMIN})


# ------------------------------------------------------------------------------------------- detainers


def detainer_scope(user: AnyUser) -> tuple[str, Any]:
    """Which rule scopes the user's detainers, and the id it scopes by: apart, so that a statement can be
    compiled once per rule with the id as its value (``detainers_in``, ``core.rows``)."""
    agency = agency_org(user)
    if agency is not None:
        return "agency", agency.aor_id
    lea = lea_org(user)
    if lea is not None:
        return "lea", lea.lea_id
    doj = doj_org(user)
    if doj is not None:
        return "doj", doj.pk
    return "none", 0


def detainer_keys_scope(user: AnyUser) -> tuple[str, Any]:
    """``detainer_scope`` for walking a list newest first. An office's rule is its area's offices; where the
    area has one office (the usual case), the rule names that office, whose detainers the index
    ``detainer_office_newest`` gives newest first: a page then reads one index range, where through the area a
    page sorted every detainer of it (22.7 ms at 15,000, bench/detainer_pages.py; ADR 0049). The same detainers
    either way."""
    branch, scope_id = detainer_scope(user)
    if branch != "agency":
        return branch, scope_id
    offices = value_rows(
        ("cases.area_offices",), lambda aor: Organization.objects.filter(aor_id=aor).values("pk")[:2], scope_id
    )
    return ("office", offices[0]["pk"]) if len(offices) == 1 else (branch, scope_id)


def detainers_in(branch: str, scope_id: Any) -> QuerySet[Detainer]:
    qs = Detainer.objects.all()
    if branch == "agency":
        return qs.filter(issuing_office__aor_id=scope_id)
    if branch == "office":  # the only office of its area (detainer_keys_scope)
        return qs.filter(issuing_office_id=scope_id)
    if branch == "lea":
        # Addressed to this agency and actually sent to it.
        return qs.filter(addressed_lea_id=scope_id, transmitted_at__isnull=False)
    if branch == "doj":
        related = Subpoena.objects.filter(referral__doj_office_id=scope_id, related_detainer__isnull=False)
        return qs.filter(pk__in=related.values("related_detainer_id"))
    return qs.none()


def detainers_for_user(user: AnyUser) -> QuerySet[Detainer]:
    return detainers_in(*detainer_scope(user))


# The relations a detainer page shows; a caller that needs fewer names its own. Each join costs PostgreSQL's
# planner more than the one before (its exhaustive join search): with the two user relations too, planning this
# read took 3.1 ms where running it took 0.2 ms (issue 12); a page that shows who prepared or approved reads them.
DETAINER_RELATED = ("subject", "booking", "issuing_office", "addressed_lea", "facility")


def detainer_get_for_user(user: AnyUser, pk: int | str, *, related: tuple[str, ...] = DETAINER_RELATED) -> Detainer:
    branch, scope_id = detainer_scope(user)
    # The statement is compiled once per scope rule and set of relations (core.rows.read_one).
    detainer = read_one(
        ("cases.detainer", branch, related),
        lambda scope, key: detainers_in(branch, scope).select_related(*related).filter(pk=key),
        scope_id,
        as_pk(pk),
    )
    if detainer is None:
        raise NotFound("Detainer not found.")
    _viewed(user, detainer.pk)
    return detainer


def _viewed(user: AnyUser, pk: int) -> None:
    """The access event of a detainer read (``detainer_get_for_user``, ``detainer_values_for_user``)."""
    audit_record(
        actor=user, action="detainer.view", entity_type=CaseType.DETAINER, entity_id=pk, data=reader_data(user)
    )


def detainer_values_for_user(user: AnyUser, pk: int | str, paths: tuple[str, ...]) -> dict[str, Any]:
    """``detainer_get_for_user`` for a reader that shows values only (the API's detail): the same scope and the
    same access event, and the named ``values()`` paths (``id`` among them) read without building the detainer
    and its relations as model instances, a fifth of an API read's Python (issue 12)."""
    branch, scope_id = detainer_scope(user)
    found = value_rows(
        ("cases.detainer", branch, paths),
        lambda scope, key: detainers_in(branch, scope).filter(pk=key).values(*paths),
        scope_id,
        as_pk(pk),
    )
    if not found:
        raise NotFound("Detainer not found.")
    _viewed(user, found[0]["id"])
    return found[0]


# ------------------------------------------------------------------------------------------- subpoenas


def subpoenas_for_user(user: AnyUser) -> QuerySet[Subpoena]:
    qs = Subpoena.objects.all()
    agency = agency_org(user)
    if agency is not None:
        return qs.filter(issuing_office__aor_id=agency.aor_id)
    lea = lea_org(user)
    if lea is not None:
        # Addressed to this agency and served on it.
        return qs.filter(recipient_lea_id=lea.lea_id, served_at__isnull=False)
    doj = doj_org(user)
    if doj is not None:
        return qs.filter(referral__doj_office_id=doj.pk)
    return qs.none()


def subpoena_get_for_user(user: AnyUser, pk: int | str) -> Subpoena:
    subpoena = one_or_none(
        subpoenas_for_user(user)
        .select_related("subject", "issuing_office", "recipient_lea__jurisdiction", "related_detainer", "issued_by")
        .filter(pk=as_pk(pk))
    )
    if subpoena is None:
        raise NotFound("Subpoena not found.")
    audit_record(
        actor=user, action="subpoena.view", entity_type=CaseType.SUBPOENA, entity_id=subpoena.pk, data=reader_data(user)
    )
    return subpoena


def referrals_for_user(user: AnyUser) -> QuerySet[EnforcementReferral]:
    """Referrals of the subpoenas the user may see (a referral carries no more than its subpoena)."""
    return EnforcementReferral.objects.filter(subpoena__in=subpoenas_for_user(user).values("pk"))


def referral_get_for_user(user: AnyUser, pk: int | str) -> EnforcementReferral:
    r = one_or_none(referrals_for_user(user).select_related("subpoena").filter(pk=as_pk(pk)))
    if r is None:
        raise NotFound("Referral not found.")
    return r


# ----------------------------------------------------------------------------------------- court cases


def court_cases_for_user(user: AnyUser) -> QuerySet[CourtCase]:
    qs = CourtCase.objects.all()
    agency = agency_org(user)
    if agency is not None:
        return qs.filter(referral__subpoena__issuing_office__aor_id=agency.aor_id)
    lea = lea_org(user)
    if lea is not None:
        # The LEA is the respondent in an enforcement case about a subpoena served on it.
        return qs.filter(referral__subpoena__recipient_lea_id=lea.lea_id)
    doj = doj_org(user)
    if doj is not None:
        return qs.filter(referral__doj_office_id=doj.pk)
    return qs.none()


def court_case_get_for_user(user: AnyUser, pk: int | str) -> CourtCase:
    case = one_or_none(
        court_cases_for_user(user)
        .select_related(
            "referral__doj_office",
            "referral__subpoena__subject",
            "referral__subpoena__recipient_lea__jurisdiction",
            "referral__subpoena__issuing_office",
        )
        .filter(pk=as_pk(pk))
    )
    if case is None:
        raise NotFound("Court case not found.")
    audit_record(
        actor=user, action="court_case.view", entity_type=CaseType.COURT_CASE, entity_id=case.pk, data=reader_data(user)
    )
    return case


# ------------------------------------------------------------------------------------------ work items


def work_items_for_user(user: AnyUser) -> QuerySet[WorkItem]:
    """Work assigned to the user's organization, on cases the user may see."""
    u = active_user(user)
    if u is None:
        return WorkItem.objects.none()
    org_id = u.organization_id
    if org_id is None:
        return WorkItem.objects.none()
    visible = (
        Q(detainer__in=detainers_for_user(user).values("pk"))
        | Q(subpoena__in=subpoenas_for_user(user).values("pk"))
        | Q(court_case__in=court_cases_for_user(user).values("pk"))
    )
    return WorkItem.objects.filter(organization_id=org_id).filter(visible)


# ---------------------------------------------------------------------------- aggregates and audit trail


def detainer_counts_for_user(user: AnyUser) -> dict[str, list[tuple[str, int]]]:
    """Counts of detainers by state and by outcome group: no names, no ids.

    An analyst counts every detainer; a role with case access counts its own scope; anyone else gets
    nothing."""
    role = active_role(user)
    if role == Role.ANALYST:
        qs: QuerySet[Detainer] = Detainer.objects.all()
    elif role is not None:
        qs = detainers_for_user(user)
    else:
        qs = Detainer.objects.none()
    by_state = qs.order_by().values("state").annotate(n=Count("id")).order_by("state")
    by_outcome = qs.order_by().values("outcome_group").annotate(n=Count("id")).order_by("outcome_group")
    return {
        "state": [(row["state"], row["n"]) for row in by_state],
        "outcome_group": [(row["outcome_group"], row["n"]) for row in by_outcome],
    }


def subpoena_counts_for_user(user: AnyUser) -> list[tuple[str, int]]:
    """Counts of subpoenas by state (aggregate only), on the same terms as ``detainer_counts_for_user``."""
    role = active_role(user)
    if role == Role.ANALYST:
        qs: QuerySet[Subpoena] = Subpoena.objects.all()
    elif role is not None:
        qs = subpoenas_for_user(user)
    else:
        qs = Subpoena.objects.none()
    rows = qs.order_by().values("state").annotate(n=Count("id")).order_by("state")
    return [(row["state"], row["n"]) for row in rows]


def audit_events_for_user(user: AnyUser) -> QuerySet[AuditEvent]:
    """The audit trail, for auditors and administrators only."""
    if active_role(user) not in AUDIT_READER_ROLES:
        return AuditEvent.objects.none()
    return AuditEvent.objects.select_related("actor")


# ------------------------------------------------------------------------------- subjects met through cases

# A subject stays visible to whoever sees a detainer or subpoena about it (custody.access.subjects_for_user).
register_subject_source("cases.detainers", lambda user: detainers_for_user(user).values("subject_id"))
register_subject_source("cases.subpoenas", lambda user: subpoenas_for_user(user).values("subject_id"))
