"""Documents rendered from structured case data: Django templates → HTML → tagged PDF (PDF/UA-1, WeasyPrint).

Each kind has a context builder that reads the case and returns the document's fields; the same fragment is
used for the stand-alone document (``documents/base.html``) and inside an enforcement packet. Nothing is typed
in: every legally required field comes from the case record, and a missing fact refuses the render with a
message that names it.

Byte-for-byte reproducibility: the PDF's dates are the date of the event the document reflects, its file
identifier is derived from the document's identity, and font subsets carry a fixed timestamp
(``SOURCE_DATE_EPOCH``, read by fontTools). The same case data, templates, WeasyPrint and fonts give the same
bytes, so re-rendering an unchanged document does not create a new version.

The package's rooms, each importing only those above it: ``pdf`` (HTML → tagged PDF, ``Rendered``), ``fields``
(labels, authorities and formatting helpers), ``detainer_forms``, ``subpoena_forms`` and ``enforcement_forms``
(the context builders), ``registry`` (which builder renders which kind, ``render_document``). Callers import from
the package.
"""

from __future__ import annotations

from holdtrack.documents.render.detainer_forms import (
    cancellation_notice,
    detainer_form,
    detainer_service_proof,
    notification_request,
    subject_notice,
)
from holdtrack.documents.render.enforcement_forms import (
    CASE_LABEL,
    NONCOMPLIANT_EVENTS,
    clock_history,
    enforcement_records,
    noncompliance_record,
    referral_memo,
)
from holdtrack.documents.render.fields import (
    ADMIN_WARRANT_LABEL,
    ENFORCEMENT_BASIS,
    LANGUAGES,
    NOT_COURT_ORDER,
    RECORD_LABELS,
    SERVICE_METHODS,
    SUBPOENA_AUTHORITY,
    a_number,
    channel_text,
    item_labels,
    last_transition,
    person,
    require,
    response_transition,
    subject_rows,
    subpoena_tz,
    when,
)
from holdtrack.documents.render.pdf import PDF_VARIANT, RENDERER, Rendered, data_only_fetcher, html_to_pdf, source_hash
from holdtrack.documents.render.registry import (
    CASE_MODELS,
    RENDERABLE_KINDS,
    SPECS,
    Builder,
    Spec,
    load_case,
    render_document,
    spec_for,
)
from holdtrack.documents.render.subpoena_forms import (
    custodian_certification,
    response_letter,
    subpoena_common,
    subpoena_document,
    subpoena_service_proof,
)

__all__ = [
    "ADMIN_WARRANT_LABEL",
    "CASE_LABEL",
    "CASE_MODELS",
    "ENFORCEMENT_BASIS",
    "LANGUAGES",
    "NONCOMPLIANT_EVENTS",
    "NOT_COURT_ORDER",
    "PDF_VARIANT",
    "RECORD_LABELS",
    "RENDERABLE_KINDS",
    "RENDERER",
    "SERVICE_METHODS",
    "SPECS",
    "SUBPOENA_AUTHORITY",
    "Builder",
    "Rendered",
    "Spec",
    "a_number",
    "cancellation_notice",
    "channel_text",
    "clock_history",
    "custodian_certification",
    "data_only_fetcher",
    "detainer_form",
    "detainer_service_proof",
    "enforcement_records",
    "html_to_pdf",
    "item_labels",
    "last_transition",
    "load_case",
    "noncompliance_record",
    "notification_request",
    "person",
    "referral_memo",
    "render_document",
    "require",
    "response_letter",
    "response_transition",
    "source_hash",
    "spec_for",
    "subject_notice",
    "subject_rows",
    "subpoena_common",
    "subpoena_document",
    "subpoena_service_proof",
    "subpoena_tz",
    "when",
]
