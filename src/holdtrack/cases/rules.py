"""Who may take each write action on detainers, subpoenas, referrals and court cases (ADR 0019).

One row per service of ``cases.services``; ``kernel.parties.authorize`` reads them, and
tests/test_service_matrix.py turns them into a service × role × organisation matrix. The parties of each
object are found by the resolvers registered at the bottom.
"""

from __future__ import annotations

from holdtrack.accounts.models import AGENCY_ROLES, LEA_ROLES, Role
from holdtrack.cases.models import CourtCase, Detainer, EnforcementReferral, Subpoena, Warrant
from holdtrack.core.errors import GuardRefused
from holdtrack.kernel.parties import ActionRule, Parties, Party, register_parties, register_rules
from holdtrack.kernel.parties import Relation as R

OFFICERS = frozenset({Role.AGENCY_OFFICER, Role.AGENCY_SUPERVISOR})
SUPERVISOR = frozenset({Role.AGENCY_SUPERVISOR})
AGENCY_COUNSEL = frozenset({Role.AGENCY_COUNSEL})
LEA_COUNSEL = frozenset({Role.LEA_COUNSEL})
DOJ = frozenset({Role.DOJ_ATTORNEY})

ISSUER = Party(AGENCY_ROLES, R.ISSUING_OFFICE)
ADDRESSED = Party(LEA_ROLES, R.CASE_LEA)
# The counterpart who records the other side's act from its document (a deployment run by one side).
LEA_RECORDS = Party(LEA_ROLES, R.CASE_LEA)
OFFICE_RECORDS = Party(AGENCY_ROLES, R.ISSUING_OFFICE)
COURT_PARTIES = (Party(DOJ, R.REFERRAL_DOJ), Party(AGENCY_COUNSEL, R.ISSUING_OFFICE))

RULES = (
    # ------------------------------------------------------------------------------ detainer, agency side
    ActionRule(
        "detainer_prepare",
        "prepare a detainer",
        (Party(OFFICERS, R.FIELD_OFFICE),),
        system=False,
        refusal=GuardRefused,
        notes="any field office may lodge a detainer; the match behind it is confirmed by the booking's area",
    ),
    ActionRule("warrant_attach", "attach a warrant", (ISSUER,), recorded_by=LEA_RECORDS),
    ActionRule(
        "detainer_approve", "approve a detainer", (Party(SUPERVISOR, R.ISSUING_OFFICE),), recorded_by=LEA_RECORDS
    ),
    ActionRule("detainer_transmit", "transmit a detainer", (ISSUER,), recorded_by=LEA_RECORDS),
    ActionRule(
        "detainer_record_neutral_review",
        "record a neutral probable-cause review",
        (Party(AGENCY_COUNSEL, R.ISSUING_OFFICE),),
    ),
    ActionRule("detainer_lift", "lift a detainer", (ISSUER,), recorded_by=LEA_RECORDS),
    ActionRule("detainer_transfer_custody", "record a custody transfer", (ISSUER,), recorded_by=LEA_RECORDS),
    # --------------------------------------------------------------------------------- detainer, LEA side
    ActionRule("detainer_receive", "receive a detainer", (ADDRESSED,), recorded_by=OFFICE_RECORDS),
    ActionRule("detainer_revalidate", "re-validate a detainer", (ADDRESSED,)),
    ActionRule("detainer_serve_subject", "serve a detainer on the subject", (ADDRESSED,), recorded_by=OFFICE_RECORDS),
    ActionRule(
        "detainer_decide", "decide on a detainer", (Party(LEA_COUNSEL, R.CASE_LEA),), recorded_by=OFFICE_RECORDS
    ),
    ActionRule("notification_send", "notify the agency", (ADDRESSED,), recorded_by=OFFICE_RECORDS),
    ActionRule(
        "warrant_confirm_judicial",
        "confirm a judicial warrant",
        (Party(LEA_COUNSEL, R.CASE_LEA),),
        notes="never recorded by the agency that attached the warrant",
    ),
    # ----------------------------------------------------------------------------------------- subpoenas
    ActionRule("subpoena_draft", "draft a subpoena", (Party(OFFICERS, R.FIELD_OFFICE),), system=False),
    ActionRule(
        "subpoena_issue",
        "issue a subpoena",
        (Party(SUPERVISOR, R.ISSUING_OFFICE),),
        notes="the signer's authority under 8 CFR 287.4(a)(1) is a guard of the service",
    ),
    ActionRule("subpoena_serve", "record service of a subpoena", (ISSUER,), recorded_by=LEA_RECORDS),
    ActionRule("subpoena_acknowledge", "acknowledge a subpoena", (ADDRESSED,), recorded_by=OFFICE_RECORDS),
    ActionRule("subpoena_respond", "answer a subpoena", (Party(LEA_COUNSEL, R.CASE_LEA),), recorded_by=OFFICE_RECORDS),
    ActionRule(
        "subpoena_refer",
        "refer non-compliance to DOJ",
        (Party(SUPERVISOR | AGENCY_COUNSEL, R.ISSUING_OFFICE),),
    ),
    ActionRule("subpoena_withdraw", "withdraw a subpoena", (ISSUER,)),
    # ----------------------------------------------------------------------------- referrals, court cases
    ActionRule("referral_decline", "decline a referral", (Party(DOJ, R.REFERRAL_DOJ),)),
    ActionRule("court_petition_file", "file an enforcement petition", (Party(DOJ, R.REFERRAL_DOJ),)),
    ActionRule(
        "court_order_record",
        "record a court order",
        COURT_PARTIES,
        notes="the court is not a user: its parties record its orders from the document",
    ),
    ActionRule("court_case_advance", "record a court step", (*COURT_PARTIES, ADDRESSED)),
    ActionRule("court_compliance_record", "record compliance", (*COURT_PARTIES, ADDRESSED)),
)


def _ids(*values: int | None) -> frozenset[int]:
    return frozenset(v for v in values if v is not None)


def detainer_parties(d: Detainer) -> Parties:
    return Parties(issuing_office_ids=_ids(d.issuing_office_id), lea_ids=_ids(d.addressed_lea_id))


def subpoena_parties(s: Subpoena) -> Parties:
    doj = EnforcementReferral.objects.filter(subpoena_id=s.pk).values_list("doj_office_id", flat=True).first()
    return Parties(
        issuing_office_ids=_ids(s.issuing_office_id), lea_ids=_ids(s.recipient_lea_id), doj_office_ids=_ids(doj)
    )


def referral_parties(ref: EnforcementReferral) -> Parties:
    s = Subpoena.objects.only("issuing_office_id", "recipient_lea_id").get(pk=ref.subpoena_id)
    return Parties(
        issuing_office_ids=_ids(s.issuing_office_id),
        lea_ids=_ids(s.recipient_lea_id),
        doj_office_ids=_ids(ref.doj_office_id),
    )


register_rules(RULES)
register_parties(Detainer, detainer_parties)
register_parties(Warrant, lambda w: detainer_parties(Detainer.objects.get(pk=w.detainer_id)))
register_parties(Subpoena, subpoena_parties)
register_parties(EnforcementReferral, referral_parties)
register_parties(CourtCase, lambda c: referral_parties(EnforcementReferral.objects.get(pk=c.referral_id)))
