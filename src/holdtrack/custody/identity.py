"""One person across records (ADR 0014).

A booking arrives with the subject record the jail describes; the registry holds the agency's record of a
person. When a named officer confirms that the two are the same person, they are joined into one ``Person``
and every safeguard reads the whole person: a citizenship claim raised on either record freezes the holds on
both, and a hold is refused while any record of the person has an open claim.

This module only reads and rewrites membership (no authorization, no audit): the services in
``custody.services`` call it inside their own transaction, after their checks, and audit what it did.
Membership is derived from the active ``IdentityLink`` rows, so it can always be rebuilt from them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from holdtrack.accounts.models import User
from holdtrack.core.rows import read_all
from holdtrack.custody.models import CitizenshipClaim, ClaimStatus, IdentityLink, IdentityMatch, Person, Subject


def _person_records(subject_id: int) -> QuerySet[Subject]:
    """The person's records as one subquery (the subject itself, and every record sharing its person)."""
    person = Subject.objects.filter(pk=subject_id, person__isnull=False).values("person_id")
    return Subject.objects.filter(Q(pk=subject_id) | Q(person_id__in=person))


_UNREAD: Any = object()


def person_subject_ids(subject_id: int, *, person_id: int | None = _UNREAD) -> list[int]:
    """Every record of the person this subject belongs to (the subject alone when it is linked to none).
    ``person_id``: the subject's, when the caller read the subject already (a page)."""
    if person_id is _UNREAD:
        person_id = Subject.objects.filter(pk=subject_id).values_list("person_id", flat=True).first()
    if person_id is None:
        return [subject_id]
    return sorted(Subject.objects.filter(person_id=person_id).values_list("pk", flat=True))


def lock_person(subject_id: int) -> list[int]:
    """Row-lock every record of the person, in id order (the lock order shared with the hold guards), and
    return their ids. Membership is read again under the locks: a link committed while we waited adds records,
    which are then locked too."""
    locked: set[int] = set()
    while True:
        ids = person_subject_ids(subject_id)
        todo = sorted(set(ids) - locked)
        if not todo:
            return ids
        list(Subject.objects.select_for_update().filter(pk__in=todo).order_by("pk").values_list("pk", flat=True))
        locked.update(todo)


def _open_claims(subject_id: int) -> QuerySet[CitizenshipClaim]:
    return CitizenshipClaim.objects.filter(
        subject_id__in=_person_records(subject_id).values("pk"), status=ClaimStatus.OPEN
    ).order_by("pk")[:1]


def open_claim_for_person(subject_id: int) -> CitizenshipClaim | None:
    # One statement, compiled once (core.rows): the guards ask this on every hold step, a case page twice.
    found = read_all(("custody.open_claim_for_person",), _open_claims, subject_id)
    return found[0] if found else None


def subjects_of_persons_with_open_claim() -> QuerySet[Subject]:
    """Every record whose person (or the record itself, when alone) has an open claim: a subquery for queues."""
    claimed = CitizenshipClaim.objects.filter(status=ClaimStatus.OPEN).values("subject_id")
    persons = Subject.objects.filter(pk__in=claimed, person__isnull=False).values("person_id")
    return Subject.objects.filter(Q(pk__in=claimed) | Q(person_id__in=persons))


def person_has_open_claim(subject_id: int) -> bool:
    return CitizenshipClaim.objects.filter(
        subject_id__in=_person_records(subject_id).values("pk"), status=ClaimStatus.OPEN
    ).exists()


def link_records(*, match: IdentityMatch, actor: User, at: datetime) -> IdentityLink | None:
    """Make the booked record and the confirmed registry record one person. Returns the link (None when the
    booking was made on the registry record itself). The caller holds the match lock and audits."""
    booked_id, registry_id = match.booking.subject_id, match.subject_id
    if booked_id == registry_id:
        return None
    lock_person(min(booked_id, registry_id))
    lock_person(max(booked_id, registry_id))
    link = IdentityLink.objects.create(
        match=match, booked_subject_id=booked_id, registry_subject_id=registry_id, linked_by=actor, linked_at=at
    )
    _rebuild({booked_id, registry_id}, keep=registry_id)
    return link


def unlink_records(*, link: IdentityLink, actor: User, at: datetime, reason: str) -> tuple[list[int], list[int]]:
    """Undo a link; return the two records' persons as they are afterwards (ids of each side)."""
    lock_person(link.registry_subject_id)
    lock_person(link.booked_subject_id)
    before = set(person_subject_ids(link.registry_subject_id))
    link.undone_by, link.undone_at, link.undo_reason = actor, at, reason
    link.save(update_fields=["undone_by", "undone_at", "undo_reason"])
    _rebuild(before, keep=link.registry_subject_id)
    return person_subject_ids(link.registry_subject_id), person_subject_ids(link.booked_subject_id)


def _rebuild(seed: set[int], *, keep: int) -> None:
    """Recompute the persons of the records connected to ``seed`` from the active links. The component holding
    ``keep`` (the registry record) keeps an existing person id where it can, so the id an API client saw stays
    valid; a record left alone gets no person."""
    # Every record reachable from the seed over active links, plus those sharing a person with it now.
    members = set(seed)
    persons = set(Subject.objects.filter(pk__in=members, person__isnull=False).values_list("person_id", flat=True))
    members |= set(Subject.objects.filter(person_id__in=persons).values_list("pk", flat=True))
    adjacency: dict[int, set[int]] = defaultdict(set)
    frontier = set(members)
    while frontier:
        rows = IdentityLink.objects.filter(undone_at__isnull=True).filter(
            Q(booked_subject_id__in=frontier) | Q(registry_subject_id__in=frontier)
        )
        new: set[int] = set()
        for a, b in rows.values_list("booked_subject_id", "registry_subject_id"):
            adjacency[a].add(b)
            adjacency[b].add(a)
            new |= {a, b} - members
        members |= new
        frontier = new
    current = dict(Subject.objects.filter(pk__in=members).values_list("pk", "person_id"))
    components: list[set[int]] = []
    seen: set[int] = set()
    for start in sorted(members, key=lambda s: (s != keep, s)):
        if start in seen:
            continue
        comp, stack = set(), [start]
        while stack:
            x = stack.pop()
            if x in comp:
                continue
            comp.add(x)
            stack.extend(adjacency[x] - comp)
        seen |= comp
        components.append(comp)
    used: set[int] = set()
    for comp in components:
        if len(comp) == 1:
            person_id = None
        else:
            # Reuse the person id most of the component already has, unless another component took it.
            counts: dict[int, int] = defaultdict(int)
            for s in comp:
                if current.get(s) is not None and current[s] not in used:
                    counts[current[s]] += 1
            person_id = max(counts, key=lambda p: (counts[p], -p)) if counts else Person.objects.create().pk
            used.add(person_id)
        changed = [s for s in comp if current.get(s) != person_id]
        if changed:
            Subject.objects.filter(pk__in=changed).update(person_id=person_id)


__all__ = [
    "link_records",
    "lock_person",
    "open_claim_for_person",
    "person_has_open_claim",
    "person_subject_ids",
    "subjects_of_persons_with_open_claim",
    "unlink_records",
]
