"""Which builder renders which document kind for which case type, and ``render_document``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from holdtrack.audit.models import CaseType
from holdtrack.cases.models import (
    CourtCase,
    Detainer,
    EnforcementReferral,
    Subpoena,
)
from holdtrack.core.errors import ValidationFailed
from holdtrack.core.timeutil import iso
from holdtrack.documents.models import DocumentKind as K
from holdtrack.documents.render.detainer_forms import (
    cancellation_notice,
    detainer_form,
    detainer_service_proof,
    notification_request,
    subject_notice,
)
from holdtrack.documents.render.enforcement_forms import clock_history, noncompliance_record, referral_memo
from holdtrack.documents.render.fields import RECORD_LABELS
from holdtrack.documents.render.pdf import Rendered
from holdtrack.documents.render.subpoena_forms import (
    custodian_certification,
    response_letter,
    subpoena_document,
    subpoena_service_proof,
)

# --------------------------------------------------------------------------------------------- registry

Builder = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class Spec:
    builder: Builder
    languages: tuple[str, ...] = ("en",)


SPECS: dict[tuple[str, str], Spec] = {
    (K.DETAINER_FORM, CaseType.DETAINER): Spec(detainer_form),
    (K.NOTIFICATION_REQUEST, CaseType.DETAINER): Spec(notification_request),
    (K.DETAINER_CANCELLATION, CaseType.DETAINER): Spec(cancellation_notice),
    (K.SUBJECT_NOTICE, CaseType.DETAINER): Spec(subject_notice, ("en", "es")),
    (K.SERVICE_PROOF, CaseType.DETAINER): Spec(detainer_service_proof),
    (K.SUBPOENA, CaseType.SUBPOENA): Spec(subpoena_document),
    (K.SERVICE_PROOF, CaseType.SUBPOENA): Spec(subpoena_service_proof),
    (K.RESPONSE_LETTER, CaseType.SUBPOENA): Spec(response_letter),
    (K.CUSTODIAN_CERTIFICATION, CaseType.SUBPOENA): Spec(custodian_certification),
    (K.CLOCK_HISTORY, CaseType.SUBPOENA): Spec(clock_history),
    (K.NONCOMPLIANCE_RECORD, CaseType.SUBPOENA): Spec(noncompliance_record),
    (K.REFERRAL_MEMO, CaseType.REFERRAL): Spec(referral_memo),
}
RENDERABLE_KINDS = frozenset(kind for kind, _ in SPECS)

CASE_MODELS: dict[str, type[Any]] = {
    CaseType.DETAINER: Detainer,
    CaseType.SUBPOENA: Subpoena,
    CaseType.REFERRAL: EnforcementReferral,
    CaseType.COURT_CASE: CourtCase,
}


def spec_for(kind: str, case_type: str, language: str) -> Spec:
    spec = SPECS.get((kind, case_type))
    if spec is None:
        kinds = sorted(k for k, ct in SPECS if ct == case_type)
        raise ValidationFailed(
            f"A {kind.replace('_', ' ').lower()} is not rendered for a {case_type.replace('_', ' ')}"
            + (f"; renderable kinds: {', '.join(kinds)}." if kinds else ".")
        )
    if language not in spec.languages:
        raise ValidationFailed(
            f"The {kind.replace('_', ' ').lower()} is available in {', '.join(spec.languages)}, not {language!r}."
        )
    return spec


def load_case(case_type: str, case_id: int) -> Any:
    model = CASE_MODELS.get(case_type)
    if model is None:
        raise ValidationFailed(f"Unknown case type {case_type!r}.")
    obj = model._default_manager.filter(pk=case_id).first()
    if obj is None:
        raise ValidationFailed(f"{case_type.replace('_', ' ').capitalize()} {case_id} does not exist.")
    return obj


def render_document(
    kind: str, case_type: str, case: Any, *, language: str = "en", response_id: int | None = None
) -> Rendered:
    """Build the context from the case and render the HTML (in ``language``) of one document."""
    spec = spec_for(kind, case_type, language)
    with translation.override(language):
        ctx = spec.builder(case, language, response_id=response_id)
        ctx.update(kind=kind, case_type=case_type, case_id=case.pk, lang=language)
        body = mark_safe(render_to_string(ctx["template"], ctx))  # noqa: S308 - rendered by our own template
        html = render_to_string(
            "documents/base.html",
            {
                "lang": language,
                "title": ctx["title"],
                "as_of": iso(ctx["as_of"]),
                "author": ctx.get("office", ""),
                "record": f"{RECORD_LABELS[case_type]} {case.pk}",
                "body": body,
            },
        )
    t = ctx.get("transition")
    return Rendered(
        kind=kind,
        case_type=case_type,
        case_id=case.pk,
        language=language,
        title=str(ctx["title"]),
        series=ctx.get("series", ""),
        as_of=ctx["as_of"],
        transition_id=t.pk if t is not None else None,
        html=html,
        body=body,
        fields={k: str(v) for k, v in ctx.get("fields", {}).items() if v},
    )
