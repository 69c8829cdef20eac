"""Models of the reports app, one module per subject."""

from holdtrack.reports.models.foia import FoiaDetainer, FoiaImportRun, FoiaImportStatus
from holdtrack.reports.models.stats import *  # noqa: F403  (report aggregates and public snapshots)

__all__ = ["FoiaDetainer", "FoiaImportRun", "FoiaImportStatus"]
