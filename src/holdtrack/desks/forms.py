"""One form per case action. Forms only parse and check what was typed; the services decide what is allowed.

Every form carries ``seq``: the last transition number of the case when the page was rendered, so a change
made meanwhile by someone else is reported instead of acted on blindly. Times typed in a form are read in
the zone of the case (facility or jurisdiction), the same zone the page shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.safestring import SafeString, mark_safe
from django_fsm import can_proceed

from holdtrack.accounts.models import Organization, OrgKind
from holdtrack.cases.models import (
    AGENCY_LIFT_REASONS,
    Box,
    ChargingDocument,
    FormType,
    ItemCategory,
    LeaDecision,
    OrderType,
    PCBasis,
    RequestType,
    ResponseType,
    ReviewResult,
    ServiceMethod,
    WarrantType,
)
from holdtrack.cases.services import subpoenas as ss
from holdtrack.custody.models import ClaimBasis, ReleaseEligibilityReason, ReleaseType
from holdtrack.desks.widgets import RENDERER, field_html

SUBPOENA_SERVICE_METHODS = [
    ("PERSONAL", "Personal service"),
    ("CERTIFIED_MAIL", "Certified mail"),
    ("ELECTRONIC", "Electronic delivery to the agency's designated address"),
]
COURT_STEPS = [
    ("take_under_advisement", "Fully briefed: under advisement"),
    ("appeal", "Objection or appeal filed"),
    ("move_for_contempt", "Motion for civil contempt filed"),
]
RESPONSES = [
    (ResponseType.FULL_PRODUCTION.value, ResponseType.FULL_PRODUCTION.label),
    (ResponseType.PARTIAL_PRODUCTION.value, ResponseType.PARTIAL_PRODUCTION.label),
    (ResponseType.OBJECTION_LETTER.value, ResponseType.OBJECTION_LETTER.label),
    (ResponseType.DECLINATION.value, ResponseType.DECLINATION.label),
]


class LocalDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input read in the zone of the case."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class ActionForm(forms.Form):
    seq = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    default_renderer = RENDERER  # the same HTML as Django's widget templates, without the template engine

    def __init__(self, *args: Any, tz: str = "UTC", case: Any = None, **kwargs: Any) -> None:
        self.tz = tz
        self.case = case
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            _uswds(field)

    def fields_html(self) -> SafeString:
        """Every field as ``desks/_field.html`` writes it (``desks.widgets.field_html``)."""
        return mark_safe("".join(field_html(field) for field in self))  # noqa: S308 - field_html escapes

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        zone = ZoneInfo(self.tz)
        for name, value in list(data.items()):
            # Django attaches the default zone to a typed time; re-read the wall-clock time in the case's zone.
            if isinstance(value, datetime) and isinstance(self.fields[name], LocalDateTimeField):
                data[name] = value.replace(tzinfo=None).replace(tzinfo=zone)
        return data


def _uswds(field: forms.Field) -> None:
    widget = field.widget
    if isinstance(widget, forms.HiddenInput):
        return
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
        return  # rendered by hand as usa-checkbox / usa-radio
    if isinstance(widget, forms.Select):
        widget.attrs.setdefault("class", "usa-select")
    elif isinstance(widget, forms.Textarea):
        widget.attrs.setdefault("class", "usa-textarea")
        widget.attrs.setdefault("rows", "3")
    else:
        widget.attrs.setdefault("class", "usa-input")


def _choices(enum: Any, only: Any = None) -> list[tuple[str, str]]:
    return [(value, label) for value, label in enum.choices if only is None or value in only]


# --------------------------------------------------------------------------------------- identity match


class MatchReviewForm(ActionForm):
    decision = forms.ChoiceField(
        label="Decision",
        choices=[("confirm", "Confirm: same person"), ("reject", "Reject: not the same person")],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Reason",
        help_text="What you compared (prints, photograph, date of birth …). Stored with the model's score.",
        widget=forms.Textarea,
        max_length=2000,
    )
    override_conflict = forms.BooleanField(
        label="Override the FBI-number conflict (supervisors only)",
        help_text="Only where the booking's FBI number is shown to be wrong; the reason must say how.",
        required=False,
    )


class MatchRevokeForm(ActionForm):
    reason = forms.CharField(
        label="Why the match was wrong",
        help_text="The records stop being one person; detainers resting on this match are lifted.",
        widget=forms.Textarea,
        max_length=2000,
    )


class DetainerPrepareForm(ActionForm):
    form_type = forms.ChoiceField(label="Form", choices=_choices(FormType), initial=FormType.I247A)
    request_type = forms.ChoiceField(
        label="Request",
        choices=[("", "As the form implies"), *_choices(RequestType)],
        required=False,
    )
    box = forms.ChoiceField(label="Probable cause", choices=_choices(Box), initial=Box.PC_REMOVABLE)
    pc_bases = forms.MultipleChoiceField(
        label="Probable-cause basis (Box 1)",
        choices=_choices(PCBasis),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    charging_document = forms.ChoiceField(
        label="Charging document", choices=_choices(ChargingDocument), initial=ChargingDocument.NONE
    )


# ------------------------------------------------------------------------------------------- detainers


class WarrantConfirmForm(ActionForm):
    warrant = forms.ChoiceField(label="Warrant recorded as judicial")
    note = forms.CharField(
        label="What you checked",
        help_text="For example: the court's seal and case number, the judge's signature.",
        widget=forms.Textarea,
        max_length=2000,
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pending = [] if self.case is None else self.case.warrants.filter(is_judicial=True, judicial_confirmed_at=None)
        choice = self.fields["warrant"]
        assert isinstance(choice, forms.ChoiceField)
        choice.choices = [
            (str(w.pk), f"{w.get_warrant_type_display()}, {w.signed_by_title}, {w.court}") for w in pending
        ]


class WarrantAttachForm(ActionForm):
    warrant_type = forms.ChoiceField(label="Warrant", choices=_choices(WarrantType), initial=WarrantType.I200)
    number = forms.CharField(label="Warrant number", required=False, max_length=60)
    signed_by_name = forms.CharField(label="Signed by (name)", max_length=120)
    signed_by_title = forms.CharField(label="Signed by (title)", max_length=120)
    signed_at = LocalDateTimeField(label="Signed at")
    court = forms.CharField(
        label="Issuing court", required=False, max_length=120, help_text="Only for a warrant signed by a judge."
    )


class EmptyForm(ActionForm):
    """An action that needs nothing but a confirmation (approve, transmit, receive, acknowledge …)."""


class ServeSubjectForm(ActionForm):
    method = forms.ChoiceField(label="Manner of service", choices=_choices(ServiceMethod))
    language = forms.CharField(
        label="Language of the copy served", initial="en", max_length=12, help_text="Language code, e.g. en, es."
    )


class DecideForm(ActionForm):
    decision = forms.ChoiceField(label="Decision under local law", choices=_choices(LeaDecision))
    reason = forms.CharField(label="Reason or note", required=False, widget=forms.Textarea, max_length=2000)


NOW_HINT = "Leave empty to record the current time (to the second)."


class ReleaseEligibilityForm(ActionForm):
    at = LocalDateTimeField(label="Eligible for release at", required=False, help_text=NOW_HINT)
    reason = forms.ChoiceField(label="Why", choices=_choices(ReleaseEligibilityReason))


class ReleaseForm(ActionForm):
    at = LocalDateTimeField(label="Released at", required=False, help_text=NOW_HINT)
    release_type = forms.ChoiceField(
        label="Kind of release",
        choices=[c for c in _choices(ReleaseType) if c[0] not in (ReleaseType.TRANSFER_TO_AGENCY,)],
    )


class LiftForm(ActionForm):
    reason = forms.ChoiceField(label="Lift reason", choices=[(str(r), str(r)) for r in AGENCY_LIFT_REASONS])
    note_text = forms.CharField(label="Note", required=False, widget=forms.Textarea, max_length=2000)


class NeutralReviewForm(ActionForm):
    result = forms.ChoiceField(label="Result", choices=_choices(ReviewResult))
    reason = forms.CharField(label="Reason", required=False, widget=forms.Textarea, max_length=2000)


class ClaimOpenForm(ActionForm):
    basis = forms.ChoiceField(label="Basis of the claim", choices=_choices(ClaimBasis))


class ClaimResolveForm(ActionForm):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[("noncitizen", "Verified noncitizen"), ("citizen", "Verified U.S. citizen")],
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(label="Resolution notes", widget=forms.Textarea, max_length=4000)


class SubpoenaDraftForm(ActionForm):
    items = forms.MultipleChoiceField(
        label="Items requested", choices=_choices(ItemCategory), widget=forms.CheckboxSelectMultiple
    )
    return_days = forms.IntegerField(label="Return period (days from service)", min_value=1, max_value=60, initial=14)


# ------------------------------------------------------------------------------------------- subpoenas


class SubpoenaServeForm(ActionForm):
    method = forms.ChoiceField(label="Manner of service", choices=SUBPOENA_SERVICE_METHODS)


class SubpoenaRespondForm(ActionForm):
    response_type = forms.ChoiceField(label="Response", choices=RESPONSES)
    produced_items = forms.MultipleChoiceField(
        label="Items produced", choices=_choices(ItemCategory), required=False, widget=forms.CheckboxSelectMultiple
    )
    grounds = forms.CharField(
        label="Grounds",
        required=False,
        widget=forms.Textarea,
        max_length=4000,
        help_text="Required to object or decline.",
    )
    legal_basis = forms.CharField(label="Legal basis", required=False, max_length=400)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.case is not None:
            field = self.fields["produced_items"]
            assert isinstance(field, forms.MultipleChoiceField)
            field.choices = [(v, label) for v, label in ItemCategory.choices if v in self.case.items]


class ReferForm(ActionForm):
    doj_office: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="Department of Justice office", queryset=Organization.objects.none()
    )
    memo = forms.CharField(label="Referral memo", required=False, widget=forms.Textarea, max_length=4000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["doj_office"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Organization.objects.filter(kind=OrgKind.DOJ).order_by("name")


class ReasonForm(ActionForm):
    reason = forms.CharField(label="Reason", widget=forms.Textarea, max_length=2000)


class PetitionForm(ActionForm):
    court = forms.CharField(label="Court", max_length=80, help_text="e.g. S.D. Tex.")
    case_number = forms.CharField(label="Case number", max_length=40)


# ----------------------------------------------------------------------------------------- court cases


def _only_possible(form: ActionForm, name: str, possible: list[str]) -> None:
    """Offer only the choices the case's state allows; a submitted form keeps them all, so a choice that is no
    longer possible reaches the service and is refused with its reason."""
    if not form.is_bound and form.case is not None:
        field = form.fields[name]
        field.choices = [(v, label) for v, label in field.choices if v in possible]  # type: ignore[attr-defined]


class CourtOrderForm(ActionForm):
    order_type = forms.ChoiceField(label="Order", choices=_choices(OrderType))
    issued_at = LocalDateTimeField(label="Issued at")
    issued_by = forms.CharField(label="Judge", required=False, max_length=120)
    comply_within_days = forms.IntegerField(
        label="Comply within (days)", required=False, min_value=1, max_value=365, help_text="For an order enforcing."
    )
    terms = forms.CharField(label="Terms", required=False, widget=forms.Textarea, max_length=4000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.case is not None:
            _only_possible(self, "order_type", ss.court_orders_possible(self.case))


class CourtStepForm(ActionForm):
    step = forms.ChoiceField(label="Step", choices=COURT_STEPS)
    reason = forms.CharField(label="Note", required=False, widget=forms.Textarea, max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.case is not None:
            _only_possible(self, "step", [m for m in ss.COURT_STEPS if can_proceed(getattr(self.case, m))])


class ComplianceForm(ActionForm):
    produced_items = forms.MultipleChoiceField(
        label="Items produced under the order",
        choices=_choices(ItemCategory),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave empty when every item requested was produced.",
    )
