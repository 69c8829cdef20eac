"""Local law as data: the seeded policies give the expected hold, notification and subpoena answers."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.forms.models import model_to_dict

from holdtrack.jurisdictions.models import (
    Agreement287g,
    HoldRule,
    LawEnforcementAgency,
    NotifyRule,
    Policy,
    SubpoenaRule,
)
from holdtrack.jurisdictions.policy import DEFAULT_HOLD_RULE, Evaluation, evaluate, memoised_reads
from holdtrack.jurisdictions.reference import load_reference
from tests.factories import make_policy, make_world

pytestmark = pytest.mark.django_db

ON = date(2025, 7, 1)
# Synthetic ORIs created by the loader: state + 3-digit county FIPS + "0000".
KING_WA = "WA0330000"
LOS_ANGELES_CA = "CA0370000"
EL_PASO_CO = "CO0410000"
DENVER = "CO0310000"
TRAVIS_TX = "TX4530000"
MULTNOMAH_OR = "OR0510000"
COOK_IL = "IL0310000"
KINGS_NY = "NY0470000"
NYC_DOC = "NYNYC0000"
COLBERT_AL = "AL0330000"  # 287(g) JEM and WSO signed 2025-05-08


@pytest.fixture(autouse=True)
def _reference() -> None:
    load_reference()


def lea(ori: str) -> LawEnforcementAgency:
    return LawEnforcementAgency.objects.select_related("jurisdiction").get(ori=ori)


def ev(ori: str, on: date = ON, *, warrant: bool = False, serious: bool = False) -> Evaluation:
    return evaluate(lea(ori), on=on, judicial_warrant=warrant, serious_conviction=serious)


@pytest.mark.smoke
def test_washington_needs_a_judicial_warrant() -> None:
    refused = ev(KING_WA)
    assert refused.hold_allowed is False
    assert refused.hold_rule == HoldRule.JUDICIAL_WARRANT
    assert "WA-KWW v1" in refused.rule_ids
    assert refused.refusal is not None
    assert refused.refusal.rule_id == "WA-KWW v1"
    assert "RCW 10.93.160" in refused.refusal.citation
    assert refused.notify_allowed is False
    assert refused.subpoena_handling == SubpoenaRule.JUDICIAL_ONLY

    allowed = ev(KING_WA, warrant=True)
    assert allowed.hold_allowed is True
    assert allowed.refusal is None
    assert allowed.hold_max_hours == 48
    assert "WA-KWW v1" in allowed.rule_ids


def test_california_no_hold_notification_only_with_serious_conviction() -> None:
    plain = ev(LOS_ANGELES_CA, warrant=True)
    assert plain.hold_allowed is False
    assert plain.hold_rule == HoldRule.LISTED_OFFENSES
    assert plain.notify_rule == NotifyRule.CONDITIONAL
    assert plain.notify_allowed is False
    assert plain.subpoena_handling == SubpoenaRule.LEGAL_REVIEW
    assert "CA-SB54 v1" in plain.rule_ids
    assert plain.refusal is not None and plain.refusal.rule_id == "CA-SB54 v1"
    assert "7282.5" in plain.refusal.citation

    serious = ev(LOS_ANGELES_CA, warrant=True, serious=True)
    assert serious.hold_allowed is False
    assert serious.notify_allowed is True
    assert "CA-SB54 v1" in serious.rule_ids


@pytest.mark.parametrize(
    ("warrant", "serious", "allowed"),
    [(False, False, False), (True, False, False), (False, True, False), (True, True, True)],
)
def test_nyc_doc_needs_warrant_and_serious_conviction(warrant: bool, serious: bool, allowed: bool) -> None:
    result = ev(NYC_DOC, warrant=warrant, serious=serious)
    assert result.hold_allowed is allowed
    assert result.hold_rule == HoldRule.JUDICIAL_WARRANT_AND_SERIOUS
    assert "NYC-LL58 v1" in result.rule_ids
    if not allowed:
        assert result.refusal is not None
        assert result.refusal.rule_id == "NYC-LL58 v1"
        assert "9-131" in result.refusal.citation


def test_county_inside_nyc_is_bound_by_city_law() -> None:
    # Kings County is a member county of New York City, so city law reaches agencies filed under the county.
    result = ev(KINGS_NY, warrant=True)
    assert "NYC-LL58 v1" in result.rule_ids
    assert result.hold_allowed is False


def test_colorado_release_within_six_hours_after_sb25_276() -> None:
    after = ev(EL_PASO_CO, date(2025, 6, 1))
    assert after.release_within_hours == 6
    assert after.hold_allowed is False
    assert {"CO-HB19-1124 v1", "CO-SB25-276 v1"} <= set(after.rule_ids)
    assert after.subpoena_handling == SubpoenaRule.JUDICIAL_ONLY

    before = ev(EL_PASO_CO, date(2025, 5, 31))
    assert before.release_within_hours is None
    assert "CO-SB25-276 v1" not in before.rule_ids
    assert "CO-HB19-1124 v1" in before.rule_ids
    assert before.hold_allowed is False


def test_denver_practice_applies_to_the_city_sheriff() -> None:
    result = ev(DENVER, date(2024, 3, 1))
    assert "DENVER-PRACTICE v1" in result.rule_ids
    assert "CO-HB19-1124 v1" in result.rule_ids
    assert result.subpoena_handling == SubpoenaRule.JUDICIAL_ONLY
    # The refusal cites the state statute, not the city's subpoena practice.
    assert result.refusal is not None and result.refusal.rule_id == "CO-HB19-1124 v1"


def test_texas_without_policy_honors_hold_for_48_hours() -> None:
    result = ev(TRAVIS_TX)
    assert result.hold_allowed is True
    assert result.hold_max_hours == 48
    assert result.hold_ceiling_rule == DEFAULT_HOLD_RULE
    assert result.notify_allowed is True
    assert result.refusal is None
    assert result.rule_ids == [DEFAULT_HOLD_RULE]


def test_oregon_declines_documents_and_reports_subpoenas() -> None:
    result = ev(MULTNOMAH_OR)
    assert result.subpoena_handling == SubpoenaRule.DECLINE_DOCUMENT_REPORT
    assert result.hold_allowed is False
    assert result.notify_allowed is False
    assert {"OR-ORS-181A820 v1", "OR-SANCTUARY-PROMISE v1"} <= set(result.rule_ids)

    # Before the 2021 act only the 1987 law applies: no holds, but notification and ordinary subpoena review.
    earlier = ev(MULTNOMAH_OR, date(2020, 1, 1), serious=False)
    assert earlier.rule_ids == [DEFAULT_HOLD_RULE, "OR-ORS-181A820 v1"]
    assert earlier.hold_allowed is False
    assert earlier.notify_allowed is True
    assert earlier.subpoena_handling == SubpoenaRule.LEGAL_REVIEW


def test_illinois_no_hold_conditional_notification() -> None:
    result = ev(COOK_IL, warrant=True)
    assert result.hold_allowed is False
    assert result.notify_allowed is False
    assert ev(COOK_IL, serious=True).notify_allowed is True
    assert "IL-TRUST v1" in result.rule_ids


def test_policy_ignored_before_effective_from() -> None:
    before = ev(KING_WA, date(2019, 5, 20))
    assert "WA-KWW v1" not in before.rule_ids
    assert before.hold_allowed is True
    on_the_day = ev(KING_WA, date(2019, 5, 21))
    assert "WA-KWW v1" in on_the_day.rule_ids
    assert on_the_day.hold_allowed is False


def test_policy_ignored_after_effective_to() -> None:
    Policy.objects.filter(key="WA-KWW", version=1).update(effective_to=date(2024, 12, 31))
    assert "WA-KWW v1" in ev(KING_WA, date(2024, 12, 31)).rule_ids
    later = ev(KING_WA, date(2025, 1, 1))
    assert "WA-KWW v1" not in later.rule_ids
    assert later.hold_allowed is True


def test_newer_version_supersedes_version_one() -> None:
    v1 = Policy.objects.get(key="WA-KWW", version=1)
    fields = model_to_dict(v1, exclude=["id", "jurisdiction", "lea", "version"])
    fields.update(
        version=2,
        jurisdiction=v1.jurisdiction,
        effective_from=date(2024, 1, 1),
        hold_requests=HoldRule.NEVER,
        citation="RCW 10.93.160 (as amended, test)",
    )
    Policy.objects.create(**fields)

    now = ev(KING_WA, warrant=True)
    assert "WA-KWW v2" in now.rule_ids
    assert "WA-KWW v1" not in now.rule_ids
    assert now.hold_allowed is False
    assert now.refusal is not None
    assert (now.refusal.rule_id, now.refusal.citation) == ("WA-KWW v2", "RCW 10.93.160 (as amended, test)")

    # Before version 2 took effect, version 1 still governs.
    earlier = ev(KING_WA, date(2023, 6, 1), warrant=True)
    assert "WA-KWW v1" in earlier.rule_ids
    assert "WA-KWW v2" not in earlier.rule_ids
    assert earlier.hold_allowed is True


def test_agency_policy_shortens_hold_ceiling() -> None:
    king = lea(KING_WA)
    Policy.objects.create(
        key="KING-SO-HOLD-24H",
        title="Test ceiling",
        citation="Test agency policy",
        instrument="AGENCY_POLICY",
        lea=king,
        effective_from=date(2020, 1, 1),
        hold_max_hours=24,
        summary="Test only.",
    )
    result = ev(KING_WA, warrant=True)
    assert result.hold_allowed is True
    assert (result.hold_max_hours, result.hold_ceiling_rule) == (24, "KING-SO-HOLD-24H v1")
    assert "KING-SO-HOLD-24H v1" in result.rule_ids


def test_287g_agreement_is_named_from_signing_date() -> None:
    # Colbert signed JEM and WSO the same day (and TFM later); the broader JEM is named, on every database.
    agreement = Agreement287g.objects.get(lea__ori=COLBERT_AL, model="JEM")
    assert Agreement287g.objects.filter(lea__ori=COLBERT_AL, signed_on=agreement.signed_on).count() == 2
    assert ev(COLBERT_AL).rule_ids == [DEFAULT_HOLD_RULE, f"287G-{agreement.pk}"]
    assert ev(COLBERT_AL).agreement_287g == "Jail Enforcement Model signed 2025-05-08"
    before = ev(COLBERT_AL, date(2025, 5, 7))
    assert before.agreement_287g == ""
    assert before.rule_ids == [DEFAULT_HOLD_RULE]


def test_evaluation_serializes_for_storage_on_the_case() -> None:
    result = ev(KING_WA)
    data = json.loads(json.dumps(result.as_dict(), cls=DjangoJSONEncoder))
    assert data["refusal"]["rule_id"] == "WA-KWW v1"
    assert data["hold_rule"] == "JUDICIAL_WARRANT"
    assert "WA-KWW v1" in result.explain()


@pytest.mark.django_db
def test_memoised_reads_are_scoped_to_the_batch() -> None:
    w = make_world()
    on = date(2026, 3, 2)
    with memoised_reads():
        assert evaluate(w.lea, on=on).hold_allowed
        make_policy(w.lea.jurisdiction, "TEST-NO-HOLDS")
        assert evaluate(w.lea, on=on).hold_allowed  # the batch keeps the reads it started with
    assert not evaluate(w.lea, on=on).hold_allowed  # outside the batch the new policy applies at once
