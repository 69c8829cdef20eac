"""Every generated document: rendered as HTML and tagged PDF, every required field in the PDF's text, a tag
tree and a document language, stable bytes, and a PNG kept as a test artifact."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from typing import Any

import pytest
from pypdf import PdfReader

from holdtrack.audit.models import CaseType
from holdtrack.cases import clocks
from holdtrack.core.errors import NotFound, ValidationFailed
from holdtrack.core.timeutil import local
from holdtrack.documents import render
from holdtrack.documents.models import Document, DocumentKind, Origin
from holdtrack.documents.services import document_render_and_store, document_verify
from tests.documents.helpers import catalog, contains, pdf_pages_text, png_artifact, struct_elements
from tests.documents.scenarios import DOCUMENTS, build
from tests.factories import other_aor_world, subpoena_to

pytestmark = pytest.mark.django_db

K = DocumentKind
IDS = [f"{k.lower()}-{ct}-{lang}" for k, ct, _, lang in DOCUMENTS]


def _case(cases, which):
    return cases.subpoena.referral if which == "referral" else getattr(cases, which)


def _expected(kind: str, which: str, cases, world) -> list[str]:
    """Facts each document must print, written out here independently of the renderer's own field list."""
    d, s = cases.detainer, cases.subpoena
    tz = s.recipient_lea.jurisdiction.timezone
    subject = "Rosa María Quintero-Synthetic"
    supervisor = world.supervisor.get_full_name()
    if kind == K.DETAINER_FORM:
        return [
            subject,
            "A200123456",
            "1988-07-14",
            "Honduras",
            "Female",
            "HC-2026-004411",
            world.lea.name,
            world.office.name,
            "I-247A",
            "Biometric confirmation plus database records",
            "Administrative warrant — signed by an immigration officer; not a judicial warrant",
            "I-200 Warrant for Arrest of Alien",
            "A. Officer, Supervisory Detention and Deportation Officer",
            "no more than 48 hours",
            local(d.served_at, d.facility.timezone),
        ]
    if kind == K.NOTIFICATION_REQUEST:
        return [subject, "HC-2026-004411", world.lea.name, "at least 48 hours before release", "R-NOTICE-48H v1"]
    if kind == K.DETAINER_CANCELLATION:
        lifted = cases.lifted
        return [
            lifted.subject.display_name,
            "Prosecutorial Discretion",
            "Case reviewed by the field office.",
            lifted.booking.booking_number,
            "is cancelled",
        ]
    if kind == K.SERVICE_PROOF and which == "detainer":
        return [subject, local(d.served_at, d.facility.timezone), "In person", world.facility.name]
    if kind == K.SUBJECT_NOTICE:
        return [subject, "1988-07-14", world.lea.name, "48 hours", world.office.name]
    if kind == K.SUBPOENA:
        return [
            "8 U.S.C. 1225(d)(4)",
            "8 CFR 287.4(a)(1)",
            "This is an administrative subpoena, not a court order",
            supervisor,
            "Field Office Director",
            "Home address",
            "Release date",
            subject,
            "A200123456",
            local(s.return_due_at, tz),
            s.return_manner,
            world.lea.name,
            "I-138",
        ]
    if kind == K.SERVICE_PROOF:
        return [local(s.served_at, tz), local(s.return_due_at, tz), "R-SUBPOENA-RETURN v1", world.lea.name]
    if kind == K.RESPONSE_LETTER:
        # The latest response: production under the court's order.
        return ["Production under court order", "S.D. Tex.", "Home address", "Release date", world.lea.name]
    if kind == K.CUSTODIAN_CERTIFICATION:
        return [
            "custodian of records",
            world.lea_counsel.get_full_name(),
            "Home address",
            "Release date",
            "Only the items requested",
        ]
    if kind == K.CLOCK_HISTORY:
        return [
            "R-SUBPOENA-RETURN v1",
            "R-COMPLY-BY v1",
            "decline",
            "file petition",
            f"Subpoena {s.pk}",
            "Referral",
            "Court case",
            "DECLINED → REFERRED",
        ]
    if kind == K.NONCOMPLIANCE_RECORD:
        return ["Declined", "Local law permits production only under a court order.", local(s.return_due_at, tz)]
    if kind == K.REFERRAL_MEMO:
        return [
            world.doj.name,
            "8 U.S.C. 1225(d)(4)(B)",
            supervisor,
            "Local law permits production only under a court order.",
            local(s.served_at, tz),
            subject,
        ]
    raise AssertionError(kind)


@pytest.mark.parametrize(("kind", "case_type", "which", "lang"), DOCUMENTS, ids=IDS)
def test_each_document_renders_with_every_required_field(world, kind, case_type, which, lang):
    cases = build(world)
    rendered = render.render_document(kind, case_type, _case(cases, which), language=lang)
    pdf = rendered.pdf()

    # HTML: a complete, self-contained page in the document's language.
    assert rendered.html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{lang}">' in rendered.html
    assert "<script" not in rendered.html and "http" not in rendered.html.split("</head>")[1]

    # PDF: parseable, tagged (PDF/UA), with the document language and the title shown.
    assert pdf.startswith(b"%PDF-1.7") and b"%%EOF" in pdf[-64:]
    root = catalog(pdf)
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"])
    assert str(root["/Lang"]) == lang
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert {"/H1", "/Table", "/TH", "/TD", "/P"} & struct_elements(pdf) >= {"/H1", "/P"}
    meta = PdfReader(io.BytesIO(pdf)).metadata
    assert meta is not None and meta.title == rendered.title
    xmp = root["/Metadata"].get_object().get_data()
    assert b"pdfuaid:part" in xmp  # PDF/UA identification in the XMP metadata

    text = "\n".join(pdf_pages_text(pdf))
    missing = [label for label, value in rendered.fields.items() if not contains(text, value)]
    assert not missing, f"fields not printed: {missing}"
    if lang == "en":
        absent = [v for v in _expected(kind, which, cases, world) if not contains(text, v)]
        assert not absent, f"facts not printed: {absent}"

    name = f"{kind.lower()}-{case_type}-{lang}"
    pngs = png_artifact(pdf, name)
    if pngs is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: PNG artifact not made; the PDF checks passed")
    assert len(pngs) == len(PdfReader(io.BytesIO(pdf)).pages) and all(p.stat().st_size > 5000 for p in pngs)
    (pngs[0].parent / f"{name}.html").write_text(rendered.html, encoding="utf-8")


def test_detainer_form_attaches_each_warrant_on_its_own_labelled_page(world):
    cases = build(world)
    pdf = render.render_document(K.DETAINER_FORM, CaseType.DETAINER, cases.detainer).pdf()
    pages = pdf_pages_text(pdf)
    warrant_pages = [p for p in pages if "ATTACHMENT 1 TO DETAINER" in p.upper()]
    assert len(warrant_pages) == 1
    assert contains(
        warrant_pages[0], "Administrative warrant — signed by an immigration officer; not a judicial warrant"
    )
    assert not contains(warrant_pages[0], "is a judicial warrant")


def test_spanish_notice_is_in_spanish(world):
    cases = build(world)
    en = render.render_document(K.SUBJECT_NOTICE, CaseType.DETAINER, cases.detainer, language="en")
    es = render.render_document(K.SUBJECT_NOTICE, CaseType.DETAINER, cases.detainer, language="es")
    es_text = "\n".join(pdf_pages_text(es.pdf()))
    for phrase in (
        "Aviso a la persona nombrada en una orden de retención migratoria",
        "Departamento de Seguridad Nacional",
        "hasta 48 horas después",
        "Si usted cree que es ciudadano de los Estados Unidos",
        "Fecha y hora de la entrega",
        "En persona",
        "Página 1 de 2",
    ):
        assert contains(es_text, phrase), phrase
    assert not contains(es_text, "If you believe you are a citizen")
    assert contains("\n".join(pdf_pages_text(en.pdf())), "If you believe you are a citizen of the United States")
    assert es.title != en.title and es.language == "es"


def test_the_notice_names_the_booked_person_and_the_other_records_of_the_person(world):
    from tests.factories import prepared, registry_subject

    registry = registry_subject(world, first_name="Ana", last_name="Registro Uno")
    d = prepared(world, registry=registry)
    booked = d.booking.subject.display_name
    for lang, label in (("en", "Also recorded as"), ("es", "También registrado como")):
        text = "\n".join(
            pdf_pages_text(render.render_document(K.SUBJECT_NOTICE, CaseType.DETAINER, d, language=lang).pdf())
        )
        assert contains(text, booked) and contains(text, label) and contains(text, registry.display_name), lang


def test_rendering_the_same_version_twice_gives_identical_bytes(world):
    cases = build(world)
    for kind, case_type, which, lang in DOCUMENTS:
        case = _case(cases, which)
        first = render.render_document(kind, case_type, case, language=lang).pdf()
        second = render.render_document(kind, case_type, case, language=lang).pdf()
        assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest(), kind


def test_pdf_dates_come_from_the_case_not_the_clock(world):
    cases = build(world)
    s = cases.subpoena
    meta = PdfReader(io.BytesIO(render.render_document(K.SUBPOENA, CaseType.SUBPOENA, s).pdf())).metadata
    assert meta is not None
    assert s.issued_at is not None
    assert meta["/CreationDate"] == s.issued_at.strftime("D:%Y%m%d%H%M%SZ")
    assert meta["/ModDate"] == meta["/CreationDate"]


def test_render_and_store_is_versioned_and_deduplicated(world):
    cases = build(world)
    s = cases.subpoena
    first = document_render_and_store(actor=world.officer, kind=K.SUBPOENA, case_type=CaseType.SUBPOENA, case_id=s.pk)
    again = document_render_and_store(actor=world.officer, kind=K.SUBPOENA, case_type=CaseType.SUBPOENA, case_id=s.pk)
    assert again.pk == first.pk and first.version == 1 and first.origin == Origin.RENDERED
    assert first.content_type == "application/pdf" and document_verify(first)
    assert first.transition is not None and first.transition.name == "issue"  # linked to its event

    # The record changes (a response on the return-date clock): the proof of service is re-rendered as v2.
    proof = document_render_and_store(
        actor=world.officer, kind=K.SERVICE_PROOF, case_type=CaseType.SUBPOENA, case_id=s.pk
    )
    assert proof.version == 1 and proof.transition is not None and proof.transition.name == "serve"

    # One letter per response, each its own series; notices per language, each its own series.
    letters = [
        document_render_and_store(
            actor=world.lea_counsel,
            kind=K.RESPONSE_LETTER,
            case_type=CaseType.SUBPOENA,
            case_id=s.pk,
            response_id=r.pk,
        )
        for r in s.responses.order_by("pk")
    ]
    assert [doc.version for doc in letters] == [1, 1] and len({doc.series for doc in letters}) == 2
    d = cases.detainer
    en = document_render_and_store(actor=world.booking_clerk, kind=K.SUBJECT_NOTICE, case_type="detainer", case_id=d.pk)
    es = document_render_and_store(
        actor=world.booking_clerk, kind=K.SUBJECT_NOTICE, case_type="detainer", case_id=d.pk, language="es"
    )
    en_again = document_render_and_store(
        actor=world.booking_clerk, kind=K.SUBJECT_NOTICE, case_type="detainer", case_id=d.pk
    )
    assert (en.version, es.version) == (1, 1) and en_again.pk == en.pk and es.sha256 != en.sha256


def test_an_unchanged_source_is_not_laid_out_again(world, monkeypatch):
    cases = build(world)
    kwargs: dict[str, Any] = {"kind": K.SUBPOENA, "case_type": CaseType.SUBPOENA, "case_id": cases.subpoena.pk}
    first = document_render_and_store(actor=world.officer, **kwargs)
    assert first.source_sha256 == render.render_document(K.SUBPOENA, CaseType.SUBPOENA, cases.subpoena).source_sha256

    def no_layout(self):
        raise AssertionError("laid out again")

    monkeypatch.setattr(render.Rendered, "pdf", no_layout)
    assert document_render_and_store(actor=world.officer, **kwargs).pk == first.pk


def test_a_new_fact_makes_a_new_version(world):
    from holdtrack.cases.services import detainers as ds
    from tests.factories import T0, received

    d = received(world)
    before = document_render_and_store(
        actor=world.booking_clerk, kind=K.SUBJECT_NOTICE, case_type="detainer", case_id=d.pk
    )
    ds.detainer_serve_subject(actor=world.booking_clerk, detainer=d, language="es", at=T0 + timedelta(hours=2))
    after = document_render_and_store(
        actor=world.booking_clerk, kind=K.SUBJECT_NOTICE, case_type="detainer", case_id=d.pk
    )
    assert after.version == 2 and after.sha256 != before.sha256
    assert Document.objects.filter(case_type="detainer", case_id=d.pk, kind=K.SUBJECT_NOTICE).count() == 2


def test_documents_are_refused_when_the_record_lacks_the_facts(world):
    from tests.factories import hold_eligible

    d = hold_eligible(world)
    draft = subpoena_to(world, stage="draft", detainer=d)
    issued = subpoena_to(world, stage="issued", detainer=d)
    with pytest.raises(ValidationFailed, match="has not been issued"):
        render.render_document(K.SUBPOENA, CaseType.SUBPOENA, draft)
    with pytest.raises(ValidationFailed, match="has not been served"):
        render.render_document(K.SERVICE_PROOF, CaseType.SUBPOENA, issued)
    with pytest.raises(ValidationFailed, match="no response recorded"):
        render.render_document(K.RESPONSE_LETTER, CaseType.SUBPOENA, issued)
    with pytest.raises(ValidationFailed, match="not lifted"):
        render.render_document(K.DETAINER_CANCELLATION, CaseType.DETAINER, d)
    with pytest.raises(ValidationFailed, match="available in en, es, not 'fr'"):
        render.render_document(K.SUBJECT_NOTICE, CaseType.DETAINER, d, language="fr")
    with pytest.raises(ValidationFailed, match="not rendered for a detainer"):
        render.render_document(K.SUBPOENA, CaseType.DETAINER, d)


def test_only_parties_to_the_case_render_its_documents(world):
    cases = build(world)
    outsider = other_aor_world()
    with pytest.raises(NotFound):
        document_render_and_store(
            actor=outsider.officer, kind=K.SUBPOENA, case_type=CaseType.SUBPOENA, case_id=cases.subpoena.pk
        )
    assert not Document.objects.filter(case_type=CaseType.SUBPOENA).exists()


def test_the_return_date_printed_is_the_computed_clock(world):
    cases = build(world)
    s = cases.subpoena
    assert s.served_at is not None
    clock = clocks.subpoena_return(s.served_at, s.return_days, s.recipient_lea.jurisdiction.timezone)
    text = "\n".join(pdf_pages_text(render.render_document(K.SUBPOENA, CaseType.SUBPOENA, s).pdf()))
    assert contains(text, local(clock.due_at, s.recipient_lea.jurisdiction.timezone))
    assert contains(text, clock.explanation)


def test_the_renderer_fetches_nothing_from_outside():
    from weasyprint.urls import FatalURLFetchingError

    html = '<html lang="en"><title>t</title><body><img src="file:///etc/hostname" alt="x"><p>ok</p></body></html>'
    with pytest.raises(FatalURLFetchingError):
        render.html_to_pdf(html, identity="t")
    inline = '<html lang="en"><title>t</title><body><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="x"></body></html>'
    assert render.html_to_pdf(inline, identity="t").startswith(b"%PDF")


def test_documents_that_list_steps_say_when_staff_recorded_one_from_the_other_sides_document(world):
    from holdtrack.audit.models import Channel
    from holdtrack.cases.services import detainers as ds
    from tests.factories import received

    d = received(world)
    ds.detainer_serve_subject(
        actor=world.officer, detainer=d, channel=Channel.STAFF_RECORDED, source_document="Jail service form 9"
    )
    d.refresh_from_db()
    proof = render.render_document(K.SERVICE_PROOF, CaseType.DETAINER, d).html
    assert f"recorded by {world.office} staff from Jail service form 9" in proof
    s = subpoena_to(world, stage="served", detainer=d)
    from holdtrack.cases.services import subpoenas as ss

    ss.subpoena_acknowledge(actor=world.officer, subpoena=s, channel=Channel.STAFF_RECORDED, source_document="Letter 3")
    history = render.render_document(K.CLOCK_HISTORY, CaseType.SUBPOENA, s).html
    assert f"recorded by {world.office} staff from Letter 3" in history
    assert "staff from" not in render.render_document(K.SERVICE_PROOF, CaseType.SUBPOENA, s).html
