"""Who may take each write action on subjects, bookings, identity matches and citizenship claims (ADR 0019).

One row per service of ``custody.services``; ``kernel.parties.authorize`` reads them. A booking's parties are
its jail's agency and the area (AOR) whose field offices answer for that jail; a claim's are the areas holding a
booking of any record of the person (ADR 0014).

Below the table, what each service takes and checks beside it (``kernel.refusals.declare``): the identity match's
transitions, and the facts the booking services check under their lock (``raise_failed``), which the pages ask.
"""

from __future__ import annotations

from datetime import datetime

from holdtrack.accounts.models import AGENCY_ROLES, LEA_ROLES, Role
from holdtrack.core.errors import GuardRefused, InvalidTransition
from holdtrack.custody.areas import area_of
from holdtrack.custody.identity import person_subject_ids
from holdtrack.custody.models import Booking, CitizenshipClaim, IdentityMatch
from holdtrack.jurisdictions.models import Facility, LawEnforcementAgency
from holdtrack.kernel.parties import ActionRule, Parties, Party, register_parties, register_rules
from holdtrack.kernel.parties import Relation as R
from holdtrack.kernel.refusals import declare

OFFICERS = frozenset({Role.AGENCY_OFFICER, Role.AGENCY_SUPERVISOR})
JAIL = Party(LEA_ROLES, R.CASE_LEA)
# The field office of the jail's area records the jail's act from its document (a deployment run by the agency).
AREA_RECORDS = Party(AGENCY_ROLES, R.AREA_OFFICE)
REVIEWERS = Party(OFFICERS, R.AREA_OFFICE)

RULES = (
    ActionRule(
        "subject_create",
        "record a subject",
        (Party(AGENCY_ROLES | LEA_ROLES, R.ANYONE),),
        notes="a record of a person, party to nothing until booked or matched",
    ),
    ActionRule("booking_create", "record a booking", (JAIL,), recorded_by=AREA_RECORDS),
    ActionRule("booking_record_release_eligibility", "record release eligibility", (JAIL,), recorded_by=AREA_RECORDS),
    ActionRule("booking_release", "record a release", (JAIL,), recorded_by=AREA_RECORDS),
    ActionRule("identity_match_propose", "propose an identity match", (REVIEWERS,)),
    ActionRule(
        "identity_match_review",
        "review an identity match",
        (REVIEWERS,),
        system=False,
        named=True,
        refusal=GuardRefused,
        refusal_rule="R-MATCH-CONFIRMED v1",
        notes="a named, active officer of the field office whose area holds the booking's jail",
    ),
    ActionRule(
        "identity_match_revoke",
        "revoke an identity match",
        (REVIEWERS,),
        system=False,
        named=True,
        refusal=GuardRefused,
        refusal_rule="R-MATCH-CONFIRMED v1",
    ),
    ActionRule(
        "citizenship_claim_open",
        "raise a citizenship claim",
        (Party(AGENCY_ROLES | LEA_ROLES, R.ANYONE),),
        notes="a claim only protects: any party may raise one",
    ),
    ActionRule(
        "citizenship_claim_resolve",
        "resolve a citizenship claim",
        (Party(frozenset({Role.AGENCY_SUPERVISOR}), R.AREA_OFFICE),),
        notes="the area of any booking of any record of the person",
    ),
)


def lea_parties(lea: LawEnforcementAgency | int) -> Parties:
    """An agency and its area: from its jurisdiction where the agency was read with it, else by one lookup."""
    aor = area_of(lea)
    lea_id = lea.pk if isinstance(lea, LawEnforcementAgency) else lea
    return Parties(lea_ids=frozenset({lea_id}), area_ids=frozenset({aor}) if aor is not None else frozenset())


def facility_parties(f: Facility) -> Parties:
    # The operator read with the facility (``select_related("operator__jurisdiction")``) answers without a query.
    operator = f._state.fields_cache.get("operator")
    return lea_parties(operator if operator is not None else f.operator_id)


def booking_parties(b: Booking) -> Parties:
    # The agency and its jurisdiction fetched with the row (a service's lock, ``related``) answer without a query.
    lea = b._state.fields_cache.get("custodian")
    if lea is not None and "jurisdiction" in lea._state.fields_cache:
        aor = lea.jurisdiction.aor_id
        return Parties(lea_ids=frozenset({lea.pk}), area_ids=frozenset({aor}) if aor is not None else frozenset())
    return lea_parties(b.custodian_id)


def claim_parties(c: CitizenshipClaim) -> Parties:
    ids = person_subject_ids(c.subject_id)
    rows = Booking.objects.filter(subject_id__in=ids).values_list("custodian_id", "custodian__jurisdiction__aor_id")
    return Parties(
        lea_ids=frozenset(lea for lea, _ in rows), area_ids=frozenset(aor for _, aor in rows if aor is not None)
    )


register_rules(RULES)
register_parties(LawEnforcementAgency, lea_parties)
register_parties(Facility, facility_parties)
register_parties(Booking, booking_parties)
register_parties(IdentityMatch, lambda m: booking_parties(m.booking))  # fetched with the lock where it matters
register_parties(CitizenshipClaim, claim_parties)


# ------------------------------------------------------------------------- what the services check


def booking_released(b: Booking, at: datetime) -> InvalidTransition | None:
    """A booking is released once; nothing is recorded on it after (booking_release, and what releases it)."""
    return InvalidTransition(f"Already released at {b.released_at.isoformat()}.") if b.released_at else None


def _released_before_eligible(b: Booking, at: datetime) -> InvalidTransition | None:
    return InvalidTransition("The subject has already been released from this booking.") if b.released_at else None


def _eligibility_recorded(b: Booking, at: datetime) -> InvalidTransition | None:
    if b.release_eligible_at is None:
        return None
    return InvalidTransition(f"Release eligibility was already recorded at {b.release_eligible_at.isoformat()}.")


declare("booking_record_release_eligibility", checks=(_released_before_eligible, _eligibility_recorded))
declare("booking_release", checks=(booking_released,))
declare("identity_match_review", steps=("confirm", "reject"))
declare("identity_match_revoke", steps=("revoke",))
