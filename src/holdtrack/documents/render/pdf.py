"""The PDF: WeasyPrint, tagged (PDF/UA-1), self-contained and byte-for-byte reproducible."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import weasyprint
from django.utils.safestring import SafeString

# fontTools stamps the subset fonts with the current time unless this is set; a fixed value keeps the bytes
# of a re-render identical (https://reproducible-builds.org/specs/source-date-epoch/).
os.environ.setdefault("SOURCE_DATE_EPOCH", "0")

RENDERER = f"WeasyPrint {weasyprint.__version__}"
PDF_VARIANT = "pdf/ua-1"


@dataclass
class Rendered:
    """One document rendered from the case: its HTML, the fragment reused by packets, and its fields."""

    kind: str
    case_type: str
    case_id: int
    language: str
    title: str
    series: str
    as_of: datetime
    transition_id: int | None
    html: str
    body: SafeString
    # The legally required fields as printed (label → value); tests look for every value in the PDF text.
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def identity(self) -> str:
        return f"{self.kind}/{self.case_type}/{self.case_id}/{self.language}/{self.series}"

    @property
    def source_sha256(self) -> str:
        return source_hash(self.html, self.identity)

    def pdf(self) -> bytes:
        return html_to_pdf(self.html, identity=self.identity)


# ----------------------------------------------------------------------------------------------- PDF


def data_only_fetcher() -> Any:
    """Documents are self-contained (inline CSS, data: images): the renderer fetches no file or URL."""
    return weasyprint.URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)


def source_hash(html: str, identity: str) -> str:
    """What determines the PDF's bytes besides the installed fonts: renderer, options, identifier and HTML."""
    return hashlib.sha256(f"{RENDERER}\n{PDF_VARIANT}\n{identity}\n{html}".encode()).hexdigest()


def html_to_pdf(html: str, *, identity: str) -> bytes:
    """Tagged PDF (PDF/UA-1): structure tree, document language and title from the HTML."""
    ident = hashlib.sha256(identity.encode()).hexdigest()[:32].encode()
    document = weasyprint.HTML(string=html, url_fetcher=data_only_fetcher(), base_url="about:blank")
    pdf: bytes = document.write_pdf(pdf_variant=PDF_VARIANT, pdf_identifier=ident)
    return pdf
