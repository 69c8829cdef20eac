"""Report aggregates (ADR 0007): per-case facts, monthly summary cells at three levels, the change outbox, and
frozen public snapshots.

- ``DetainerFact`` / ``SubpoenaFact``: one row per case with its places resolved to stable keys (state, AOR,
  county FIPS, ORI, facility code) and the month of each event. No personal data: no subject, no names.
- ``CellFacility`` ⊂ ``CellCounty`` ⊂ ``CellState``: monthly counts per place, on two date bases kept apart —
  ``I`` (issue: detainers prepared in the month, with what became of them) and ``E`` (event: what was recorded in
  the month). Kept up to date incrementally from ``PendingChange`` rows, written in the same transaction as each
  lifecycle step by ``outbox_on_steps``, registered with the step dispatcher (``kernel.dispatch``).
- ``PublicSnapshot``: a frozen, versioned, hashed release of suppressed public tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models

from holdtrack.audit.models import CaseType, Transition
from holdtrack.core.rows import insert_row


class Basis(models.TextChoices):
    ISSUE = "I", "Issue date (detainers prepared in the period, with what became of them)"
    EVENT = "E", "Event date (what was recorded in the period)"


class DetainerFact(models.Model):
    """A detainer reduced to what the reports count. Dates are UTC calendar months (first day of the month)."""

    detainer_id = models.BigIntegerField(primary_key=True)
    state_abbr = models.CharField(max_length=2, blank=True)
    aor = models.CharField(max_length=80, blank=True, help_text="Area of responsibility (field office name)")
    county_fips = models.CharField(max_length=5, blank=True, help_text="Blank for statewide agencies")
    ori = models.CharField(max_length=9)
    facility_code = models.CharField(max_length=12)
    form_type = models.CharField(max_length=6)
    request_type = models.CharField(max_length=8)
    prepared_at = models.DateTimeField()
    prepared_month = models.DateField()
    lea_decision = models.CharField(max_length=12, blank=True)
    decided_month = models.DateField(null=True, blank=True)
    outcome_group = models.CharField(max_length=28)
    outcome_month = models.DateField(null=True, blank=True)
    declined_month = models.DateField(null=True, blank=True)
    lapsed_month = models.DateField(null=True, blank=True)
    transferred_month = models.DateField(null=True, blank=True)
    elig_transfer_minutes = models.IntegerField(
        null=True, blank=True, help_text="Minutes from release eligibility to custody transfer"
    )
    to_agency_month = models.DateField(null=True, blank=True)
    closed_month = models.DateField(null=True, blank=True)
    flag_bits = models.IntegerField(default=0, help_text="Over-detention flags: bit 0 = V1 … bit 7 = V8")

    class Meta:
        indexes = [
            models.Index(fields=["prepared_month"], name="rep_fact_prep_idx"),
            models.Index(fields=["transferred_month"], name="rep_fact_xfer_idx"),
            models.Index(fields=["ori", "prepared_month"], name="rep_fact_ori_idx"),
            models.Index(fields=["county_fips", "prepared_month"], name="rep_fact_county_idx"),
        ]

    def __str__(self) -> str:
        return f"facts of detainer {self.detainer_id}"


class SubpoenaFact(models.Model):
    """A subpoena (and its court case, if any) reduced to what the reports count."""

    subpoena_id = models.BigIntegerField(primary_key=True)
    state_abbr = models.CharField(max_length=2, blank=True)
    aor = models.CharField(max_length=80, blank=True)
    county_fips = models.CharField(max_length=5, blank=True)
    ori = models.CharField(max_length=9)
    state = models.CharField(max_length=24)
    issued_month = models.DateField(null=True, blank=True)
    served_month = models.DateField(null=True, blank=True)
    complied_month = models.DateField(null=True, blank=True)
    complied_under_order = models.BooleanField(default=False)
    return_due_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    court_state = models.CharField(max_length=24, blank=True)
    court_filed_month = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"facts of subpoena {self.subpoena_id}"


class CellBase(models.Model):
    """Monthly counts. On basis I every column counts detainers prepared in ``month``; on basis E each column
    counts the events of its kind recorded in ``month`` (declines by decline date, lapses by ceiling, …)."""

    basis = models.CharField(max_length=1, choices=Basis.choices)
    month = models.DateField()
    state_abbr = models.CharField(max_length=2, blank=True)
    aor = models.CharField(max_length=80, blank=True)

    prepared = models.IntegerField(default=0)
    form_i247 = models.IntegerField(default=0)
    form_i247d = models.IntegerField(default=0)
    form_i247n = models.IntegerField(default=0)
    form_i247x = models.IntegerField(default=0)
    form_i247a = models.IntegerField(default=0)
    form_i247g = models.IntegerField(default=0)
    req_hold = models.IntegerField(default=0)
    req_notify = models.IntegerField(default=0)
    req_transfer = models.IntegerField(default=0)
    decided = models.IntegerField(default=0)
    out_custody_transferred = models.IntegerField(default=0)
    out_declined_by_lea = models.IntegerField(default=0)
    out_released_before_pickup = models.IntegerField(default=0)
    out_hold_expired_released = models.IntegerField(default=0)
    out_lifted_by_ice = models.IntegerField(default=0)
    out_superseded = models.IntegerField(default=0)
    out_duplicate = models.IntegerField(default=0)
    out_transferred_with_custody = models.IntegerField(default=0)
    out_lifted_unspecified = models.IntegerField(default=0)
    out_open_or_unknown = models.IntegerField(default=0)
    declined = models.IntegerField(default=0)
    lapsed = models.IntegerField(default=0)
    transferred = models.IntegerField(default=0)
    to_agency = models.IntegerField(default=0)
    flagged = models.IntegerField(default=0)
    v1 = models.IntegerField(default=0)
    v2 = models.IntegerField(default=0)
    v3 = models.IntegerField(default=0)
    v4 = models.IntegerField(default=0)
    v5 = models.IntegerField(default=0)
    v6 = models.IntegerField(default=0)
    v7 = models.IntegerField(default=0)
    v8 = models.IntegerField(default=0)

    class Meta:
        abstract = True


class CellState(CellBase):
    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["basis", "month", "state_abbr", "aor"], name="rep_cell_state_key")
        ]

    def __str__(self) -> str:
        return f"{self.basis} {self.month:%Y-%m} {self.state_abbr} {self.aor}"


class CellCounty(CellBase):
    county_fips = models.CharField(max_length=5, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["basis", "month", "state_abbr", "aor", "county_fips"], name="rep_cell_county_key"
            )
        ]
        indexes = [models.Index(fields=["basis", "county_fips", "month"], name="rep_cell_county_idx")]

    def __str__(self) -> str:
        return f"{self.basis} {self.month:%Y-%m} {self.county_fips or self.state_abbr}"


class CellFacility(CellBase):
    county_fips = models.CharField(max_length=5, blank=True)
    ori = models.CharField(max_length=9)
    facility_code = models.CharField(max_length=12)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["basis", "month", "state_abbr", "aor", "county_fips", "ori", "facility_code"],
                name="rep_cell_facility_key",
            )
        ]
        indexes = [
            models.Index(fields=["basis", "county_fips", "month"], name="rep_cell_fac_county_idx"),
            models.Index(fields=["basis", "ori", "month"], name="rep_cell_fac_ori_idx"),
            models.Index(fields=["basis", "facility_code", "month"], name="rep_cell_fac_code_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.basis} {self.month:%Y-%m} {self.ori} {self.facility_code}"


# Minutes from release eligibility to custody transfer, as histogram buckets (aggregates.BUCKET_EDGES): 30-minute
# buckets up to 24 hours, 2-hour buckets up to 48 hours, and one bucket for 48 hours or more. Medians are read off
# the buckets, so they are exact to the bucket (±15 minutes below 24 hours) at every level and for any period.


class HistBase(models.Model):
    basis = models.CharField(max_length=1, choices=Basis.choices)
    month = models.DateField()
    state_abbr = models.CharField(max_length=2, blank=True)
    aor = models.CharField(max_length=80, blank=True)
    h00 = models.IntegerField(default=0)
    h01 = models.IntegerField(default=0)
    h02 = models.IntegerField(default=0)
    h03 = models.IntegerField(default=0)
    h04 = models.IntegerField(default=0)
    h05 = models.IntegerField(default=0)
    h06 = models.IntegerField(default=0)
    h07 = models.IntegerField(default=0)
    h08 = models.IntegerField(default=0)
    h09 = models.IntegerField(default=0)
    h10 = models.IntegerField(default=0)
    h11 = models.IntegerField(default=0)
    h12 = models.IntegerField(default=0)
    h13 = models.IntegerField(default=0)
    h14 = models.IntegerField(default=0)
    h15 = models.IntegerField(default=0)
    h16 = models.IntegerField(default=0)
    h17 = models.IntegerField(default=0)
    h18 = models.IntegerField(default=0)
    h19 = models.IntegerField(default=0)
    h20 = models.IntegerField(default=0)
    h21 = models.IntegerField(default=0)
    h22 = models.IntegerField(default=0)
    h23 = models.IntegerField(default=0)
    h24 = models.IntegerField(default=0)
    h25 = models.IntegerField(default=0)
    h26 = models.IntegerField(default=0)
    h27 = models.IntegerField(default=0)
    h28 = models.IntegerField(default=0)
    h29 = models.IntegerField(default=0)
    h30 = models.IntegerField(default=0)
    h31 = models.IntegerField(default=0)
    h32 = models.IntegerField(default=0)
    h33 = models.IntegerField(default=0)
    h34 = models.IntegerField(default=0)
    h35 = models.IntegerField(default=0)
    h36 = models.IntegerField(default=0)
    h37 = models.IntegerField(default=0)
    h38 = models.IntegerField(default=0)
    h39 = models.IntegerField(default=0)
    h40 = models.IntegerField(default=0)
    h41 = models.IntegerField(default=0)
    h42 = models.IntegerField(default=0)
    h43 = models.IntegerField(default=0)
    h44 = models.IntegerField(default=0)
    h45 = models.IntegerField(default=0)
    h46 = models.IntegerField(default=0)
    h47 = models.IntegerField(default=0)
    h48 = models.IntegerField(default=0)
    h49 = models.IntegerField(default=0)
    h50 = models.IntegerField(default=0)
    h51 = models.IntegerField(default=0)
    h52 = models.IntegerField(default=0)
    h53 = models.IntegerField(default=0)
    h54 = models.IntegerField(default=0)
    h55 = models.IntegerField(default=0)
    h56 = models.IntegerField(default=0)
    h57 = models.IntegerField(default=0)
    h58 = models.IntegerField(default=0)
    h59 = models.IntegerField(default=0)
    h60 = models.IntegerField(default=0)

    class Meta:
        abstract = True


class HistState(HistBase):
    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["basis", "month", "state_abbr", "aor"], name="rep_hist_state_key")
        ]

    def __str__(self) -> str:
        return f"hist {self.basis} {self.month:%Y-%m} {self.state_abbr} {self.aor}"


class HistCounty(HistBase):
    county_fips = models.CharField(max_length=5, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["basis", "month", "state_abbr", "aor", "county_fips"], name="rep_hist_county_key"
            )
        ]
        indexes = [models.Index(fields=["basis", "county_fips", "month"], name="rep_hist_county_idx")]

    def __str__(self) -> str:
        return f"hist {self.basis} {self.month:%Y-%m} {self.county_fips}"


class HistFacility(HistBase):
    county_fips = models.CharField(max_length=5, blank=True)
    ori = models.CharField(max_length=9)
    facility_code = models.CharField(max_length=12)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["basis", "month", "state_abbr", "aor", "county_fips", "ori", "facility_code"],
                name="rep_hist_facility_key",
            )
        ]
        indexes = [
            models.Index(fields=["basis", "ori", "month"], name="rep_hist_fac_ori_idx"),
            models.Index(fields=["basis", "facility_code", "month"], name="rep_hist_fac_code_idx"),
        ]

    def __str__(self) -> str:
        return f"hist {self.basis} {self.month:%Y-%m} {self.ori} {self.facility_code}"


class PendingChange(models.Model):
    """Outbox: a case whose facts must be recomputed. Written in the transaction of the lifecycle step, so a
    committed step always leaves its row; ``aggregates.refresh`` consumes the rows it read (by id)."""

    case_type = models.CharField(max_length=24)
    case_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.case_type}:{self.case_id}"


class AggregateState(models.Model):
    """Singleton: when the aggregates were last built in full and last brought up to date."""

    rebuilt_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    detainers = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"aggregates refreshed {self.refreshed_at}"


class SnapshotFrozenError(Exception):
    pass


class PublicSnapshot(models.Model):
    """A frozen public release. Pages and downloads render ``data`` as stored; nothing is recomputed."""

    version = models.PositiveIntegerField(unique=True)
    created_at = models.DateTimeField()
    period_start = models.DateField()
    period_end = models.DateField(help_text="First day of the last month covered")
    parameters = models.JSONField(default=dict)
    data = models.JSONField(default=dict)
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the canonical JSON of data")
    codebook = models.TextField()
    change_log = models.TextField()

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"public statistics v{self.version} ({self.period_label})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise SnapshotFrozenError("A published snapshot is frozen; publish a new version instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise SnapshotFrozenError("A published snapshot is kept; publish a new version instead.")

    @property
    def period_label(self) -> str:
        return f"{self.period_start:%Y-%m}..{self.period_end:%Y-%m}"


TRACKED_CASE_TYPES = frozenset({CaseType.DETAINER, CaseType.SUBPOENA, CaseType.REFERRAL, CaseType.COURT_CASE})


def outbox_on_steps(transitions: Sequence[Transition]) -> None:
    """Queue each case for the aggregates, inside the transaction that logged the step. Registered for the
    ``TRACKED_CASE_TYPES`` by ``ReportsConfig.ready``."""
    for t in transitions:
        insert_row(PendingChange(case_type=t.case_type, case_id=t.case_id))


__all__ = [
    "AggregateState",
    "Basis",
    "CellCounty",
    "CellFacility",
    "CellState",
    "DetainerFact",
    "HistCounty",
    "HistFacility",
    "HistState",
    "PendingChange",
    "PublicSnapshot",
    "SnapshotFrozenError",
    "SubpoenaFact",
]
