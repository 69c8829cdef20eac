"""The weekly declined-detainer report, with the lessons of ICE's 2017 report (domain.md A4.1) built in.

- A detainer is counted in the week its decline was **recorded** (the time of its ``decline`` transition), whatever
  week it was issued; issue dates are shown beside it, never mixed with it.
- Rows are keyed by **ORI and facility code**, never by a name (the 2017 report confused Franklin County IA, NY and
  PA). The decline is attributed to the agency that decided it, which is the custodian at that moment: a detainer
  that follows a person to another agency ends as ``TRANSFERRED_TO_AGENCY`` and is counted apart, **not as a
  decline** (the 2017 Williamson and Bastrop "declines" were transfers).
- **Completeness**: of the detainers each agency received that week, the share with a recorded LEA decision or
  outcome. A report of declines is only as good as the recording of decisions (ICE's own caveat).
- **Data fidelity**: what the numbers cannot tell, with counts where the data can show them — declines recorded
  late, declines of detainers issued long before (a policy re-assessment, as Travis County 2017, is not a week of
  releases), detainers addressed to an agency other than the booking's custodian (mis-addressed), and how each
  decline was entered.

Aggregates only: no subject, no name, no case identifier.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Q
from django.template.loader import render_to_string

from holdtrack.audit.models import CaseType, Channel, Transition
from holdtrack.cases.models import Detainer, OutcomeGroup
from holdtrack.core.timeutil import now as _now
from holdtrack.reports.aggregates import places_for_leas

# A week whose declines are mostly of detainers this old suggests existing detainers were re-assessed.
REASSESSMENT_MIN_DECLINES = 10
REASSESSMENT_AGE_DAYS = 30
REASSESSMENT_SHARE = 0.5
LATE_RECORDING_DAYS = 7


def parse_week(value: str) -> tuple[datetime, datetime]:
    """``2026-W47`` → Monday 00:00 UTC of that ISO week and the Monday after."""
    try:
        year_part, week_part = value.strip().upper().split("-W")
        monday = date.fromisocalendar(int(year_part), int(week_part), 1)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an ISO week (YYYY-Www, e.g. 2026-W47)") from exc
    start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    return start, start + timedelta(days=7)


def week_label(start: datetime) -> str:
    y, w, _ = start.date().isocalendar()
    return f"{y}-W{w:02d}"


@dataclass
class DeclinedRow:
    ori: str
    facility_code: str
    state_abbr: str = ""
    county_fips: str = ""
    declined: int = 0
    by_local_law: int = 0
    other_grounds: int = 0
    issued_in_week: int = 0
    issued_earlier: int = 0
    median_days_issue_to_decline: float | None = None
    released_in_week: int = 0
    not_booking_custodian: int = 0
    received_in_week: int = 0
    received_with_decision: int = 0
    reassessment_suspected: bool = False
    _ages: list[float] = field(default_factory=list, repr=False)

    @property
    def completeness(self) -> float | None:
        return round(self.received_with_decision / self.received_in_week, 4) if self.received_in_week else None


COLUMNS: list[tuple[str, str]] = [
    ("ori", "LEA (ORI)"),
    ("facility_code", "Facility (code)"),
    ("state_abbr", "State"),
    ("county_fips", "County (FIPS)"),
    ("declined", "Declines recorded this week"),
    ("by_local_law", "Local law did not allow the hold"),
    ("other_grounds", "Other grounds"),
    ("issued_in_week", "Issued this week"),
    ("issued_earlier", "Issued before this week"),
    ("median_days_issue_to_decline", "Median days, issue to decline"),
    ("released_in_week", "Subject released this week"),
    ("not_booking_custodian", "Addressed to an agency other than the custodian"),
    ("received_in_week", "Detainers received this week"),
    ("completeness", "Completeness: received with a recorded decision or outcome"),
    ("reassessment_suspected", "Re-assessment suspected"),
]


@dataclass
class TransferRow:
    ori: str
    facility_code: str
    state_abbr: str
    transferred: int


@dataclass
class DeclinedReport:
    week: str
    start: datetime
    end: datetime
    generated_at: datetime
    rows: list[DeclinedRow]
    total: DeclinedRow
    transfers: list[TransferRow]
    received_all: int
    received_all_with_decision: int
    channels: dict[str, int]
    recorded_late: int
    recorded_after_week: int
    fidelity: list[str]

    @property
    def completeness(self) -> float | None:
        return round(self.received_all_with_decision / self.received_all, 4) if self.received_all else None

    @property
    def transfers_total(self) -> int:
        return sum(t.transferred for t in self.transfers)

    @property
    def partial(self) -> str:
        """'' for a week that had ended when the report was produced; else what it covers (issue 14)."""
        if self.generated_at >= self.end:
            return ""
        if self.generated_at <= self.start:
            return "no data yet: the week had not begun when this report was produced"
        return f"partial week: data to {self.generated_at:%Y-%m-%d %H:%M} UTC only, the week is not over"

    @property
    def file_stem(self) -> str:
        return f"holdtrack-declined-{self.week}{'-partial' if self.partial else ''}"


def _decided(lea_decision: str, outcome_group: str) -> bool:
    return bool(lea_decision) or outcome_group not in ("", OutcomeGroup.OPEN_OR_UNKNOWN)


def build(week: str, *, at: datetime | None = None) -> DeclinedReport:
    start, end = parse_week(week)
    generated = at or _now()
    declines = list(
        Transition.objects.filter(case_type=CaseType.DETAINER, name="decline", at__gte=start, at__lt=end)
        .order_by("at", "id")
        .values("case_id", "at", "recorded_at", "channel", "data")
    )
    ids = [t["case_id"] for t in declines]
    detainers = {
        d["id"]: d
        for d in Detainer.objects.filter(pk__in=ids).values(
            "id",
            "addressed_lea_id",
            "addressed_lea__ori",
            "facility__code",
            "prepared_at",
            "booking__custodian_id",
            "booking__released_at",
        )
    }
    received = list(
        Detainer.objects.filter(received_at__gte=start, received_at__lt=end).values(
            "addressed_lea_id", "addressed_lea__ori", "facility__code", "lea_decision", "outcome_group"
        )
    )
    transfer_steps = list(
        Transition.objects.filter(
            case_type=CaseType.DETAINER, name="transfer_to_agency", at__gte=start, at__lt=end
        ).values_list("case_id", flat=True)
    )
    transferred = list(
        Detainer.objects.filter(pk__in=transfer_steps).values(
            "addressed_lea_id", "addressed_lea__ori", "facility__code"
        )
    )
    lea_ids = {d["addressed_lea_id"] for d in detainers.values()} | {r["addressed_lea_id"] for r in received}
    lea_ids |= {t["addressed_lea_id"] for t in transferred}
    places = places_for_leas(lea_ids)

    rows: dict[tuple[str, str], DeclinedRow] = {}

    def row_for(lea_id: int, ori: str, code: str) -> DeclinedRow:
        key = (ori, code)
        if key not in rows:
            p = places.get(lea_id)
            rows[key] = DeclinedRow(ori, code, p.state_abbr if p else "", p.county_fips if p else "")
        return rows[key]

    channels: Counter[str] = Counter()
    recorded_late = recorded_after = 0
    for t in declines:
        d = detainers.get(t["case_id"])
        if d is None:
            continue
        r = row_for(d["addressed_lea_id"], d["addressed_lea__ori"], d["facility__code"])
        r.declined += 1
        if (t["data"] or {}).get("hold_allowed") is False:
            r.by_local_law += 1
        else:
            r.other_grounds += 1
        if d["prepared_at"] >= start:
            r.issued_in_week += 1
        else:
            r.issued_earlier += 1
        r._ages.append((t["at"] - d["prepared_at"]).total_seconds() / 86400)
        released = d["booking__released_at"]
        if released is not None and start <= released < end:
            r.released_in_week += 1
        if d["booking__custodian_id"] != d["addressed_lea_id"]:
            r.not_booking_custodian += 1
        channels[t["channel"]] += 1
        if t["recorded_at"] - t["at"] > timedelta(days=LATE_RECORDING_DAYS):
            recorded_late += 1
        if t["recorded_at"] >= end:
            recorded_after += 1

    received_all = len(received)
    received_all_decided = 0
    for rec in received:
        decided = _decided(rec["lea_decision"], rec["outcome_group"])
        received_all_decided += int(decided)
        key = (rec["addressed_lea__ori"], rec["facility__code"])
        if key in rows:
            rows[key].received_in_week += 1
            rows[key].received_with_decision += int(decided)

    for r in rows.values():
        if r._ages:
            r.median_days_issue_to_decline = round(statistics.median(r._ages), 1)
            old = sum(1 for a in r._ages if a >= REASSESSMENT_AGE_DAYS)
            r.reassessment_suspected = r.declined >= REASSESSMENT_MIN_DECLINES and old / r.declined >= (
                REASSESSMENT_SHARE
            )

    ordered = sorted(rows.values(), key=lambda r: (-r.declined, r.ori, r.facility_code))
    total = DeclinedRow("Total", "", "", "")
    all_ages: list[float] = []
    for r in ordered:
        for attr in (
            "declined",
            "by_local_law",
            "other_grounds",
            "issued_in_week",
            "issued_earlier",
            "released_in_week",
            "not_booking_custodian",
            "received_in_week",
            "received_with_decision",
        ):
            setattr(total, attr, getattr(total, attr) + getattr(r, attr))
        all_ages += r._ages
    total.median_days_issue_to_decline = round(statistics.median(all_ages), 1) if all_ages else None
    total.reassessment_suspected = any(r.reassessment_suspected for r in ordered)

    by_transfer: dict[tuple[str, str], TransferRow] = {}
    for moved in transferred:
        key = (moved["addressed_lea__ori"], moved["facility__code"])
        p = places.get(moved["addressed_lea_id"])
        by_transfer.setdefault(key, TransferRow(key[0], key[1], p.state_abbr if p else "", 0)).transferred += 1
    transfers = sorted(by_transfer.values(), key=lambda t: (-t.transferred, t.ori, t.facility_code))

    report = DeclinedReport(
        week=week_label(start),
        start=start,
        end=end,
        generated_at=generated,
        rows=ordered,
        total=total,
        transfers=transfers,
        received_all=received_all,
        received_all_with_decision=received_all_decided,
        channels=dict(sorted(channels.items())),
        recorded_late=recorded_late,
        recorded_after_week=recorded_after,
        fidelity=[],
    )
    report.fidelity = fidelity_notes(report)
    return report


CHANNEL_LABELS = dict(Channel.choices)


def fidelity_notes(r: DeclinedReport) -> list[str]:
    """What the numbers cannot tell (domain.md A4.1, A4.4)."""
    notes = [f"This is a {r.partial}: its counts are not comparable with a whole week's."] if r.partial else []
    notes += [
        "A decline is counted only when it is recorded in holdtrack: by the agency itself, or by staff from the "
        "agency's document. Declines that are never recorded are missing, and nothing here estimates them.",
        "The week is the ISO week of the recorded decline, Monday 00:00 to Monday 00:00 UTC. Issue dates are shown "
        "separately and do not select records.",
        "Agencies and facilities are identified by ORI and facility code only; names are not used to match or "
        "attribute anything.",
        f"Detainers that followed a person to another agency ({r.transfers_total:,} this week) are transfers, "
        "listed separately, and are not declines.",
        "A decline is a decision not to hold or notify; it does not mean the person was released that week. "
        f"Of this week's declines, {r.total.released_in_week:,} concern a person released during the week.",
        "'Local law did not allow the hold' counts declines where the policy evaluation recorded with the decision "
        "found that local law forbids the hold; other declines were the agency's decision on other grounds, and "
        "the system records no further reason.",
    ]
    completeness = r.completeness
    if completeness is None:
        notes.append("No detainer was received this week, so completeness cannot be measured.")
    else:
        notes.append(
            f"Completeness: {r.received_all_with_decision:,} of the {r.received_all:,} detainers received this week "
            f"({completeness:.1%}) have a recorded LEA decision or outcome as of "
            f"{r.generated_at:%Y-%m-%d %H:%M} UTC. Undecided detainers may still be declined later."
        )
    if r.recorded_late:
        notes.append(
            f"{r.recorded_late:,} declines were entered more than {LATE_RECORDING_DAYS} days after the decline "
            "date (back-filled records)."
        )
    if r.recorded_after_week:
        notes.append(
            f"{r.recorded_after_week:,} declines dated this week were entered after the week ended: a report "
            "produced earlier showed fewer."
        )
    if r.total.not_booking_custodian:
        notes.append(
            f"{r.total.not_booking_custodian:,} declined detainers were addressed to an agency other than the "
            "booking's custodian: possibly sent to the wrong place. Check them before attributing the decline."
        )
    flagged = [row for row in r.rows if row.reassessment_suspected]
    if flagged:
        notes.append(
            "Re-assessment suspected for "
            + ", ".join(f"ORI {row.ori} / {row.facility_code}" for row in flagged)
            + f": most of its declines concern detainers issued {REASSESSMENT_AGE_DAYS}+ days earlier, as when an "
            "agency reviews existing detainers under a new policy. A count of re-assessed detainers is not a week of "
            "releases."
        )
    if r.channels:
        mix = ", ".join(f"{CHANNEL_LABELS.get(k, k).lower()}: {n:,}" for k, n in r.channels.items())
        notes.append(f"How the declines were entered — {mix}.")
    notes.append(
        "Counts are as of the time this report was produced; the transition log is append-only, so a later "
        "report for the same week can only add declines recorded after this one."
    )
    return notes


def row_values(row: DeclinedRow) -> dict[str, Any]:
    out = {key: getattr(row, key) for key, _ in COLUMNS}
    out["reassessment_suspected"] = "yes" if row.reassessment_suspected else "no"
    return out


def to_csv(report: DeclinedReport) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["week", *(key for key, _ in COLUMNS)])
    for row in [*report.rows, report.total]:
        values = row_values(row)
        writer.writerow([report.week, *("" if values[k] is None else values[k] for k, _ in COLUMNS)])
    return buf.getvalue().encode("utf-8")


def context(report: DeclinedReport) -> dict[str, Any]:
    return {
        "report": report,
        "columns": COLUMNS,
        "rows": [row_values(r) for r in report.rows],
        "total": row_values(report.total),
        "prev_week": week_label(report.start - timedelta(days=7)),
        "next_week": week_label(report.end),
    }


def to_html(report: DeclinedReport) -> str:
    return render_to_string("reports/declined_print.html", context(report))


def to_pdf(report: DeclinedReport) -> bytes:
    """Tagged PDF from the print template: PDF/UA-1 where the installed WeasyPrint knows it (70 does)."""
    from weasyprint import HTML  # noqa: PLC0415 - heavy library, imported only on this path

    try:
        from weasyprint.pdf import VARIANTS  # noqa: PLC0415 - heavy library, imported only on this path

        variant: str | None = "pdf/ua-1" if "pdf/ua-1" in VARIANTS else None
    except ImportError:  # pragma: no cover - older WeasyPrint
        variant = None
    html = to_html(report)
    return HTML(string=html, base_url=".").write_pdf(pdf_variant=variant, pdf_tags=True) or b""


def recent_weeks(n: int = 8, *, at: datetime | None = None) -> list[str]:
    at = at or _now()
    return [week_label(at - timedelta(days=7 * i)) for i in range(n)]


def weeks_with_declines(limit: int = 12) -> list[str]:
    seen: list[str] = []
    for at in (
        Transition.objects.filter(Q(case_type=CaseType.DETAINER) & Q(name="decline"))
        .order_by("-at")
        .values_list("at", flat=True)[:5000]
    ):
        label = week_label(at)
        if label not in seen:
            seen.append(label)
        if len(seen) >= limit:
            break
    return seen
