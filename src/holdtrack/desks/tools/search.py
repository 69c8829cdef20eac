"""Search of subjects and cases, always through the scoped case querysets of ``cases.access``.

A query matches a subject's name (every word, partial, case-insensitive), an identifier (A-number and the
others, exact, punctuation ignored), a booking number, a case id (``12``, ``D-12``, ``S-12``, ``C-12``) or a
court docket number (partial). Subjects have no page of their own: they are found through the detainers and
subpoenas the user may see, so a subject outside the user's scope is never matched.

Each page of results that shows personal data writes one access event per subject shown
(``subject.search``). The query text is not stored: names are personal data and the audit trail carries ids
only. A keyed digest of the normalized query (HMAC-SHA256 with the site secret) lets an administrator check
whether a given query was run without the trail holding it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Q

from holdtrack.accounts.models import PERSONAL_DATA_ROLES
from holdtrack.accounts.scope import AnyUser
from holdtrack.audit.models import CaseType
from holdtrack.audit.services import audit_record
from holdtrack.cases import access

PAGE_SIZE = 25
MAX_QUERY = 100
MIN_QUERY = 2
KIND_LABELS = {CaseType.DETAINER: "Detainers", CaseType.SUBPOENA: "Subpoenas", CaseType.COURT_CASE: "Court cases"}
_CASE_ID = re.compile(r"^(?:(?P<prefix>[dsc])\s*-?\s*)?(?P<id>\d{1,12})$", re.IGNORECASE)


class SearchNotAllowed(Exception):
    """The role sees no personal data (analyst, auditor, administrator, public)."""


@dataclass(frozen=True)
class Hit:
    kind: str
    pk: int
    label: str
    state: str
    subject_id: int | None
    subject_name: str
    matched: str
    url: str


@dataclass
class SearchResult:
    query: str
    page: Page[Hit] | None = None
    total: int = 0
    groups: list[tuple[str, list[Hit]]] = field(default_factory=list)
    message: str = ""


def may_search(user: AnyUser) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and str(getattr(user, "role", "")) in PERSONAL_DATA_ROLES


def normalize(query: str) -> str:
    return " ".join(query.split())[:MAX_QUERY]


def query_digest(query: str) -> str:
    key = str(settings.SECRET_KEY).encode()
    return hmac.new(key, normalize(query).lower().encode(), hashlib.sha256).hexdigest()


def _compact(value: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", value).upper()


def _name_q(prefix: str, words: list[str]) -> Q:
    q = Q()
    for w in words:
        q &= (
            Q(**{f"{prefix}first_name__icontains": w})
            | Q(**{f"{prefix}middle_name__icontains": w})
            | Q(**{f"{prefix}last_name__icontains": w})
        )
    return q


def _identifier_q(prefix: str, query: str) -> Q:
    compact = _compact(query)
    if len(compact) < MIN_QUERY:
        return Q(pk__in=[])
    values = {query.strip(), compact}
    if compact.startswith("A") and compact[1:].isdigit():
        values.add(compact[1:])  # an A-number may be written with or without its letter
    elif compact.isdigit():
        values.add("A" + compact)
    q = Q()
    for v in values:
        q |= Q(**{f"{prefix}identifiers__value__iexact": v})
    return q


def _subject_q(prefix: str, query: str) -> tuple[Q, Q]:
    words = [w for w in query.split() if w]
    return _name_q(prefix, words), _identifier_q(prefix, query)


def _case_id(query: str, letter: str) -> int | None:
    m = _CASE_ID.match(query.strip())
    if not m:
        return None
    prefix = (m.group("prefix") or "").lower()
    if prefix and prefix != letter:
        return None
    if m.group("id").startswith("0"):
        return None  # "00012" is part of a docket or identifier, not a case id
    return int(m.group("id"))


def _matched(checks: list[tuple[str, bool]]) -> str:
    return ", ".join(label for label, hit in checks if hit) or "query"


def _hits(user: AnyUser, query: str) -> list[Hit]:
    hits: list[Hit] = []
    lower = query.lower()
    compact = _compact(query)

    # Detainers: subject name or identifier, booking number, id.
    name_q, ident_q = _subject_q("subject__", query)
    booking_q = Q(booking__booking_number__iexact=query.strip())
    did = _case_id(query, "d")
    id_q = Q(pk=did) if did is not None else Q(pk__in=[])
    detainers = (
        access.detainers_for_user(user)
        .filter(name_q | ident_q | booking_q | id_q)
        .select_related("subject", "booking")
        .prefetch_related("subject__identifiers")
        .distinct()
        .order_by("-prepared_at", "-pk")
    )
    for d in detainers:
        name = d.subject.display_name
        idents = {_compact(i.value) for i in d.subject.identifiers.all()}
        hits.append(
            Hit(
                CaseType.DETAINER,
                d.pk,
                f"Detainer {d.pk}",
                d.get_state_display(),
                d.subject_id,
                name,
                _matched(
                    [
                        ("name", all(w.lower() in name.lower() for w in query.split())),
                        ("identifier", compact in idents or ("A" + compact) in idents or compact[1:] in idents),
                        ("booking number", d.booking.booking_number.lower() == lower.strip()),
                        ("case id", did == d.pk),
                    ],
                ),
                f"/detainers/{d.pk}/",
            )
        )

    # Subpoenas: subject name or identifier, id.
    sid = _case_id(query, "s")
    sid_q = Q(pk=sid) if sid is not None else Q(pk__in=[])
    subpoenas = (
        access.subpoenas_for_user(user)
        .filter(name_q | ident_q | sid_q)
        .select_related("subject")
        .distinct()
        .order_by("-drafted_at", "-pk")
    )
    for s in subpoenas:
        name = s.subject.display_name
        hits.append(
            Hit(
                CaseType.SUBPOENA,
                s.pk,
                f"Subpoena {s.pk}",
                s.get_state_display(),
                s.subject_id,
                name,
                "case id"
                if sid == s.pk
                else ("name" if all(w.lower() in name.lower() for w in query.split()) else "identifier"),
                f"/subpoenas/{s.pk}/",
            )
        )

    # Court cases: docket number (partial), id, the subpoena's subject.
    cc_name_q, cc_ident_q = _subject_q("referral__subpoena__subject__", query)
    cid = _case_id(query, "c")
    cid_q = Q(pk=cid) if cid is not None else Q(pk__in=[])
    docket_q = Q(case_number__icontains=query.strip()) if len(query.strip()) >= MIN_QUERY else Q(pk__in=[])
    cases = (
        access.court_cases_for_user(user)
        .filter(cc_name_q | cc_ident_q | cid_q | docket_q)
        .select_related("referral__subpoena__subject")
        .distinct()
        .order_by("-filed_at", "-pk")
    )
    for c in cases:
        subject = c.referral.subpoena.subject
        hits.append(
            Hit(
                CaseType.COURT_CASE,
                c.pk,
                f"{c.court} {c.case_number}",
                c.get_state_display(),
                subject.pk,
                subject.display_name,
                "docket number"
                if query.strip().lower() in c.case_number.lower()
                else ("case id" if cid == c.pk else "subject"),
                f"/court-cases/{c.pk}/",
            )
        )
    return hits


def search_for_user(user: AnyUser, raw_query: str, page_number: Any = 1) -> SearchResult:
    """Scoped search. Raises :class:`SearchNotAllowed` for roles without access to personal data."""
    if not may_search(user):
        raise SearchNotAllowed("Search shows personal data; your role sees aggregate figures only.")
    query = normalize(raw_query)
    result = SearchResult(query=query)
    if len(query) < MIN_QUERY and not query.isdigit():  # a one-digit case id is a fine query
        if query:
            result.message = f"Enter at least {MIN_QUERY} characters."
        return result
    hits = _hits(user, query)
    result.total = len(hits)
    if not hits:
        result.message = "No subject or case you may see matches."
        return result
    page = Paginator(hits, PAGE_SIZE).get_page(page_number)
    result.page = page
    shown: list[Hit] = list(page.object_list)
    for kind, label in KIND_LABELS.items():
        rows = [h for h in shown if h.kind == kind]
        if rows:
            result.groups.append((label, rows))
    _record_access(user, query, page.number, shown)
    return result


def _record_access(user: AnyUser, query: str, page_number: int, shown: list[Hit]) -> None:
    """One access event per subject shown, listing the cases through which it was shown."""
    digest = query_digest(query)
    by_subject: dict[int, dict[str, list[int]]] = {}
    for h in shown:
        if h.subject_id is None:
            continue
        by_subject.setdefault(h.subject_id, {}).setdefault(h.kind, []).append(h.pk)
    for subject_id, cases in sorted(by_subject.items()):
        audit_record(
            actor=user,
            action="subject.search",
            entity_type="subject",
            entity_id=subject_id,
            data={"query_hmac": digest, "page": page_number, "cases": cases},
        )
