"""ICE FOIA detainer releases as imported: one run per file, one row per detainer, kept as published.

The verbatim values (detainer type, facility, lift reason) stay beside their normalized forms so that any
count can be traced back to the source cell; ``source_row`` and the file's SHA-256 identify that cell.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from holdtrack.cases.models import FormType, OutcomeGroup


class FoiaImportStatus(models.TextChoices):
    COMPLETE = "COMPLETE", "Every data row imported"
    PARTIAL = "PARTIAL", "Imported; some rows rejected within the allowed threshold"


class FoiaImportRun(models.Model):
    """Provenance of one imported file. A file (by SHA-256 of its bytes, and by the fingerprint of its content) is
    imported at most once; a run holds the rows it added, and ``overlap`` names the runs that held the others."""

    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64, unique=True)
    content_sha256 = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text="Fingerprint of the normalised rows (reports.foia_dedup); null for runs imported before it",
    )
    file_size = models.PositiveBigIntegerField(default=0)
    layout = models.CharField(max_length=40, help_text="Column layout detected or given (reports.foia.LAYOUTS)")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    rows_read = models.PositiveIntegerField(default=0)
    rows_imported = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rows_already_imported = models.PositiveIntegerField(
        default=0, help_text="Good rows not stored because an earlier run holds them (same natural key)"
    )
    overlap = models.JSONField(
        default=dict, blank=True, help_text='{"rows": n, "runs": {run id: n}, "files": {run id: file name}}'
    )
    months_covered = models.JSONField(default=list, blank=True, help_text='Prepare months imported, "YYYY-MM"')
    schema_drift = models.JSONField(
        default=dict, blank=True, help_text="New, missing and retyped columns against the layout, and more"
    )
    errors = models.JSONField(default=list, blank=True, help_text="Rejected rows as file:row:field: message")
    options = models.JSONField(default=dict, blank=True, help_text="Thresholds and switches the import ran with")
    status = models.CharField(max_length=12, choices=FoiaImportStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True, help_text="Who ran it when no user is signed in")

    class Meta:
        ordering = ["id"]
        verbose_name = "FOIA import run"

    def __str__(self) -> str:
        return f"run {self.pk}: {self.file_name} ({self.rows_imported:,} rows, {self.layout})"


class FoiaDetainer(models.Model):
    """One data row of a FOIA detainer release. Missing, "NA" and redacted cells are stored as null."""

    run = models.ForeignKey(FoiaImportRun, on_delete=models.CASCADE, related_name="detainers")
    # Repeated from the run so that the database itself refuses a second copy of a file's row.
    file_sha256 = models.CharField(max_length=64)
    source_row = models.PositiveIntegerField(help_text="1-based data row number in the file (header not counted)")
    prepare_date = models.DateField()
    prepare_month = models.DateField(help_text="First day of the prepare date's month")
    detainer_type = models.CharField(max_length=200, null=True, blank=True, help_text="Verbatim")
    form_type = models.CharField(
        max_length=8, choices=FormType.choices, blank=True, help_text="Normalized; blank when not recognized"
    )
    facility_name = models.CharField(max_length=200, null=True, blank=True, help_text="Verbatim")
    facility_code = models.CharField(max_length=20, null=True, blank=True)
    state = models.CharField(max_length=2, null=True, blank=True, help_text="USPS code")
    city = models.CharField(max_length=100, null=True, blank=True)
    lift_reason = models.CharField(max_length=120, null=True, blank=True, help_text="Verbatim")
    outcome_group = models.CharField(max_length=32, choices=OutcomeGroup.choices)
    redacted_fields = models.JSONField(default=list, blank=True, help_text="Source columns that held a redaction")
    extra = models.JSONField(
        default=dict, blank=True, help_text="Allowed further source columns (reports.foia_columns), by verbatim header"
    )
    natural_key = models.CharField(
        max_length=32, null=True, blank=True, help_text="Identifies the detainer across releases (foia_dedup)"
    )

    class Meta:
        ordering = ["run", "source_row"]
        verbose_name = "FOIA detainer row"
        constraints = [
            models.UniqueConstraint(fields=["file_sha256", "source_row"], name="foia_detainer_source_row_unique"),
            models.UniqueConstraint(fields=["natural_key"], name="foia_detainer_natural_key_unique"),
        ]
        indexes = [
            models.Index(fields=["prepare_month"], name="foia_det_month_idx"),
            models.Index(fields=["state"], name="foia_det_state_idx"),
            models.Index(fields=["outcome_group"], name="foia_det_outcome_idx"),
            models.Index(fields=["detainer_type"], name="foia_det_type_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.file_sha256[:12]}#{self.source_row} {self.prepare_date} {self.state or '--'}"
