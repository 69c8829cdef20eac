"""Load the shipped reference data into the database.

Creates the 25 ICE areas of responsibility, states and counties (FIPS), two consolidated cities (New York
City, Denver), one synthetic sheriff's office and jail per county, the published 287(g) sheets, one agency
field-office organization per AOR, and the seeded local-law policies.

Every row is keyed by a natural key (AOR name, FIPS, ORI, facility code, 287(g) sheet + row, organization
kind + name, policy key + version) and upserted, so re-running after a data refresh updates rows in place and
never duplicates them. Rows that disappear from a newer file are left alone: other records may point at them.
See data/PROVENANCE.md for sources and currency.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction

from holdtrack.accounts.models import Organization, OrgKind
from holdtrack.core.legal_rules import R_CO_RELEASE_6H
from holdtrack.jurisdictions.models import (
    AgencyType,
    Agreement287g,
    AgreementModel,
    AreaOfResponsibility,
    Facility,
    FacilityType,
    HoldRule,
    Instrument,
    Jurisdiction,
    LawEnforcementAgency,
    Level,
    NotifyRule,
    Policy,
    SubpoenaRule,
)
from holdtrack.jurisdictions.signals import areas_changed

DATA_DIR = Path(__file__).resolve().parent / "data"

# progress(stage, stages_done, stages_total), called after each stage.
ProgressCallback = Callable[[str, int, int], None]

# Main IANA zone per state/territory. Split states use the zone of most of their population. Counties inherit
# the state zone (no county-level zone data ships): e.g. the Florida panhandle or El Paso TX are an hour off.
STATE_TIMEZONES: dict[str, str] = {
    "AL": "America/Chicago",
    "AK": "America/Anchorage",
    "AS": "Pacific/Pago_Pago",
    "AZ": "America/Phoenix",
    "AR": "America/Chicago",
    "CA": "America/Los_Angeles",
    "CO": "America/Denver",
    "CT": "America/New_York",
    "DE": "America/New_York",
    "DC": "America/New_York",
    "FL": "America/New_York",
    "GA": "America/New_York",
    "GU": "Pacific/Guam",
    "HI": "Pacific/Honolulu",
    "ID": "America/Boise",
    "IL": "America/Chicago",
    "IN": "America/Indiana/Indianapolis",
    "IA": "America/Chicago",
    "KS": "America/Chicago",
    "KY": "America/New_York",
    "LA": "America/Chicago",
    "ME": "America/New_York",
    "MD": "America/New_York",
    "MA": "America/New_York",
    "MI": "America/Detroit",
    "MN": "America/Chicago",
    "MP": "Pacific/Saipan",
    "MS": "America/Chicago",
    "MO": "America/Chicago",
    "MT": "America/Denver",
    "NE": "America/Chicago",
    "NV": "America/Los_Angeles",
    "NH": "America/New_York",
    "NJ": "America/New_York",
    "NM": "America/Denver",
    "NY": "America/New_York",
    "NC": "America/New_York",
    "ND": "America/Chicago",
    "OH": "America/New_York",
    "OK": "America/Chicago",
    "OR": "America/Los_Angeles",
    "PA": "America/New_York",
    "PR": "America/Puerto_Rico",
    "RI": "America/New_York",
    "SC": "America/New_York",
    "SD": "America/Chicago",
    "TN": "America/Chicago",
    "TX": "America/Chicago",
    "UM": "Pacific/Midway",
    "UT": "America/Denver",
    "VT": "America/New_York",
    "VA": "America/New_York",
    "VI": "America/St_Thomas",
    "WA": "America/Los_Angeles",
    "WV": "America/New_York",
    "WI": "America/Chicago",
    "WY": "America/Denver",
}

SUPPORT_TYPE_MODEL: dict[str, str] = {
    "Jail Enforcement Model": AgreementModel.JEM,
    "Warrant Service Officer": AgreementModel.WSO,
    "Task Force Model": AgreementModel.TFM,
}

AGREEMENT_SHEETS: list[tuple[str, str]] = [
    ("287g_participating_agencies.csv", "ACTIVE"),
    ("287g_pending_agencies.csv", "PENDING"),
]

NYC_FIPS = "36-new-york-city"
NYC_COUNTIES = ["36005", "36047", "36061", "36081", "36085"]
DENVER_FIPS = "08-denver"
DENVER_COUNTY = "08031"
# Synthetic identifiers: county FIPS digits never contain letters, so "NYC" cannot collide with a county row.
NYC_DOC_ORI = "NYNYC0000"
NYC_DOC_FACILITY = "NYNYCDC"


@dataclass(frozen=True)
class CitySpec:
    fips: str
    name: str
    state_abbr: str
    parent_fips: str
    aor: str
    member_counties: list[str] = field(default_factory=list)


CITIES = [
    CitySpec(NYC_FIPS, "New York City", "NY", "36", "New York City", NYC_COUNTIES),
    # Consolidated city-county: listing its own county binds agencies filed under 08031 to city policy too.
    CitySpec(DENVER_FIPS, "Denver", "CO", DENVER_COUNTY, "Denver", [DENVER_COUNTY]),
]


def sheriff_ori(state_abbr: str, county_fips3: str) -> str:
    """Synthetic 9-character ORI for a county's sheriff, e.g. WA0530000 (not a published ORI)."""
    return f"{state_abbr}{county_fips3}0000"


def jail_code(state_abbr: str, county_fips3: str) -> str:
    """Synthetic 7-character ICE-style facility code for a county jail, e.g. WA053CJ."""
    return f"{state_abbr}{county_fips3}CJ"


def _read(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


# --- seeded policies (domain.md A3.2) ----------------------------------------------------------------------
# Summaries paraphrase the sources; [A] marks a modelling choice that counsel should confirm.

POLICIES: list[dict[str, Any]] = [
    {
        "key": "CA-SB54",
        "owner_fips": "06",
        "title": "California Values Act (SB 54)",
        "citation": "Cal. Gov. Code §§ 7282.5, 7284–7284.12 (SB 54, 2017)",
        "source_url": "https://legiscan.com/CA/text/SB54/id/1635025/California-2017-SB54-Amended.html",
        "instrument": Instrument.STATUTE,
        "effective_from": date(2018, 1, 1),
        "hold_requests": HoldRule.LISTED_OFFENSES,
        "notification_requests": NotifyRule.CONDITIONAL,
        "subpoena_handling": SubpoenaRule.LEGAL_REVIEW,
        "summary": (
            "Subject to the statute's exceptions, state and local LEAs may not spend money or staff time to "
            "investigate, question, detain or arrest people for immigration enforcement. Keeping a subject "
            "in custody on a hold request is generally barred. Release notification and transfer are allowed "
            "only in the listed cases (confirm the offense lists in § 7282.5). State prisons must give the "
            "subject a written consent form before an agency interview and a copy of any request received. "
            "Effective date per a secondary source."
        ),
    },
    {
        "key": "CO-HB19-1124",
        "owner_fips": "08",
        "title": "Colorado HB19-1124 (civil immigration detainers)",
        "citation": "Colo. HB19-1124 (2019)",
        "source_url": "https://leg.colorado.gov/bills/HB19-1124",
        "instrument": Instrument.STATUTE,
        "effective_from": date(2019, 5, 28),
        "hold_requests": HoldRule.NEVER,
        "notification_requests": NotifyRule.PROHIBITED,
        "subpoena_handling": SubpoenaRule.LEGAL_REVIEW,
        "summary": (
            "No arrest or detention based only on a civil immigration detainer; help with warrants signed by "
            "federal judges, and with writs, remains allowed. Probation staff may not give personal "
            "information to immigration authorities. Before a phone or video interview by the agency the "
            "subject must be told who is asking, that they may decline or stay silent, may consult a lawyer, "
            "and that answers can be used against them. Notification is modelled as prohibited, following "
            "the project's policy class for Colorado [A]. Effective date taken as the signing date (28 May "
            "2019)."
        ),
    },
    {
        "key": "CO-SB25-276",
        "owner_fips": "08",
        "title": "Colorado SB25-276 (2025)",
        "citation": "Colo. SB25-276 (2025)",
        "source_url": "https://s3.us-west-2.amazonaws.com/beta.leg.colorado.gov/9e2ee144ad876f65c151c6f161209558",
        "instrument": Instrument.STATUTE,
        "effective_from": date(2025, 6, 1),
        "hold_requests": HoldRule.NEVER,
        "notification_requests": NotifyRule.PROHIBITED,
        "subpoena_handling": SubpoenaRule.JUDICIAL_ONLY,
        "release_within_hours": R_CO_RELEASE_6H.hours,
        "summary": (
            "Jails may not delay a release to accommodate an immigration operation; release must follow "
            "within 6 hours of a personal-recognizance bond being granted or bond being posted. The ban on "
            "arrests on detainers covers every peace officer. Agency staff may enter non-public areas only "
            "with a federal warrant for a transfer. Personal identifying information may be disclosed only "
            "under a warrant or subpoena issued by a judge. Effective date approximated (1 June 2025); "
            "confirm from the session laws."
        ),
    },
    {
        "key": "IL-TRUST",
        "owner_fips": "17",
        "title": "Illinois TRUST Act",
        "citation": "5 ILCS 805 (P.A. 100-463, SB 31, 2017)",
        "source_url": "https://ilga.gov/legislation/publicacts/100/100-0463.htm",
        "instrument": Instrument.STATUTE,
        "effective_from": date(2017, 8, 28),
        "hold_requests": HoldRule.NEVER,
        "notification_requests": NotifyRule.CONDITIONAL,
        "subpoena_handling": SubpoenaRule.LEGAL_REVIEW,
        "summary": (
            "An immigration detainer is a request for notice or continued custody not approved by a judge. "
            "LEAs may not stop, arrest, search or hold anyone because of immigration status or on a detainer "
            "or non-judicial warrant. Information exchange under 8 U.S.C. 1373 is not restricted; "
            "notification is modelled as conditional [A]. The Way Forward Act (2021) later added limits on "
            "status questions."
        ),
    },
    {
        "key": "OR-ORS-181A820",
        "owner_fips": "41",
        "title": "Oregon ORS 181A.820 (1987)",
        "citation": "ORS 181A.820 (1987)",
        "source_url": "https://www.oregonir.org/book/export/html/2433",
        "instrument": Instrument.STATUTE,
        "effective_from": date(1987, 7, 1),
        "hold_requests": HoldRule.NEVER,
        "notification_requests": NotifyRule.ALLOWED,
        "subpoena_handling": SubpoenaRule.LEGAL_REVIEW,
        "summary": (
            "The first statewide law of its kind: LEAs may not use money, equipment or staff to find or "
            "apprehend people whose only violation is presence in breach of federal immigration law. "
            "Exchanging information to verify status after a criminal arrest, or for a criminal "
            "investigation, stays allowed. Effective date approximated (1 July 1987)."
        ),
    },
    {
        "key": "OR-SANCTUARY-PROMISE",
        "owner_fips": "41",
        "title": "Oregon Sanctuary Promise Act (HB 3265)",
        "citation": "ORS 180.805, 181A.820–.829 (HB 3265, 2021)",
        "source_url": (
            "https://doj.state.or.us/oregon-department-of-justice/civil-rights/sanctuary-promise/law-enforcement-toolkit"
        ),
        "instrument": Instrument.STATUTE,
        "effective_from": date(2021, 7, 19),
        "hold_requests": HoldRule.NEVER,
        "notification_requests": NotifyRule.PROHIBITED,
        "subpoena_handling": SubpoenaRule.DECLINE_DOCUMENT_REPORT,
        "summary": (
            "Public facilities and staff may not be used to investigate, detain or hold people for "
            "immigration enforcement. Contact details, release dates, supervision appointments and addresses "
            "may not be shared. Any request not backed by a judicial subpoena or warrant must be declined, "
            "documented and reported to the Criminal Justice Commission. Arrestees get written notice, in "
            "their preferred language, that they may decline to state nationality or status. No civil "
            "immigration arrests at courthouses without a judicial warrant; there is a private right of "
            "action."
        ),
    },
    {
        "key": "WA-KWW",
        "owner_fips": "53",
        "title": "Keep Washington Working Act (SB 5497)",
        "citation": "RCW 10.93.160 (SB 5497, 2019)",
        "source_url": "https://atg.wa.gov/keep-washington-working-policies",
        "instrument": Instrument.STATUTE,
        "effective_from": date(2019, 5, 21),
        "hold_requests": HoldRule.JUDICIAL_WARRANT,
        "notification_requests": NotifyRule.PROHIBITED,
        "subpoena_handling": SubpoenaRule.JUDICIAL_ONLY,
        "summary": (
            "A hold request is any request made without a court order, including Form I-247A; a court order "
            "means one from a judge under U.S. Const. art. III or Wash. Const. art. IV. LEAs may not keep a "
            "subject in custody on a hold request or enforce civil (administrative) immigration warrants, "
            "may not ask about status or place of birth unless relevant, and may not share that information. "
            "State prisons have exceptions. Agencies adopt the Attorney General's model policies or explain "
            "why not."
        ),
    },
    {
        "key": "NYC-LL58",
        "owner_fips": NYC_FIPS,
        "title": "New York City Local Law 58 of 2014 (Department of Correction)",
        "citation": "New York City Admin. Code § 9-131 (Local Law 58 of 2014)",
        "source_url": (
            "https://legistar.council.nyc.gov/LegislationDetail.aspx?ID=1935437"
            "&GUID=0A456911-54A6-41E5-8C5A-1D3B231D56AA&Options=ID%7cText%7c&Search=486"
        ),
        "instrument": Instrument.ORDINANCE,
        "effective_from": date(2014, 12, 14),
        "hold_requests": HoldRule.JUDICIAL_WARRANT_AND_SERIOUS,
        "notification_requests": NotifyRule.CONDITIONAL,
        "subpoena_handling": SubpoenaRule.LEGAL_REVIEW,
        "summary": (
            "The Department of Correction honors a detainer only when it comes with a warrant from a federal "
            "(Article III) judge or magistrate and the subject has a violent or serious conviction within "
            "five years or is a possible terrorist-watchlist match. The agency may not keep an office on "
            "Rikers Island, and communication about release and court dates is limited. Effective date "
            "approximate (about 14 December 2014). Local Law 59 of 2014 sets the parallel NYPD rule (§ "
            "14-154)."
        ),
    },
    {
        "key": "DENVER-PRACTICE",
        "owner_fips": DENVER_FIPS,
        "title": "Denver practice on immigration administrative subpoenas",
        "citation": "Denver city attorney's office statement on immigration subpoenas (January 2020)",
        "source_url": (
            "https://www.lexisnexis.com/community/insights/legal/immigration/b/outsidenews/posts/"
            "ice-subpoenas-denver-law-enforcement"
        ),
        "instrument": Instrument.AGENCY_POLICY,
        "effective_from": date(2020, 1, 13),
        # Holds are left to Colorado law (CO-HB19-1124), so a refusal cites the statute, not this practice.
        "hold_requests": HoldRule.HONOR,
        "notification_requests": NotifyRule.ALLOWED,
        "subpoena_handling": SubpoenaRule.JUDICIAL_ONLY,
        "summary": (
            "Under its immigration ordinance the city answers a subpoena only when a court has ordered it or "
            "when it mainly concerns a criminal investigation; modelled as judicial-only [A]. Holds and "
            "notification are not addressed here: Colorado law already bars holds on detainers."
        ),
    },
]


def load_reference(progress: ProgressCallback | None = None) -> dict[str, int]:
    """Upsert all reference data in one transaction; return the number of rows written per kind."""
    counts: dict[str, int] = {}
    ctx: dict[str, dict[str, int]] = {}

    counties = _read("county_to_aor.csv")

    def aors() -> int:
        names = sorted({r["office_name"] for r in _read("ice_areas_of_responsibility.csv")})
        AreaOfResponsibility.objects.bulk_create([AreaOfResponsibility(name=n) for n in names], ignore_conflicts=True)
        ctx["aor"] = dict(AreaOfResponsibility.objects.values_list("name", "pk"))
        missing = {r["aor_field_office"] for r in counties} - set(ctx["aor"]) - {""}
        if missing:
            raise ValueError(f"county_to_aor.csv names unknown field offices: {sorted(missing)}")
        return len(names)

    def states() -> int:
        seen: dict[str, dict[str, str]] = {}
        for r in counties:
            seen.setdefault(r["state_fips"], r)
        rows = [
            Jurisdiction(
                level=Level.STATE,
                fips=fips,
                name=r["state_name"],
                state_abbr=r["state_abbr"],
                timezone=STATE_TIMEZONES[r["state_abbr"]],
            )
            for fips, r in sorted(seen.items())
        ]
        Jurisdiction.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["fips"],
            update_fields=["level", "name", "state_abbr", "timezone", "parent", "aor"],
        )
        ctx["state"] = dict(Jurisdiction.objects.filter(level=Level.STATE).values_list("fips", "pk"))
        return len(rows)

    def county_rows() -> int:
        rows = [
            Jurisdiction(
                level=Level.COUNTY,
                fips=r["fips"],
                name=r["county_name"],
                state_abbr=r["state_abbr"],
                parent_id=ctx["state"][r["state_fips"]],
                aor_id=ctx["aor"].get(r["aor_field_office"]),
                timezone=STATE_TIMEZONES[r["state_abbr"]],
            )
            for r in counties
        ]
        Jurisdiction.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["fips"],
            update_fields=["level", "name", "state_abbr", "parent", "aor", "timezone"],
        )
        ctx["county"] = dict(Jurisdiction.objects.filter(level=Level.COUNTY).values_list("fips", "pk"))
        return len(rows)

    def cities() -> int:
        ctx["city"] = {}
        for spec in CITIES:
            parent_pk = ctx["state"].get(spec.parent_fips) or ctx["county"][spec.parent_fips]
            city, _ = Jurisdiction.objects.update_or_create(
                fips=spec.fips,
                defaults={
                    "level": Level.CONSOLIDATED,
                    "name": spec.name,
                    "state_abbr": spec.state_abbr,
                    "parent_id": parent_pk,
                    "aor_id": ctx["aor"][spec.aor],
                    "timezone": STATE_TIMEZONES[spec.state_abbr],
                },
            )
            city.member_counties.set([ctx["county"][f] for f in spec.member_counties])
            ctx["city"][spec.fips] = city.pk
        return len(CITIES)

    def agencies() -> int:
        rows = []
        for r in counties:
            name, jurisdiction_pk = f"{r['county_name']} Sheriff's Office", ctx["county"][r["fips"]]
            if r["fips"] == DENVER_COUNTY:
                # Denver is a consolidated city-county: its sheriff answers to the city.
                name, jurisdiction_pk = "Denver Sheriff Department", ctx["city"][DENVER_FIPS]
            rows.append(
                LawEnforcementAgency(
                    ori=sheriff_ori(r["state_abbr"], r["county_fips"]),
                    ori_synthetic=True,
                    name=name,
                    agency_type=AgencyType.SHERIFF,
                    jurisdiction_id=jurisdiction_pk,
                )
            )
        rows.append(
            LawEnforcementAgency(
                ori=NYC_DOC_ORI,
                ori_synthetic=True,
                name="New York City Department of Correction",
                agency_type=AgencyType.CITY_DOC,
                jurisdiction_id=ctx["city"][NYC_FIPS],
            )
        )
        LawEnforcementAgency.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["ori"],
            update_fields=["ori_synthetic", "name", "agency_type", "jurisdiction"],
        )
        ctx["lea"] = dict(LawEnforcementAgency.objects.filter(ori__in=[a.ori for a in rows]).values_list("ori", "pk"))
        return len(rows)

    def facilities() -> int:
        rows = [
            Facility(
                code=jail_code(r["state_abbr"], r["county_fips"]),
                name=f"{r['county_name']} Jail",
                facility_type=FacilityType.COUNTY_JAIL,
                operator_id=ctx["lea"][sheriff_ori(r["state_abbr"], r["county_fips"])],
                timezone=STATE_TIMEZONES[r["state_abbr"]],
            )
            for r in counties
        ]
        rows.append(
            Facility(
                code=NYC_DOC_FACILITY,
                name="NYC DOC Central Facility",
                facility_type=FacilityType.COUNTY_JAIL,
                operator_id=ctx["lea"][NYC_DOC_ORI],
                timezone=STATE_TIMEZONES["NY"],
            )
        )
        Facility.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "facility_type", "operator", "timezone"],
        )
        return len(rows)

    def agreements() -> int:
        state_abbr_by_fips = {r["fips"]: r["state_abbr"] for r in counties}
        rows = []
        for filename, status in AGREEMENT_SHEETS:
            for n, r in enumerate(_read(filename), start=1):
                county_fips = r["county_fips_matched"]
                lea_pk = None
                # Only county sheriffs map onto our synthetic agencies (one per county FIPS); municipal and
                # state agencies stay unlinked because we ship no ORI for them.
                if county_fips and r["agency_type"] == "County" and "Sheriff" in r["agency"]:
                    lea_pk = ctx["lea"][sheriff_ori(state_abbr_by_fips[county_fips], county_fips[2:])]
                rows.append(
                    Agreement287g(
                        state_abbr=r["state_abbr"],
                        agency_name=r["agency"],
                        agency_kind=r["agency_type"],
                        county_id=ctx["county"][county_fips] if county_fips else None,
                        lea_id=lea_pk,
                        model=SUPPORT_TYPE_MODEL[r["support_type"]],
                        status=status,
                        signed_on=_parse_date(r.get("signed_date", "")),
                        moa_url=r.get("moa_url", ""),
                        source_sheet=r["source_sheet"],
                        source_row=n,
                    )
                )
        Agreement287g.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["source_sheet", "source_row"],
            update_fields=[
                "state_abbr",
                "agency_name",
                "agency_kind",
                "county",
                "lea",
                "model",
                "status",
                "signed_on",
                "moa_url",
            ],
        )
        return len(rows)

    def organizations() -> int:
        for name, aor_pk in ctx["aor"].items():
            # neutral_review_required is set only on creation so an administrator's later choice survives a
            # reload (Gonzalez settlement coverage is not in the shipped data).
            org, created = Organization.objects.get_or_create(
                kind=OrgKind.AGENCY_OFFICE,
                name=f"{name} Field Office",
                defaults={"aor_id": aor_pk, "neutral_review_required": False},
            )
            if not created and org.aor_id != aor_pk:
                org.aor_id = aor_pk
                org.save(update_fields=["aor"])
        return len(ctx["aor"])

    def policies() -> int:
        owners = {**ctx["state"], **ctx["city"]}
        for spec in POLICIES:
            # Create-only: evaluations stored on cases point at a (key, version) row, so a shipped row is never
            # rewritten in place. A changed rule ships as a new version in POLICIES.
            values = {"hold_max_hours": None, "release_within_hours": None}
            values.update({k: v for k, v in spec.items() if k not in {"key", "owner_fips", "version"}})
            Policy.objects.get_or_create(
                key=spec["key"],
                version=spec.get("version", 1),
                defaults={**values, "jurisdiction_id": owners[spec["owner_fips"]]},
            )
        return len(POLICIES)

    stages: list[tuple[str, Callable[[], int]]] = [
        ("areas_of_responsibility", aors),
        ("states", states),
        ("counties", county_rows),
        ("cities", cities),
        ("agencies", agencies),
        ("facilities", facilities),
        ("agreements_287g", agreements),
        ("organizations", organizations),
        ("policies", policies),
    ]
    with transaction.atomic():
        for done, (label, stage) in enumerate(stages, start=1):
            counts[label] = stage()
            if progress is not None:
                progress(label, done, len(stages))
        # The upserts above may have moved agencies or counties between areas, without saving each row.
        areas_changed.send(sender=load_reference, lea_ids=None)
    return counts
