"""Document storage: every document is immutable, versioned per case, kind, language and series, and hashed
with SHA-256. Documents are either rendered from the case record or uploaded after their content is checked."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from PIL import Image

from holdtrack.accounts.models import Role, User
from holdtrack.audit.models import CaseType
from holdtrack.audit.services import audit_record
from holdtrack.cases import access
from holdtrack.core.errors import NotFound, ValidationFailed
from holdtrack.core.timeutil import now
from holdtrack.documents import render
from holdtrack.documents.models import Document, DocumentKind, Origin
from holdtrack.documents.render import load_case
from holdtrack.kernel.parties import authorize

if TYPE_CHECKING:
    from holdtrack.documents.render import Rendered


MAX_BYTES = 25 * 1024 * 1024
DEFAULT_UPLOAD_MAX_BYTES = 20 * 1024 * 1024
# Kinds that only the system produces; an upload may not pose as one of them.
ASSEMBLED_KINDS = frozenset({DocumentKind.ENFORCEMENT_PACKET, DocumentKind.PACKET_ARCHIVE})


def document_store(
    *,
    actor: User,
    case_type: str,
    case_id: int,
    kind: str,
    title: str,
    content: bytes,
    content_type: str,
    language: str = "en",
    transition_id: int | None = None,
    at: datetime | None = None,
    series: str = "",
    origin: str = Origin.STORED,
    audit_data: dict[str, Any] | None = None,
    source_sha256: str = "",
) -> Document:
    """Store a new version; an identical copy of the latest version of the series returns it instead."""
    authorize(actor, "document_store")
    if kind not in DocumentKind.values:
        raise ValidationFailed(f"Unknown document kind {kind!r}.")
    if not content:
        raise ValidationFailed("The document is empty.")
    if len(content) > MAX_BYTES:
        raise ValidationFailed(f"The document is {len(content):,} bytes; the limit is {MAX_BYTES:,}.")
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        series_qs = Document.objects.filter(
            case_type=case_type, case_id=case_id, kind=kind, language=language, series=series
        )
        latest = series_qs.select_for_update().order_by("-version").first()
        if latest is not None and latest.sha256 == digest:
            return latest
        version = (series_qs.aggregate(v=Max("version"))["v"] or 0) + 1
        # Content-addressed name: the stored bytes can be checked against the hash at any time.
        name = default_storage.save(f"{case_type}/{case_id}/{digest}", ContentFile(content))
        doc = Document.objects.create(
            kind=kind,
            title=title[:200],
            case_type=case_type,
            case_id=case_id,
            transition_id=transition_id,
            series=series,
            origin=origin,
            version=version,
            content_type=content_type,
            size=len(content),
            sha256=digest,
            source_sha256=source_sha256,
            storage_name=name,
            language=language,
            uploaded_by=actor,
            uploaded_at=at or now(),
        )
        audit_record(
            actor=actor,
            action="document.store",
            entity_type="document",
            entity_id=doc.pk,
            data={
                "case_type": case_type,
                "case_id": case_id,
                "kind": kind,
                "sha256": digest,
                "version": version,
                "origin": origin,
                **(audit_data or {}),
            },
        )
        return doc


def document_verify(doc: Document) -> bool:
    """True when the stored bytes still hash to the recorded SHA-256."""
    with default_storage.open(doc.storage_name, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest() == doc.sha256


def document_read(doc: Document) -> bytes:
    with default_storage.open(doc.storage_name, "rb") as fh:
        data: bytes = fh.read()
    return data


# ------------------------------------------------------------------------------------------ visibility


def case_visible(actor: Any, case_type: str, case_id: int) -> bool:
    """Whether ``actor`` may see the case (the scoping of ``cases.access``); the system account sees all."""
    if getattr(actor, "role", None) == Role.SYSTEM:
        return True
    if case_type == CaseType.DETAINER:
        return access.detainers_for_user(actor).filter(pk=case_id).exists()
    if case_type == CaseType.SUBPOENA:
        return access.subpoenas_for_user(actor).filter(pk=case_id).exists()
    if case_type == CaseType.REFERRAL:
        return access.referrals_for_user(actor).filter(pk=case_id).exists()
    if case_type == CaseType.COURT_CASE:
        return access.court_cases_for_user(actor).filter(pk=case_id).exists()
    return False


def require_case_visible(actor: Any, case_type: str, case_id: int) -> None:
    if not case_visible(actor, case_type, case_id):
        # Same answer for a missing and a forbidden case, as in cases.access.
        raise NotFound(f"{case_type.replace('_', ' ').capitalize()} {case_id} not found.")


# ------------------------------------------------------------------------------------------- rendering


def document_render_and_store(
    *,
    actor: User,
    kind: str,
    case_type: str,
    case_id: int,
    language: str = "en",
    at: datetime | None = None,
    response_id: int | None = None,
) -> Document:
    """Render one document from the case record as a tagged PDF and store it (a new version only when the
    content changed). ``response_id`` picks the response for a response letter or custodian certification
    (default: the latest)."""
    authorize(actor, "document_render_and_store")

    case = render.load_case(case_type, case_id)
    require_case_visible(actor, case_type, case_id)
    rendered = render.render_document(kind, case_type, case, language=language, response_id=response_id)
    return store_rendered(actor=actor, rendered=rendered, at=at)


def latest_in_series(
    *, case_type: str, case_id: int, kind: str, language: str = "en", series: str = ""
) -> Document | None:
    return (
        Document.objects.filter(case_type=case_type, case_id=case_id, kind=kind, language=language, series=series)
        .order_by("-version")
        .first()
    )


def store_rendered(*, actor: User, rendered: Rendered, at: datetime | None = None) -> Document:
    """Store the PDF of an already rendered document (the packet reuses the HTML fragment it rendered).

    Layout is the expensive step; when the latest version of the series came from the same source (renderer,
    options, HTML) it is returned without laying the document out again."""
    authorize(actor, "store_rendered")

    latest = latest_in_series(
        case_type=rendered.case_type,
        case_id=rendered.case_id,
        kind=rendered.kind,
        language=rendered.language,
        series=rendered.series,
    )
    if latest is not None and latest.source_sha256 and latest.source_sha256 == rendered.source_sha256:
        return latest
    return document_store(
        actor=actor,
        case_type=rendered.case_type,
        case_id=rendered.case_id,
        kind=rendered.kind,
        title=rendered.title,
        content=rendered.pdf(),
        content_type="application/pdf",
        language=rendered.language,
        transition_id=rendered.transition_id,
        at=at,
        series=rendered.series,
        origin=Origin.RENDERED,
        audit_data={"renderer": render.RENDERER, "pdf_variant": render.PDF_VARIANT},
        source_sha256=rendered.source_sha256,
    )


# --------------------------------------------------------------------------------------------- uploads

# Magic numbers of the accepted types, and the file-name extensions that may go with each.
SIGNATURES: list[tuple[bytes, str]] = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
]
EXTENSIONS = {
    "application/pdf": {".pdf"},
    "image/png": {".png"},
    "image/jpeg": {".jpg", ".jpeg"},
    "image/tiff": {".tif", ".tiff"},
}
TYPE_NAMES = {
    "application/pdf": "PDF",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/tiff": "TIFF image",
}
# Recognised but refused, so the error can say what the file is.
OTHER_SIGNATURES: list[tuple[bytes, str]] = [
    (b"PK\x03\x04", "a ZIP archive or an Office document"),
    (b"\xd0\xcf\x11\xe0", "a legacy Office document"),
    (b"GIF8", "a GIF image"),
    (b"{\\rtf", "an RTF document"),
    (b"<", "HTML or XML"),
    (b"\x7fELF", "an executable"),
    (b"MZ", "an executable"),
]


def sniff(content: bytes) -> str | None:
    for magic, content_type in SIGNATURES:
        if content.startswith(magic):
            return content_type
    return None


def _describe(content: bytes) -> str:
    head = content[:16].lstrip()
    for magic, what in OTHER_SIGNATURES:
        if head.startswith(magic):
            return what
    try:
        content[:512].decode("utf-8")
        return "plain text"
    except UnicodeDecodeError:
        return "an unrecognised binary format"


def upload_limit() -> int:
    return int(getattr(settings, "HOLDTRACK_UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX_BYTES))


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def check_upload(file_name: str, content: bytes) -> str:
    """The content type of an acceptable upload; otherwise ``ValidationFailed`` naming the file and problem."""
    name = PurePath(file_name).name or "the file"
    if not content:
        raise ValidationFailed(f"{name}: the file is empty.")
    limit = upload_limit()
    if len(content) > limit:
        raise ValidationFailed(
            f"{name}: the file is {_size(len(content))} ({len(content):,} bytes); the limit is {_size(limit)}."
        )
    content_type = sniff(content)
    if content_type is None:
        raise ValidationFailed(
            f"{name}: the content is {_describe(content)}, not a PDF, PNG, JPEG or TIFF file. "
            "Upload a scan or export in one of those formats."
        )
    ext = PurePath(name).suffix.lower()
    if ext and ext not in EXTENSIONS[content_type]:
        raise ValidationFailed(
            f"{name}: the name ends in {ext} but the content is a {TYPE_NAMES[content_type]}. "
            "Rename the file or upload the intended one."
        )
    if content_type == "application/pdf":
        _check_pdf(name, content)
    else:
        _check_image(name, content, content_type)
    return content_type


def _check_pdf(name: str, content: bytes) -> None:
    from pypdf import PdfReader  # noqa: PLC0415 - heavy library, imported only on this path

    # The end-of-file marker sits in the last kilobyte of a complete PDF (trailing bytes are tolerated).
    if b"%%EOF" not in content[-2048:]:
        raise ValidationFailed(f"{name}: the PDF has no end-of-file marker (%%EOF); the file is probably truncated.")
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise ValidationFailed(f"{name}: the PDF is encrypted or password-protected; upload an unprotected copy.")
        pages = len(reader.pages)
        for page in reader.pages:
            _ = page.mediabox  # a page without a usable size cannot be stamped or printed
    except ValidationFailed:
        raise
    except Exception as exc:  # pypdf raises many types for damaged files
        raise ValidationFailed(f"{name}: the PDF cannot be read ({type(exc).__name__}: {exc}).") from exc
    if pages == 0:
        raise ValidationFailed(f"{name}: the PDF has no pages.")


def _check_image(name: str, content: bytes, content_type: str) -> None:
    try:
        with Image.open(io.BytesIO(content)) as img:
            img.verify()
    except Exception as exc:  # Pillow raises several types for damaged images
        raise ValidationFailed(
            f"{name}: the {TYPE_NAMES[content_type]} is damaged or truncated ({type(exc).__name__})."
        ) from exc


def document_upload(
    *,
    actor: User,
    case_type: str,
    case_id: int,
    kind: str,
    file_name: str,
    content: bytes,
    title: str = "",
    language: str = "en",
    at: datetime | None = None,
) -> Document:
    """Check an uploaded file (type sniffed from its bytes, size, PDF structure) and store it on the case.
    Nothing is stored when a check fails."""
    authorize(actor, "document_upload")
    if kind not in DocumentKind.values:
        raise ValidationFailed(f"Unknown document kind {kind!r}.")
    if kind in ASSEMBLED_KINDS:
        raise ValidationFailed(f"A {DocumentKind(kind).label.lower()} is assembled by holdtrack, not uploaded.")

    load_case(case_type, case_id)
    require_case_visible(actor, case_type, case_id)
    content_type = check_upload(file_name, content)
    name = PurePath(file_name).name
    return document_store(
        actor=actor,
        case_type=case_type,
        case_id=case_id,
        kind=kind,
        title=title or PurePath(name).stem or DocumentKind(kind).label,
        content=content,
        content_type=content_type,
        language=language,
        at=at,
        origin=Origin.UPLOADED,
        audit_data={"file_name": name[:200]},
    )
