"""``desks.widgets``: the action forms' widgets written in Python are byte for byte what Django's templates write."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.template.loader import get_template
from django.utils.safestring import mark_safe

from holdtrack.desks import actions
from holdtrack.desks.widgets import FIELD_TEMPLATE, RENDERER, field_html

pytestmark = pytest.mark.django_db

TEMPLATES = DjangoTemplates()
HOSTILE = "<b>\"Tom\" & 'Jerry'</b>"


def _both(form: forms.BaseForm) -> list[tuple[str, str]]:
    out = []
    for field in form:
        form.renderer = RENDERER
        fast = str(field.as_widget())
        form.renderer = TEMPLATES
        out.append((fast, str(field.as_widget())))
    return out


def _forms(action: actions.Action) -> list[forms.BaseForm]:
    names = list(action.form.base_fields)
    typed = {name: HOSTILE for name in names}
    return [
        action.form(initial={"seq": 3}, tz="America/Chicago", auto_id=f"id_{action.key}_%s"),
        action.form({}, tz="America/Chicago"),  # bound, every required field missing
        action.form(typed, tz="America/Chicago"),  # bound with markup in every field
    ]


@pytest.mark.parametrize("action", actions.ACTIONS, ids=lambda a: f"{a.kind}-{a.key}")
def test_every_action_form_renders_as_the_templates_do(action: actions.Action) -> None:
    for form in _forms(action):
        for fast, templated in _both(form):
            assert fast == templated


class Everything(forms.Form):
    grouped = forms.ChoiceField(
        choices=[("", "—"), ("Fruit", [("a", "Apple & pear"), ("b", mark_safe("<i>Banana</i>"))]), ("c", "Cherry")]
    )
    count = forms.IntegerField(initial=7, widget=forms.NumberInput(attrs={"disabled": True, "data-x": False}))
    note = forms.CharField(widget=forms.Textarea, initial=mark_safe("<p>kept</p>"))
    empty = forms.CharField(widget=forms.Textarea, required=False)
    at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), required=False)
    email = forms.EmailField(initial="a@b.example")


def test_optgroups_safe_values_and_boolean_attributes_render_as_the_templates_do() -> None:
    for form in (Everything(), Everything({"grouped": "b", "count": "x<y", "note": HOSTILE, "email": HOSTILE})):
        for fast, templated in _both(form):
            assert fast == templated


def test_an_unexpected_value_is_left_to_the_template() -> None:
    widget: dict[str, Any] = {"name": "n", "type": "text", "value": None, "attrs": {"title": ("a", "b")}}
    assert RENDERER.render("django/forms/widgets/text.html", {"widget": widget}) == TEMPLATES.render(
        "django/forms/widgets/text.html", {"widget": widget}
    )


@pytest.mark.parametrize("action", actions.ACTIONS, ids=lambda a: f"{a.kind}-{a.key}")
def test_every_action_field_is_written_as_the_field_template_writes_it(action: actions.Action) -> None:
    template = get_template(FIELD_TEMPLATE)
    for form in _forms(action):
        for field in form:
            assert str(field_html(field)) == template.render({"field": field})


def test_fields_of_every_kind_are_written_as_the_field_template_writes_them() -> None:
    class Kinds(forms.Form):
        agree = forms.BooleanField(help_text="Tick <b>this</b>", required=False)
        strict = forms.BooleanField(label="Strict & sure")
        pick = forms.ChoiceField(choices=[("x", "X & Y"), ("z", "Zed")], widget=forms.RadioSelect, help_text="One")
        many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "<B>")], widget=forms.CheckboxSelectMultiple)
        plain = forms.CharField(help_text=mark_safe("<em>safe</em>"), required=False)
        hidden = forms.CharField(widget=forms.HiddenInput, initial="h&h")

    template = get_template(FIELD_TEMPLATE)
    for form in (Kinds(), Kinds({}), Kinds({"agree": "on", "pick": "x", "many": ["b"], "plain": HOSTILE})):
        for field in form:
            assert str(field_html(field)) == template.render({"field": field})
