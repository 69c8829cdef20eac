"""The enforcement packet: one court-ready PDF and a ZIP for an administrative subpoena (anchors.md 2.4 item 8).

Layout: an index page, then for each exhibit a cover page and its content — the subpoena, proof of service,
each response (letter and, for a production, the custodian's certification), documents uploaded on the
subpoena, the referral memorandum, the clock history from the transition log and the non-compliance record.

The whole packet is one WeasyPrint document, so it stays a tagged PDF/UA and the Bates number is the CSS
page counter printed on every page: continuous by construction. An uploaded PDF cannot be laid out by
WeasyPrint; the packet reserves one captioned placeholder page per uploaded page, then pypdf draws the
uploaded page, scaled, into the placeholder's free area as an artifact (the caption is the tagged text).

Every exhibit is also a stored document; the manifest lists its SHA-256, and the ZIP carries its exact bytes.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import weasyprint
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from PIL import Image, ImageSequence

from holdtrack.accounts.models import AGENCY_ROLES, Role, User
from holdtrack.audit.models import CaseType, Transition
from holdtrack.audit.services import audit_record
from holdtrack.cases.models import EnforcementReferral, Subpoena
from holdtrack.core.errors import NotPermitted, ValidationFailed
from holdtrack.core.timeutil import iso, local
from holdtrack.documents import render
from holdtrack.documents.models import Document, DocumentKind, Origin
from holdtrack.documents.services import (
    case_visible,
    document_read,
    document_store,
    latest_in_series,
    store_rendered,
)
from holdtrack.kernel.parties import authorize

# Page geometry shared by the packet's CSS and the placement of uploaded pages (PDF points; US Letter).
PAGE_W, PAGE_H = 612.0, 792.0
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_SIDE = 61.2, 57.6, 57.6
CAPTION_H = 30.0
BODY_H = PAGE_H - MARGIN_TOP - MARGIN_BOTTOM
BATES_DIGITS = 6
ASSEMBLERS = AGENCY_ROLES | {Role.DOJ_ATTORNEY, Role.SYSTEM}


def bates_prefix(subpoena: Subpoena) -> str:
    return f"HT-SUB{subpoena.pk}-"


def bates(prefix: str, n: int) -> str:
    return f"{prefix}{n:0{BATES_DIGITS}d}"


@dataclass
class Exhibit:
    letter: str
    title: str
    description: str
    document: Document
    file_name: str
    body: SafeString | None = None  # rendered fragment or inline images
    pdf_pages: int = 0  # uploaded PDF: number of placeholder pages
    first: int = 0  # packet page numbers (Bates) of the content, cover excluded
    last: int = 0
    cover: int = 0

    @property
    def anchor(self) -> str:
        return f"ex-{self.letter}"

    @property
    def placeholders(self) -> list[int]:
        return list(range(1, self.pdf_pages + 1))


@dataclass
class Packet:
    subpoena_id: int
    pdf: Document
    archive: Document
    pages: int
    prefix: str
    exhibits: list[dict[str, Any]] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    pdf_bytes: bytes = b""
    zip_bytes: bytes = b""


def _letters() -> Any:
    n = 0
    while True:
        n += 1
        s, k = "", n
        while k:
            k, r = divmod(k - 1, 26)
            s = chr(65 + r) + s
        yield s


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "exhibit"


EXTENSION = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg", "image/tiff": "tif"}


def _image_body(doc: Document, content: bytes, letter: str) -> SafeString:
    """Inline the image (every frame of a TIFF) as data: URIs, one page each, with a text alternative."""

    frames: list[tuple[str, bytes]] = []
    if doc.content_type == "image/tiff":
        with Image.open(io.BytesIO(content)) as img:
            for frame in ImageSequence.Iterator(img):
                out = io.BytesIO()
                frame.convert("RGB").save(out, format="PNG", optimize=False)
                frames.append(("image/png", out.getvalue()))
    else:
        frames.append((doc.content_type, content))
    html = render_to_string(
        "documents/parts/uploaded_images.html",
        {
            "doc": doc,
            "letter": letter,
            "frames": [
                {"src": f"data:{ct};base64,{base64.b64encode(data).decode()}", "n": i + 1}
                for i, (ct, data) in enumerate(frames)
            ],
            "total": len(frames),
        },
    )
    return mark_safe(html)  # noqa: S308 - our template; the only data is base64


def _latest_uploads(s: Subpoena) -> list[Document]:
    rows = Document.objects.filter(case_type=CaseType.SUBPOENA, case_id=s.pk, origin=Origin.UPLOADED)
    latest = rows.values("kind", "language", "series").annotate(v=Max("version"))
    wanted = {(r["kind"], r["language"], r["series"], r["v"]) for r in latest}
    docs = [d for d in rows.order_by("uploaded_at", "pk") if (d.kind, d.language, d.series, d.version) in wanted]
    # Images are laid out inline; uploaded PDFs follow (their pages are drawn in after layout).
    return sorted(docs, key=lambda d: (d.content_type == "application/pdf", d.uploaded_at, d.pk))


def _collect(actor: User, s: Subpoena, at: datetime | None) -> list[Exhibit]:
    letters = _letters()
    exhibits: list[Exhibit] = []

    def add_rendered(kind: str, case_type: str, case: Any, description: str, response_id: int | None = None) -> None:
        r = render.render_document(kind, case_type, case, response_id=response_id)
        doc = store_rendered(actor=actor, rendered=r, at=at)
        letter = next(letters)
        exhibits.append(
            Exhibit(letter, r.title, description, doc, f"exhibits/{letter}-{_slug(r.title)}.pdf", body=r.body)
        )

    add_rendered(DocumentKind.SUBPOENA, CaseType.SUBPOENA, s, "The administrative subpoena as issued.")
    add_rendered(DocumentKind.SERVICE_PROOF, CaseType.SUBPOENA, s, "Proof of service and the return date it started.")
    for resp in s.responses.order_by("sent_at", "pk"):
        add_rendered(
            DocumentKind.RESPONSE_LETTER,
            CaseType.SUBPOENA,
            s,
            f"Correspondence from the recipient: {resp.get_response_type_display().lower()}.",
            response_id=resp.pk,
        )
        if resp.produced_items:
            add_rendered(
                DocumentKind.CUSTODIAN_CERTIFICATION,
                CaseType.SUBPOENA,
                s,
                "The custodian's certification of the records produced.",
                response_id=resp.pk,
            )
    for doc in _latest_uploads(s):
        letter = next(letters)
        content = document_read(doc)
        ex = Exhibit(
            letter,
            doc.title,
            f"Uploaded {doc.get_kind_display().lower()} ({doc.content_type}, version {doc.version}).",
            doc,
            f"exhibits/{letter}-{_slug(doc.title)}.{EXTENSION.get(doc.content_type, 'bin')}",
        )
        if doc.content_type == "application/pdf":
            from pypdf import PdfReader  # noqa: PLC0415 - heavy library, imported only on this path

            ex.pdf_pages = len(PdfReader(io.BytesIO(content)).pages)
        else:
            ex.body = _image_body(doc, content, letter)
        exhibits.append(ex)
    referral = EnforcementReferral.objects.filter(subpoena=s).first()
    if referral is not None:
        add_rendered(DocumentKind.REFERRAL_MEMO, CaseType.REFERRAL, referral, "The referral memorandum to DOJ.")
    add_rendered(
        DocumentKind.CLOCK_HISTORY,
        CaseType.SUBPOENA,
        s,
        "Every event of the subpoena, its referral and court case from the transition log, with rule ids.",
    )
    add_rendered(
        DocumentKind.NONCOMPLIANCE_RECORD,
        CaseType.SUBPOENA,
        s,
        "The return date, the events of non-compliance and the responses received.",
    )
    # Uploaded PDFs go last so that the exhibit letters follow the page order.
    return sorted(exhibits, key=lambda e: e.pdf_pages > 0) if any(e.pdf_pages for e in exhibits) else exhibits


def _relabel(exhibits: list[Exhibit]) -> None:
    letters = _letters()
    for ex in exhibits:
        new = next(letters)
        if new != ex.letter:
            ex.file_name = ex.file_name.replace(f"exhibits/{ex.letter}-", f"exhibits/{new}-", 1)
            ex.letter = new


def _packet_html(s: Subpoena, exhibits: list[Exhibit], prefix: str, as_of: datetime) -> str:
    with translation.override("en"):
        return render_to_string(
            "documents/packet.html",
            {
                "s": s,
                "title": f"Enforcement packet — administrative subpoena {s.pk}",
                "short_title": f"Enforcement packet · subpoena {s.pk}",
                "as_of": iso(as_of),
                "as_of_local": local(as_of, s.recipient_lea.jurisdiction.timezone),
                "prefix": prefix,
                "exhibits": exhibits,
                "office": s.issuing_office.name,
                "recipient": f"{s.recipient_lea.name} (ORI {s.recipient_lea.ori})",
                "geometry": {
                    "w": PAGE_W,
                    "h": PAGE_H,
                    "top": MARGIN_TOP,
                    "bottom": MARGIN_BOTTOM,
                    "side": MARGIN_SIDE,
                    "caption": CAPTION_H,
                    "body": BODY_H - 2,
                },
            },
        )


def _page_map(document: Any) -> dict[str, int]:
    """Anchor id → 1-based page number in the laid-out document."""
    where: dict[str, int] = {}
    for i, page in enumerate(document.pages, start=1):
        for name in page.anchors:
            where.setdefault(name, i)
    return where


def _draw_uploads(pdf: bytes, exhibits: list[Exhibit], where: dict[str, int], uploads: dict[int, bytes]) -> bytes:
    """Draw each uploaded page into its placeholder page, scaled to the free area, as an artifact."""
    from pypdf import PdfReader, PdfWriter, Transformation  # noqa: PLC0415 - heavy library, imported only on this path
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, StreamObject  # noqa: PLC0415 - heavy library, imported only on this path

    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    area_w = PAGE_W - 2 * MARGIN_SIDE
    area_h = BODY_H - CAPTION_H - 6
    for ex in exhibits:
        if not ex.pdf_pages:
            continue
        source = PdfReader(io.BytesIO(uploads[ex.document.pk]))
        for k, src in enumerate(source.pages, start=1):
            box = src.cropbox
            w, h = float(box.width), float(box.height)
            turn = int(src.get("/Rotate", 0) or 0) % 360
            # Map the crop box to the origin and apply the page's display rotation (clockwise) ourselves.
            t = Transformation().translate(-float(box.left), -float(box.bottom))
            if turn == 90:
                t = t.rotate(-90).translate(0, w)
            elif turn == 180:
                t = t.rotate(180).translate(w, h)
            elif turn == 270:
                t = t.rotate(90).translate(h, 0)
            shown_w, shown_h = (h, w) if turn in (90, 270) else (w, h)
            scale = min(area_w / shown_w, area_h / shown_h)
            t = t.scale(scale, scale).translate(
                MARGIN_SIDE + (area_w - shown_w * scale) / 2, MARGIN_BOTTOM + (area_h - shown_h * scale) / 2
            )
            matrix = " ".join(f"{v:.6f}" for v in t.ctm)
            fx = MARGIN_SIDE + (area_w - shown_w * scale) / 2
            fy = MARGIN_BOTTOM + (area_h - shown_h * scale) / 2
            frame = f"{fx:.4f} {fy:.4f} {shown_w * scale:.4f} {shown_h * scale:.4f} re"
            form = StreamObject()
            contents = src.get_contents()
            form.set_data(contents.get_data() if contents is not None else b"")
            form.update(
                {
                    NameObject("/Type"): NameObject("/XObject"),
                    NameObject("/Subtype"): NameObject("/Form"),
                    NameObject("/BBox"): ArrayObject(
                        [FloatObject(v) for v in (box.left, box.bottom, box.right, box.top)]
                    ),
                    NameObject("/Resources"): src.get("/Resources", DictionaryObject()).clone(writer),
                }
            )
            form_ref = writer._add_object(form)
            page = writer.pages[where[f"{ex.anchor}-p{k}"] - 1]
            resources = page.setdefault(NameObject("/Resources"), DictionaryObject()).get_object()
            xobjects = resources.setdefault(NameObject("/XObject"), DictionaryObject()).get_object()
            name = NameObject(f"/HTUpload{ex.letter}{k}")
            xobjects[name] = form_ref
            # The received page, then a hairline frame showing its edge; both artifacts (the caption is the text).
            paint = f"/Artifact BMC q {matrix} cm {name} Do Q q 0.5 w 0.55 G {frame} S Q EMC\n".encode()
            existing = page.get_contents()
            stream = StreamObject()
            stream.set_data(paint + (existing.get_data() if existing is not None else b""))
            page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _zip(files: list[tuple[str, bytes]], as_of: datetime) -> bytes:
    """Deterministic ZIP: fixed order, timestamps and permissions."""
    stamp = as_of.astimezone(UTC).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=(max(stamp[0], 1980), *stamp[1:]))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return out.getvalue()


def _manifest_csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    cols = [
        "exhibit",
        "title",
        "kind",
        "origin",
        "document_id",
        "version",
        "file",
        "content_type",
        "size",
        "sha256",
        "bates_cover",
        "bates_first",
        "bates_last",
        "pages",
    ]
    writer = csv.DictWriter(out, fieldnames=cols, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row[c] for c in cols})
    return out.getvalue().encode()


def packet_assemble(*, actor: User, subpoena: Subpoena, at: datetime | None = None) -> Packet:
    """Assemble and store the enforcement packet of ``subpoena`` (PDF and ZIP); unchanged inputs give the
    same bytes, so re-assembling returns the stored versions."""
    authorize(actor, "packet_assemble")
    s = Subpoena.objects.select_related("recipient_lea__jurisdiction", "issuing_office", "subject").get(pk=subpoena.pk)
    if actor.role not in ASSEMBLERS or not case_visible(actor, CaseType.SUBPOENA, s.pk):
        raise NotPermitted("Only the issuing office or the DOJ office handling the referral assembles this packet.")
    if s.served_at is None:
        raise ValidationFailed(f"Subpoena {s.pk} has not been served; the enforcement packet needs proof of service.")
    exhibits = _collect(actor, s, at)
    _relabel(exhibits)
    prefix = bates_prefix(s)
    as_of = _as_of(s, exhibits)
    html = _packet_html(s, exhibits, prefix, as_of)
    source = render.source_hash(html, f"packet/subpoena/{s.pk}")
    cached = _stored_packet(s, source)
    if cached is not None:
        audit_record(
            actor=actor,
            action="subpoena.packet_assemble",
            entity_type=CaseType.SUBPOENA,
            entity_id=s.pk,
            data={"pdf_document": cached.pdf.pk, "zip_document": cached.archive.pk, "unchanged": True},
        )
        return cached
    laid_out = weasyprint.HTML(string=html, url_fetcher=render.data_only_fetcher(), base_url="about:blank").render()
    where = _page_map(laid_out)
    pages = len(laid_out.pages)
    anchors_in_order = [ex.anchor for ex in exhibits]
    for i, ex in enumerate(exhibits):
        ex.cover = where[f"{ex.anchor}-cover"]
        ex.first = where[f"{ex.anchor}-start"]
        nxt = where[f"{anchors_in_order[i + 1]}-cover"] if i + 1 < len(exhibits) else pages + 1
        ex.last = nxt - 1
    ident = hashlib.sha256(f"packet/subpoena/{s.pk}".encode()).hexdigest()[:32].encode()
    pdf = laid_out.write_pdf(pdf_variant=render.PDF_VARIANT, pdf_identifier=ident)
    uploads = {ex.document.pk: document_read(ex.document) for ex in exhibits}
    if any(ex.pdf_pages for ex in exhibits):
        pdf = _draw_uploads(pdf, exhibits, where, uploads)
    transition = render.last_transition(CaseType.SUBPOENA, s.pk)
    pdf_doc = document_store(
        actor=actor,
        case_type=CaseType.SUBPOENA,
        case_id=s.pk,
        kind=DocumentKind.ENFORCEMENT_PACKET,
        title=f"Enforcement packet — subpoena {s.pk} ({pages} pages)",
        content=pdf,
        content_type="application/pdf",
        transition_id=transition.pk if transition else None,
        at=at,
        origin=Origin.ASSEMBLED,
        audit_data={"pages": pages, "exhibits": len(exhibits), "bates_prefix": prefix},
        source_sha256=source,
    )
    rows = [
        {
            "exhibit": ex.letter,
            "title": ex.title,
            "kind": ex.document.kind,
            "origin": ex.document.origin,
            "document_id": ex.document.pk,
            "version": ex.document.version,
            "file": ex.file_name,
            "content_type": ex.document.content_type,
            "size": ex.document.size,
            "sha256": ex.document.sha256,
            "bates_cover": bates(prefix, ex.cover),
            "bates_first": bates(prefix, ex.first),
            "bates_last": bates(prefix, ex.last),
            "pages": ex.last - ex.first + 1,
        }
        for ex in exhibits
    ]
    manifest: dict[str, Any] = {
        "packet": {
            "subpoena_id": s.pk,
            "title": f"Enforcement packet — administrative subpoena {s.pk}",
            "file": f"packet-subpoena-{s.pk}.pdf",
            "document_id": pdf_doc.pk,
            "version": pdf_doc.version,
            "sha256": pdf_doc.sha256,
            "pages": pages,
            "bates_prefix": prefix,
            "bates_first": bates(prefix, 1),
            "bates_last": bates(prefix, pages),
            "as_of": iso(as_of),
            "renderer": render.RENDERER,
            "pdf_variant": render.PDF_VARIANT,
        },
        "exhibits": rows,
    }
    files = [(manifest["packet"]["file"], pdf)]
    files += [(ex.file_name, uploads[ex.document.pk]) for ex in exhibits]
    files += [
        ("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False).encode() + b"\n"),
        ("manifest.csv", _manifest_csv(rows)),
    ]
    archive = _zip(files, as_of)
    zip_doc = document_store(
        actor=actor,
        case_type=CaseType.SUBPOENA,
        case_id=s.pk,
        kind=DocumentKind.PACKET_ARCHIVE,
        title=f"Enforcement packet archive — subpoena {s.pk}",
        content=archive,
        content_type="application/zip",
        transition_id=transition.pk if transition else None,
        at=at,
        origin=Origin.ASSEMBLED,
        audit_data={"packet_sha256": pdf_doc.sha256},
        source_sha256=source,
    )
    audit_record(
        actor=actor,
        action="subpoena.packet_assemble",
        entity_type=CaseType.SUBPOENA,
        entity_id=s.pk,
        data={"pdf_document": pdf_doc.pk, "zip_document": zip_doc.pk, "pages": pages, "sha256": pdf_doc.sha256},
    )
    return Packet(
        subpoena_id=s.pk,
        pdf=pdf_doc,
        archive=zip_doc,
        pages=pages,
        prefix=prefix,
        exhibits=rows,
        manifest=manifest,
        pdf_bytes=pdf,
        zip_bytes=archive,
    )


def _as_of(s: Subpoena, exhibits: list[Exhibit]) -> datetime:
    """The packet is dated by the last recorded event it reflects (never by the clock), so that assembling
    unchanged records again gives the same bytes."""
    moments = [
        t.at
        for case_type, case_id in render.enforcement_records(s)
        for t in Transition.objects.filter(case_type=case_type, case_id=case_id).only("at")
    ]
    moments += [ex.document.uploaded_at for ex in exhibits if ex.document.origin == Origin.UPLOADED]
    return max(moments)


def _stored_packet(s: Subpoena, source: str) -> Packet | None:
    """The stored packet when nothing it is made from changed (same exhibits, hashes, record and renderer)."""
    pdf_doc = latest_in_series(case_type=CaseType.SUBPOENA, case_id=s.pk, kind=DocumentKind.ENFORCEMENT_PACKET)
    zip_doc = latest_in_series(case_type=CaseType.SUBPOENA, case_id=s.pk, kind=DocumentKind.PACKET_ARCHIVE)
    if pdf_doc is None or zip_doc is None or not (pdf_doc.source_sha256 == zip_doc.source_sha256 == source):
        return None
    archive = document_read(zip_doc)
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    return Packet(
        subpoena_id=s.pk,
        pdf=pdf_doc,
        archive=zip_doc,
        pages=int(manifest["packet"]["pages"]),
        prefix=str(manifest["packet"]["bates_prefix"]),
        exhibits=list(manifest["exhibits"]),
        manifest=manifest,
        pdf_bytes=document_read(pdf_doc),
        zip_bytes=archive,
    )


__all__ = ["Packet", "bates", "bates_prefix", "packet_assemble"]
