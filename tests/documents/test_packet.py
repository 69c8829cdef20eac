"""The enforcement packet: exhibits with cover pages, continuous Bates numbers on every page, a manifest of
SHA-256 hashes that matches the ZIP, a tagged PDF, the same bytes when nothing changed."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image
from pypdf import PdfReader, PdfWriter

from holdtrack.core.errors import NotPermitted, ValidationFailed
from holdtrack.documents.models import Document, DocumentKind, Origin
from holdtrack.documents.packet import packet_assemble
from holdtrack.documents.render import html_to_pdf
from holdtrack.documents.services import document_upload
from tests.documents.helpers import catalog, contains, pdf_pages_text, png_artifact
from tests.documents.scenarios import build
from tests.factories import hold_eligible, subpoena_to

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

BATES = re.compile(r"HT-SUB(\d+)-(\d{6})")


def _bates_per_page(pdf: bytes) -> list[str]:
    """The Bates number printed at the foot of each page (the last one on the page)."""
    out = []
    for text in pdf_pages_text(pdf):
        found = BATES.findall(text)
        assert found, "a page without a Bates number"
        out.append(found[-1])
    return [f"HT-SUB{a}-{b}" for a, b in out]


def _scan(pages: int, *, rotate_second: bool = False) -> bytes:
    body = "".join(f'<p style="break-after: page">Sheriff letter page {i + 1}</p>' for i in range(pages))
    pdf = html_to_pdf(f'<html lang="en"><title>Letter</title><body>{body}</body></html>', identity="scan")
    if not rotate_second:
        return pdf
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.pages[1].rotate(90)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _with_uploads(world, cases):
    s = cases.subpoena
    png = io.BytesIO()
    Image.new("RGB", (500, 320), (180, 40, 40)).save(png, "PNG")
    document_upload(
        actor=world.lea_counsel,
        case_type="subpoena",
        case_id=s.pk,
        kind="OTHER",
        file_name="intake-photo.png",
        content=png.getvalue(),
    )
    document_upload(
        actor=world.lea_counsel,
        case_type="subpoena",
        case_id=s.pk,
        kind="RESPONSE_LETTER",
        file_name="sheriff-letter.pdf",
        content=_scan(3, rotate_second=True),
    )


def test_packet_has_every_exhibit_and_continuous_bates_numbers(world):
    cases = build(world)
    _with_uploads(world, cases)
    packet = packet_assemble(actor=world.supervisor, subpoena=cases.subpoena)
    pdf = packet.pdf_bytes
    pages = pdf_pages_text(pdf)

    # Bates: one per page, continuous from 1, the prefix of this subpoena.
    numbers = _bates_per_page(pdf)
    prefix = f"HT-SUB{cases.subpoena.pk}-"
    assert numbers == [f"{prefix}{n:06d}" for n in range(1, len(pages) + 1)]
    assert packet.pages == len(pages) and packet.prefix == prefix

    titles = [row["title"] for row in packet.exhibits]
    kinds = [row["kind"] for row in packet.exhibits]
    assert kinds[:2] == [DocumentKind.SUBPOENA, DocumentKind.SERVICE_PROOF]
    assert kinds.count(DocumentKind.RESPONSE_LETTER) == 3  # declination, production under order, uploaded letter
    for kind in (
        DocumentKind.CUSTODIAN_CERTIFICATION,
        DocumentKind.REFERRAL_MEMO,
        DocumentKind.CLOCK_HISTORY,
        DocumentKind.NONCOMPLIANCE_RECORD,
        DocumentKind.OTHER,
    ):
        assert kind in kinds
    assert [row["exhibit"] for row in packet.exhibits] == [chr(65 + i) for i in range(len(titles))]

    # Exhibit ranges tile the packet after the index page: cover, content, next cover …
    expected_next = 2
    for row in packet.exhibits:
        cover, first, last = (int(row[k][-6:]) for k in ("bates_cover", "bates_first", "bates_last"))
        assert cover == expected_next and first == cover + 1 and last >= first
        assert contains(pages[cover - 1], f"Exhibit {row['exhibit']}")
        assert contains(pages[cover - 1], f"{row['bates_first']} to {row['bates_last']}")
        assert contains(pages[cover - 1], row["sha256"])
        expected_next = last + 1
    assert expected_next == len(pages) + 1

    # The index lists every exhibit with its range and hash.
    index = pages[0]
    for row in packet.exhibits:
        assert contains(index, row["sha256"]) and contains(index, row["bates_first"])

    # The uploaded PDF's pages are drawn into its placeholder pages (rotation applied), each captioned.
    letter = next(row for row in packet.exhibits if row["file"].endswith("sheriff-letter.pdf"))
    assert letter["pages"] == 3 and letter["origin"] == Origin.UPLOADED
    for k in range(3):
        text = pages[int(letter["bates_first"][-6:]) - 1 + k]
        assert contains(text, f"Exhibit {letter['exhibit']}, page {k + 1} of 3")
        assert contains(text, f"Sheriff letter page {k + 1}")

    # Still a tagged PDF in English.
    root = catalog(pdf)
    assert "/StructTreeRoot" in root and str(root["/Lang"]) == "en"

    png_artifact(pdf, "enforcement_packet", dpi=40)


def test_manifest_hashes_match_the_zip_and_the_stored_documents(world):
    cases = build(world)
    _with_uploads(world, cases)
    packet = packet_assemble(actor=world.supervisor, subpoena=cases.subpoena)
    with zipfile.ZipFile(io.BytesIO(packet.zip_bytes)) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
        rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode())))
        assert names[0] == f"packet-subpoena-{cases.subpoena.pk}.pdf" and {"manifest.json", "manifest.csv"} <= set(
            names
        )
        assert hashlib.sha256(zf.read(names[0])).hexdigest() == manifest["packet"]["sha256"] == packet.pdf.sha256
        for entry in manifest["exhibits"]:
            data = zf.read(entry["file"])
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
            doc = Document.objects.get(pk=entry["document_id"])
            assert (doc.sha256, doc.version, doc.size) == (entry["sha256"], entry["version"], len(data))
    assert [r["sha256"] for r in rows] == [e["sha256"] for e in manifest["exhibits"]]
    assert manifest["packet"]["pages"] == packet.pages
    assert manifest["packet"]["bates_last"] == f"HT-SUB{cases.subpoena.pk}-{packet.pages:06d}"
    assert hashlib.sha256(packet.zip_bytes).hexdigest() == packet.archive.sha256
    assert packet.pdf.kind == DocumentKind.ENFORCEMENT_PACKET and packet.archive.kind == DocumentKind.PACKET_ARCHIVE


def test_assembling_again_without_changes_gives_the_same_bytes(world, monkeypatch):
    cases = build(world)
    first = packet_assemble(actor=world.supervisor, subpoena=cases.subpoena)
    second = packet_assemble(actor=world.agency_counsel, subpoena=cases.subpoena)
    assert second.pdf.pk == first.pdf.pk and second.archive.pk == first.archive.pk
    assert second.pdf_bytes == first.pdf_bytes and second.zip_bytes == first.zip_bytes
    # Laid out again from scratch (no reuse of the stored packet): still the same bytes.
    monkeypatch.setattr("holdtrack.documents.packet._stored_packet", lambda s, source: None)
    third = packet_assemble(actor=world.supervisor, subpoena=cases.subpoena)
    assert third.pdf_bytes == first.pdf_bytes and third.zip_bytes == first.zip_bytes
    assert third.pdf.pk == first.pdf.pk and third.archive.pk == first.archive.pk
    monkeypatch.undo()
    # A new upload is a new packet version.
    document_upload(
        actor=world.lea_counsel,
        case_type="subpoena",
        case_id=cases.subpoena.pk,
        kind="OTHER",
        file_name="later.pdf",
        content=_scan(1),
    )
    fourth = packet_assemble(actor=world.supervisor, subpoena=cases.subpoena)
    assert fourth.pdf.version == 2 and fourth.pages == first.pages + 2


def test_doj_assembles_an_unserved_subpoena_is_refused_and_lea_may_not(world):
    cases = build(world)
    assert packet_assemble(actor=world.doj_attorney, subpoena=cases.subpoena).pages > 10
    with pytest.raises(NotPermitted):
        packet_assemble(actor=world.lea_counsel, subpoena=cases.subpoena)
    issued = subpoena_to(world, stage="issued", detainer=hold_eligible(world))
    with pytest.raises(ValidationFailed, match="has not been served"):
        packet_assemble(actor=world.supervisor, subpoena=issued)


def test_a_served_subpoena_without_responses_still_has_a_record(world):
    s = subpoena_to(world, stage="served", detainer=hold_eligible(world))
    packet = packet_assemble(actor=world.supervisor, subpoena=s)
    kinds = [row["kind"] for row in packet.exhibits]
    assert kinds == [
        DocumentKind.SUBPOENA,
        DocumentKind.SERVICE_PROOF,
        DocumentKind.CLOCK_HISTORY,
        DocumentKind.NONCOMPLIANCE_RECORD,
    ]
    assert contains("\n".join(pdf_pages_text(packet.pdf_bytes)), "No response was received.")


def test_export_packet_command_writes_pdf_and_zip(world, tmp_path):
    cases = build(world)
    out = io.StringIO()
    call_command("export", "packet", str(cases.subpoena.pk), "--out", str(tmp_path), stdout=out)
    pdf = (tmp_path / f"packet-subpoena-{cases.subpoena.pk}.pdf").read_bytes()
    archive = tmp_path / f"packet-subpoena-{cases.subpoena.pk}.zip"
    assert zipfile.is_zipfile(archive)
    assert f"Bates HT-SUB{cases.subpoena.pk}-000001 to" in out.getvalue()
    assert hashlib.sha256(pdf).hexdigest() in out.getvalue()
    with pytest.raises(CommandError, match="does not exist"):
        call_command("export", "packet", "999999", "--out", str(tmp_path))
    with pytest.raises(CommandError, match="Folder"):
        call_command("export", "packet", str(cases.subpoena.pk), "--out", str(tmp_path / "missing"))
    with pytest.raises(CommandError, match="No user named"):
        call_command("export", "packet", str(cases.subpoena.pk), "--out", str(tmp_path), "--as", "nobody")
    call_command(
        "export",
        "packet",
        str(cases.subpoena.pk),
        "--out",
        str(tmp_path),
        "--as",
        world.doj_attorney.username,
        stdout=io.StringIO(),
    )
