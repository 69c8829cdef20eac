"""Calibration of the simulator, from domain.md Part D. Tags: [S] sourced, [D] derived, [A] assumption.

Volume (D1)
    ``scale=1`` is national volume in the ``y2025`` era: 700 detainers per day on average over all days [S→D].
    Weekend days run at 45% of a weekday [A], so a weekday carries 700·7/5.9 ≈ 830. Each calendar month gets a
    ±5% random factor [A]. The daily count is Poisson around that mean.

Concentration (D2)
    Every LEA gets a lognormal weight. For a plain lognormal the top 9% of units hold 1 − Φ(Φ⁻¹(0.91) − σ) of
    the mass, which is 71% at σ ≈ 1.9; the state rescaling below concentrates volume further, so σ = 1.65 is
    used, which gives the top 9% of LEAs ≈ 70% of the expected volume (FY2019: 9% of LEAs received 71.2%)
    [S→D]. State totals are then rescaled: TX 33% + CA 12% (CA+TX ≈ 45%, between the 42% and 48.6% sourced) and
    FL 6% [S]; the split of the 45% between TX and CA is [A] (TX has led recent years). No single LEA exceeds 2% of the total (the top
    LEA, Harris County, received ~2% in FY2019) [S→D]. LEAs without an area of responsibility are skipped.

Timing (D3, D6)
    booking → detainer prepared: lognormal, median 1 day, σ 1.3 (80th percentile 3 days) [A];
    booking → release eligibility: lognormal, median 35 days, σ 1.3 for detainer cases [A, fitted to Pierce];
    ICE arrival after eligibility on a hold: 50% < 4 h, 35% 4–24 h, 10% 24–48 h, 5% no-show [A];
    advance notice where local law allows it: 60% ≥ 48 h, 25% 2–48 h, 15% < 2 h [A].

Outcomes (D5)
    Local law decides the LEA's answer (``jurisdictions.policy.evaluate``); 30% of the declines are recorded
    as such, the rest end unanswered at the release (``DECLINE_RECORDED_P``). On hold-honoring LEAs the fates
    below are drawn per detainer [A]; what is left is custody transfer or, for 5% of holds, a no-show that
    ends at the 48-hour ceiling (15% of those released some hours late: the V2 over-detention cases).

Subpoenas (D7)
    Released-before-pickup and declined detainers at LEAs under a limited-cooperation policy each start a
    campaign with probability ``CAMPAIGN_P`` (at most one per LEA per ``CAMPAIGN_COOLDOWN_DAYS``), which gives
    a few campaigns a month at scale 0.05 [A]. Parameters of return windows, items, responses, referral,
    petition, decision and compliance are those of D7.
"""

from __future__ import annotations

import math

# ---------------------------------------------------------------------------------------------- volume (D1)
NATIONAL_PER_DAY = 700.0
WEEKEND_FACTOR = 0.45
WEEKDAY_PER_DAY = NATIONAL_PER_DAY * 7 / (5 + 2 * WEEKEND_FACTOR)
MONTHLY_NOISE = 0.05
REJECTED_MATCH_SHARE = 0.03  # extra bookings whose proposed match an officer rejects [A]

# -------------------------------------------------------------------------------------- concentration (D2)
LEA_SIGMA = 1.65
STATE_SHARES = {"TX": 0.33, "CA": 0.12, "FL": 0.06}
MAX_LEA_SHARE = 0.02

# ---------------------------------------------------------------------------------------------- timing (D3)
PREPARE_MEDIAN_DAYS, PREPARE_SIGMA, PREPARE_MAX_DAYS = 1.0, 1.3, 365.0
STAY_MEDIAN_DAYS, STAY_SIGMA, STAY_MAX_DAYS = 35.0, 1.3, 730.0
REJECTED_STAY_MEDIAN_DAYS, REJECTED_STAY_SIGMA = 3.0, 1.9
# Earliest release eligibility after the LEA's decision: the simulator does not model eligibility that
# precedes the decision (the hold would start on a window already partly elapsed) [A].
MIN_DECISION_TO_ELIGIBLE_HOURS = 6.0

# Minutes between the agency's and the LEA's steps (uniform ranges) [A].
DELAY_MINUTES = {
    "propose": (2, 10),  # IDENT response: minutes (NCIC ≤ 10 min) [S]
    "review": (10, 60),  # officer reviews the match shortly before preparing
    "approve": (15, 240),
    "transmit": (5, 60),
    "receive": (10, 480),
    "serve": (15, 720),
    "decide": (30, 1440),
}

# ------------------------------------------------------------------------------------ detainer mix (D3, A1.6)
NOTIFY_FORM_SHARE = 0.10  # I-247N / I-247G (notification only)
NOTIFY_FORMS = (("I247N", 0.6), ("I247G", 0.4))
# The booking's serious-offense flag drives NYC 9-131 and the CA SB 54 listed cases (which also count current
# serious-felony charges) [A]; 28% of detainer subjects have any prior conviction [S].
SERIOUS_CONVICTION_P = 0.30
CHARGE_LEVELS = (("FELONY", 0.45), ("MISDEMEANOR", 0.50), ("INFRACTION", 0.05))
CHARGES = (
    "Driving under the influence",
    "Driving without a valid license",
    "Assault",
    "Theft",
    "Possession of a controlled substance",
    "Burglary",
    "Domestic violence",
    "Probation violation",
    "Trespass",
    "Fraud",
    "Failure to appear",
)
PC_FINAL_ORDER_P = 0.20  # final order → I-205 warrant; otherwise I-200
PC_PENDING_P = 0.25
PC_STATEMENTS_P = 0.10
JUDICIAL_WARRANT_P = 0.05  # where local law requires one, the agency sometimes obtains one [A]
MISSING_WARRANT_P = 0.004  # prepared without the warrant; the approval guard refuses until it is attached
RELEASED_BEFORE_RECEIPT_P = 0.002  # released between transmission and receipt → validation fails
ELIGIBILITY_REASONS = (
    ("SENTENCE_COMPLETE", 0.55),
    ("CHARGES_DISMISSED", 0.20),
    ("BOND_POSTED", 0.08),
    ("PR_ORDERED", 0.07),
    ("COURT_RELEASE_ORDER", 0.05),
    ("ACQUITTED", 0.05),
)
RELEASE_TYPE_FOR = {
    "SENTENCE_COMPLETE": "TIME_SERVED",
    "CHARGES_DISMISSED": "DISMISSED",
    "BOND_POSTED": "BOND",
    "PR_ORDERED": "PR",
    "COURT_RELEASE_ORDER": "OTHER",
    "ACQUITTED": "DISMISSED",
}

# -------------------------------------------------------------------------------------------- decision (D4)
HONOR_WHEN_ALLOWED = 0.95  # an LEA whose law allows holds still notifies only (3%) or declines (2%) [A]
NOTIFY_INSTEAD_WHEN_ALLOWED = 0.03
# LEAs generally do not tell the agency when they decline (ICE's own caveat on its declined-detainer reports,
# domain.md A4.1): only this share of declines is recorded as a decision; the others never answer, and the
# subject's release ends the detainer as released before pickup ("No longer in custody"). Sized so that the
# recorded-decline share lands in the 2–5% of D5 [S: TRAC 2016] with CA at 12% of the volume [A].
DECLINE_RECORDED_P = 0.3

# ---------------------------------------------------------------------------------------------- fates (D5)
# Drawn for every detainer that is not declined; "normal" ends at release eligibility.
FATES = (
    ("lift", 0.08),  # agency lifts: case closed, PD, not amenable, judicial review
    ("supersede", 0.04),  # agency lifts as superseded or duplicate
    ("transfer_agency", 0.05),  # custody moves to another LEA
    ("early_release", 0.12),  # released before eligibility was recorded (court order, error)
)
LIFT_REASONS = (
    ("Case Closed", 0.30),
    ("Prosecutorial Discretion", 0.35),
    ("Not Amenable to Removal", 0.20),
    ("Judicial Review", 0.15),
)
SUPERSEDE_REASONS = (("Superseding - New Form Issued", 0.6), ("Duplicate", 0.4))
EARLY_RELEASE_TYPES = (("DISMISSED", 0.5), ("PR", 0.3), ("OTHER", 0.2))

# Between the sweeps at the clocks it sets (ceilings, return and comply-by dates), the engine sweeps this often
# for the rest: closing finished cases, return-date alerts, overdue reviews. Hourly sweeps took 8% of a profiled
# 20-day run (more as the history grows); the clocked ones make holds end at their ceiling to the second.
SWEEP_EVERY_HOURS = 6

# ------------------------------------------------------------------------------------------ hold window (D6)
ARRIVAL = ((0.50, 0.25, 4.0), (0.35, 4.0, 24.0), (0.10, 24.0, 47.5))  # (share, from h, to h); rest no-show
LATE_RELEASE_P = 0.15  # of no-shows: released after the ceiling (V2)
LATE_RELEASE_HOURS = (1.0, 30.0)
NOTICE_LEAD = ((0.60, 48.0, 120.0), (0.25, 2.0, 48.0), (0.15, 0.25, 2.0))
HOLD_NOTICE_P = 0.70  # hold cases where the LEA also gives advance notice (when allowed)
NOTIFY_ONLY_NOTICE_P = 0.95
PICKUP_AT_RELEASE = {"ample": 0.45, "short": 0.10}  # notify-only: agency present at release

# ------------------------------------------------------------------------------------- citizenship (A5.1, D5)
CLAIM_RATE = 0.001
CLAIM_MIN_STORIES = 100  # runs with at least this many detainers get at least one claim
CLAIM_AT_BOOKING_SHARE = 0.4
CLAIM_VERIFIED_P = 0.74
CLAIM_OPEN_AFTER_DECISION_HOURS = (2.0, 96.0)
CLAIM_RESOLVE_DAYS = (1.0, 10.0)

# ------------------------------------------------------------------------------------------ subpoenas (D7)
CAMPAIGN_P = 0.045
CAMPAIGN_COOLDOWN_DAYS = 60
CAMPAIGN_DELAY_DAYS = (7.0, 40.0)
CAMPAIGN_SIZE = (2, 5)
SUBPOENA_ITEMS = (
    "HOME_ADDRESS",
    "WORK_ADDRESS",
    "PHONE",
    "DOB",
    "POB",
    "EMERGENCY_CONTACTS",
    "BOND_INFO",
    "ID_DOCUMENTS",
    "SUPERVISION_DETAILS",
    "CRIMINAL_RECORD",
)
ITEMS_PER_SUBPOENA = (4, 8)
RETURN_DAYS = ((0.75, 14, 14), (0.10, 3, 3), (0.15, 10, 13))
# Response mix by recipient class [A, D7]. "forbidden": local law bars production without a court order
# (OR, WA, CO, Denver); "limited": limited-cooperation policy that allows production after legal review.
RESPONSES = {
    "cooperative": (("FULL_PRODUCTION", 0.85), ("PARTIAL_PRODUCTION", 0.05), ("OBJECTION_LETTER", 0.05), ("", 0.05)),
    "limited": (
        ("FULL_PRODUCTION", 0.15),
        ("PARTIAL_PRODUCTION", 0.05),
        ("OBJECTION_LETTER", 0.55),
        ("DECLINATION", 0.10),
        ("", 0.15),
    ),
    "forbidden": (("OBJECTION_LETTER", 0.80), ("", 0.20)),  # DECLINATION where the law says decline
}
REFER_P = 0.60
REFER_AFTER_DAYS = (2.0, 15.0)
PETITION_MEDIAN_DAYS, PETITION_SIGMA = 25.0, 0.35  # from service
BRIEFING_AFTER_DAYS = (5.0, 20.0)
DECISION_MEDIAN_DAYS, DECISION_SIGMA = 60.0, 0.35  # from the petition
DECISIONS = (("ORDER_ENFORCING_SUBPOENA", 0.90), ("ORDER_DENYING_ENFORCEMENT", 0.05), ("DISMISSAL", 0.05))
COMPLY_WITHIN_DAYS = 14
COMPLIANCE_MEDIAN_DAYS, COMPLIANCE_SIGMA = 10.0, 0.45  # from the order; the tail runs past comply-by
CONTEMPT_MOTION_P = 0.25  # of late compliances
CONTEMPT_AFTER_DAYS = (2.0, 7.0)


def lognormal_days(median: float, sigma: float) -> tuple[float, float]:
    """(mu, sigma) for ``random.lognormvariate`` from a median in days."""
    return math.log(median), sigma


# Federal judicial districts by state (Bluebook abbreviations). For states with several districts the
# simulator picks one from the county FIPS code: an approximation, not the real district boundaries [A].
DISTRICTS: dict[str, tuple[str, ...]] = {
    "AL": ("N.D. Ala.", "M.D. Ala.", "S.D. Ala."), "AK": ("D. Alaska",), "AZ": ("D. Ariz.",),
    "AR": ("E.D. Ark.", "W.D. Ark."), "CA": ("N.D. Cal.", "E.D. Cal.", "C.D. Cal.", "S.D. Cal."),
    "CO": ("D. Colo.",), "CT": ("D. Conn.",), "DE": ("D. Del.",), "DC": ("D.D.C.",),
    "FL": ("N.D. Fla.", "M.D. Fla.", "S.D. Fla."), "GA": ("N.D. Ga.", "M.D. Ga.", "S.D. Ga."), "HI": ("D. Haw.",),
    "ID": ("D. Idaho",), "IL": ("N.D. Ill.", "C.D. Ill.", "S.D. Ill."), "IN": ("N.D. Ind.", "S.D. Ind."),
    "IA": ("N.D. Iowa", "S.D. Iowa"), "KS": ("D. Kan.",), "KY": ("E.D. Ky.", "W.D. Ky."),
    "LA": ("E.D. La.", "M.D. La.", "W.D. La."), "ME": ("D. Me.",), "MD": ("D. Md.",), "MA": ("D. Mass.",),
    "MI": ("E.D. Mich.", "W.D. Mich."), "MN": ("D. Minn.",), "MS": ("N.D. Miss.", "S.D. Miss."),
    "MO": ("E.D. Mo.", "W.D. Mo."), "MT": ("D. Mont.",), "NE": ("D. Neb.",), "NV": ("D. Nev.",),
    "NH": ("D.N.H.",), "NJ": ("D.N.J.",), "NM": ("D.N.M.",),
    "NY": ("N.D.N.Y.", "S.D.N.Y.", "E.D.N.Y.", "W.D.N.Y."), "NC": ("E.D.N.C.", "M.D.N.C.", "W.D.N.C."),
    "ND": ("D.N.D.",), "OH": ("N.D. Ohio", "S.D. Ohio"), "OK": ("N.D. Okla.", "E.D. Okla.", "W.D. Okla."),
    "OR": ("D. Or.",), "PA": ("E.D. Pa.", "M.D. Pa.", "W.D. Pa."), "RI": ("D.R.I.",), "SC": ("D.S.C.",),
    "SD": ("D.S.D.",), "TN": ("E.D. Tenn.", "M.D. Tenn.", "W.D. Tenn."),
    "TX": ("N.D. Tex.", "S.D. Tex.", "E.D. Tex.", "W.D. Tex."), "UT": ("D. Utah",), "VT": ("D. Vt.",),
    "VA": ("E.D. Va.", "W.D. Va."), "WA": ("E.D. Wash.", "W.D. Wash."), "WV": ("N.D. W. Va.", "S.D. W. Va."),
    "WI": ("E.D. Wis.", "W.D. Wis."), "WY": ("D. Wyo.",), "PR": ("D.P.R.",), "VI": ("D.V.I.",),
    "GU": ("D. Guam",), "MP": ("D. N. Mar. I.",),
}  # fmt: skip
DISTRICT_BY_JURISDICTION_FIPS = {"36-new-york-city": "S.D.N.Y.", "08-denver": "D. Colo."}


def district_for(state_abbr: str, fips: str) -> str:
    if fips in DISTRICT_BY_JURISDICTION_FIPS:
        return DISTRICT_BY_JURISDICTION_FIPS[fips]
    options = DISTRICTS.get(state_abbr, (f"D. {state_abbr}",))
    digits = "".join(ch for ch in fips if ch.isdigit()) or "0"
    return options[int(digits) % len(options)]
