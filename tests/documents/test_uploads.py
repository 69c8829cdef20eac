"""Uploads: the type is sniffed from the bytes, the size is limited, a PDF must be sound; a refused upload
names the file and the problem and stores nothing."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from PIL import Image

from holdtrack.core.errors import NotFound, ValidationFailed
from holdtrack.documents.models import Document, Origin
from holdtrack.documents.render import html_to_pdf
from holdtrack.documents.services import document_upload, document_verify
from tests.factories import other_aor_world, prepared

pytestmark = pytest.mark.django_db

PDF = html_to_pdf('<html lang="en"><title>Scan</title><body><p>Signed copy</p></body></html>', identity="upload")


def _image(fmt: str, **kw) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (10, 120, 200)).save(out, fmt, **kw)
    return out.getvalue()


def _upload(world, detainer, file_name: str, content: bytes, kind: str = "ADMIN_WARRANT"):
    return document_upload(
        actor=world.officer, case_type="detainer", case_id=detainer.pk, kind=kind, file_name=file_name, content=content
    )


def _stored_files() -> list[Path]:
    storages: Any = django_settings.STORAGES
    options = storages["default"]["OPTIONS"]
    root = Path(options["location"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize(
    ("file_name", "content", "content_type"),
    [
        ("i-200-signed.pdf", PDF, "application/pdf"),
        ("warrant.png", _image("PNG"), "image/png"),
        ("warrant.jpeg", _image("JPEG"), "image/jpeg"),
        ("warrant.tif", _image("TIFF"), "image/tiff"),
        ("no-extension", _image("PNG"), "image/png"),
    ],
)
def test_accepted_types_are_stored_with_the_sniffed_type(world, file_name, content, content_type):
    d = prepared(world)
    doc = _upload(world, d, file_name, content)
    assert doc.content_type == content_type and doc.origin == Origin.UPLOADED
    assert doc.title == Path(file_name).stem and document_verify(doc)


def _truncated_pdf() -> bytes:
    return PDF[: len(PDF) // 2]


def _broken_pdf() -> bytes:
    # Right header and end marker, nothing readable in between.
    return b"%PDF-1.7\n" + b"\x00garbage" * 200 + b"\n%%EOF\n"


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(PDF)))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("file_name", "content", "message"),
    [
        (
            "letter.docx",
            b"PK\x03\x04" + b"\x00" * 100,
            r"letter\.docx: the content is a ZIP archive or an Office document, not a PDF, PNG, JPEG or TIFF",
        ),
        ("notes.pdf", b"These are my notes, not a PDF.", r"notes\.pdf: the content is plain text, not a PDF"),
        ("page.pdf", b"<html><body>hi</body></html>", r"page\.pdf: the content is HTML or XML"),
        ("anim.gif", b"GIF89a" + b"\x00" * 50, r"anim\.gif: the content is a GIF image"),
        ("scan.pdf", _image("PNG"), r"scan\.pdf: the name ends in \.pdf but the content is a PNG image"),
        (
            "half.pdf",
            _truncated_pdf(),
            r"half\.pdf: the PDF has no end-of-file marker \(%%EOF\); the file is probably truncated",
        ),
        ("broken.pdf", _broken_pdf(), r"broken\.pdf: the PDF cannot be read"),
        ("locked.pdf", _encrypted_pdf(), r"locked\.pdf: the PDF is encrypted or password-protected"),
        ("cut.png", _image("PNG")[:60], r"cut\.png: the PNG image is damaged or truncated"),
        ("empty.pdf", b"", r"empty\.pdf: the file is empty"),
    ],
    ids=["office", "text", "html", "gif", "mismatch", "truncated", "unreadable", "encrypted", "bad-image", "empty"],
)
def test_refused_uploads_name_the_file_and_the_problem_and_store_nothing(world, file_name, content, message):
    d = prepared(world)
    before = Document.objects.count()
    with pytest.raises(ValidationFailed, match=message):
        _upload(world, d, file_name, content)
    assert Document.objects.count() == before
    assert _stored_files() == []


def test_size_limit(world, settings):
    settings.HOLDTRACK_UPLOAD_MAX_BYTES = 10_000
    d = prepared(world)
    big = _image("PNG") + b"\x00" * 20_000
    with pytest.raises(ValidationFailed, match=r"big\.png: the file is 2\d KB \(2\d,\d{3} bytes\); the limit is 10 KB"):
        _upload(world, d, "big.png", big)
    assert not Document.objects.exists() and _stored_files() == []


def test_path_components_in_the_file_name_are_dropped(world):
    d = prepared(world)
    doc = _upload(world, d, "../../etc/warrant.pdf", PDF)
    assert doc.title == "warrant" and ".." not in doc.storage_name


def test_uploads_are_scoped_to_the_parties_and_cannot_pose_as_a_packet(world):
    d = prepared(world)
    outsider = other_aor_world()
    with pytest.raises(NotFound):
        document_upload(
            actor=outsider.officer, case_type="detainer", case_id=d.pk, kind="OTHER", file_name="x.pdf", content=PDF
        )
    with pytest.raises(ValidationFailed, match="assembled by holdtrack"):
        _upload(world, d, "packet.pdf", PDF, kind="ENFORCEMENT_PACKET")
    with pytest.raises(ValidationFailed, match="does not exist"):
        document_upload(
            actor=world.officer, case_type="detainer", case_id=999999, kind="OTHER", file_name="x.pdf", content=PDF
        )
    assert not Document.objects.exists()
