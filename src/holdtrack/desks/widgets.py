"""The action forms' fields and widgets rendered by Python code that writes exactly what the templates write.

A case page renders up to thirteen action forms; Django renders each widget through its template engine (the
widget's template, then ``attrs.html``, then one template per option of a select), and the page included
``desks/_field.html`` for each field: most of a desk page's rendering (issue 12). ``ActionFormRenderer`` writes
the HTML of the few widget templates the forms use — inputs, text areas and selects — and ``field_html`` that of
``desks/_field.html``, byte for byte as the templates do (escaping included; a test compares both on every action
form, blank, invalid and with markup typed in). Any other template, or a value of a type the code does not
expect, goes to the template.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.forms import BoundField
from django.forms.renderers import DjangoTemplates
from django.template.loader import get_template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString, mark_safe

_WIDGETS = "django/forms/widgets/"
_INPUTS = frozenset(
    _WIDGETS + name
    for name in ("input.html", "text.html", "number.html", "hidden.html", "datetime.html", "date.html", "email.html")
)
_OPTION = _WIDGETS + "select_option.html"


class _Unexpected(Exception):
    """A value the templates would show through a conversion this module does not write: use the template."""


def _text(value: Any) -> str:
    """``{{ value }}`` of a string."""
    if not isinstance(value, str):
        raise _Unexpected
    return str(conditional_escape(value))


def _formatted(value: Any) -> str:
    """``{{ value|stringformat:'s' }}``: the filter keeps a safe string safe, and the output is escaped."""
    if isinstance(value, tuple) or callable(value):
        raise _Unexpected  # the filter formats a tuple otherwise; the template engine calls a callable
    if isinstance(value, SafeData):
        return str(value)
    return str(conditional_escape("%s" % value))  # noqa: UP031 - the filter's own formatting


def _attrs(attrs: Mapping[str, Any]) -> str:
    """``attrs.html``."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {_text(name)}" if value is True else f' {_text(name)}="{_formatted(value)}"')
    return "".join(out)


def _input(widget: Mapping[str, Any]) -> str:
    value = "" if widget["value"] is None else f' value="{_formatted(widget["value"])}"'
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def _textarea(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{_text(value) if value else ""}</textarea>'


def _select(widget: Mapping[str, Any]) -> str:
    out = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _ in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            if option["template_name"] != _OPTION:
                raise _Unexpected
            label = _text(option["label"])
            out.append(f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>{label}</option>\n')
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


_WRITERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    **dict.fromkeys(_INPUTS, _input),
    _WIDGETS + "textarea.html": _textarea,
    _WIDGETS + "select.html": _select,
}


class ActionFormRenderer(DjangoTemplates):
    """Django's template renderer, with the common widget templates written in Python."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        writer = _WRITERS.get(template_name)
        if writer is not None and set(context) == {"widget"}:
            try:
                return writer(context["widget"]).strip()
            except (_Unexpected, KeyError):
                pass
        return str(super().render(template_name, context, request=request))


RENDERER = ActionFormRenderer()


# ------------------------------------------------------------------------------------------ desks/_field.html

FIELD_TEMPLATE = "desks/_field.html"
_OPTIONAL = ' <span class="ht-optional">(optional)</span>'


def _error_span(field: BoundField, errors: Any) -> str:
    joined = " ".join(str(conditional_escape(e)) for e in errors)  # {{ field.errors|join:" " }}
    return (
        f'<span class="usa-error-message" id="{_text(field.auto_id)}_error"><span class="usa-sr-only">Error: </span>'
        f"{joined}</span>"
    )


def _hint(field: BoundField, help_text: str) -> str:
    return f'<div class="usa-hint" id="{_text(field.auto_id)}_helptext">{_text(help_text)}</div>' if help_text else ""


def _checkbox(field: BoundField, errors: Any, help_text: str) -> str:
    auto_id = _text(field.auto_id)
    described = f' aria-describedby="{auto_id}_helptext"' if help_text else ""
    description = (
        f'<span class="usa-checkbox__label-description" id="{auto_id}_helptext">{_text(help_text)}</span>'
        if help_text
        else ""
    )
    return (
        f'\n<div class="usa-form-group{" usa-form-group--error" if errors else ""}">\n'
        f"  {_error_span(field, errors) if errors else ''}\n"
        '  <div class="usa-checkbox">\n'
        f'    <input class="usa-checkbox__input" type="checkbox" name="{_text(field.html_name)}" id="{auto_id}" '
        f'value="on"{" checked" if field.value() else ""}{described}>\n'
        f'    <label class="usa-checkbox__label" for="{auto_id}">{_text(field.label)}{description}</label>\n'
        "  </div>\n"
        "</div>"
    )


def _choices(field: BoundField, errors: Any, help_text: str, kind: str) -> str:
    auto_id = _text(field.auto_id)
    described = ""
    if help_text or errors:
        described = f' aria-describedby="{auto_id + "_helptext" if help_text else ""}{" " + auto_id + "_error" if errors else ""}"'
    options = "".join(
        f'\n  <div class="usa-{kind}">\n'
        f'    <input class="usa-{kind}__input" type="{kind}" name="{_text(o.data["name"])}" id="{_text(o.id_for_label)}" '
        f'value="{_text(o.data["value"])}"{" checked" if o.data["selected"] else ""}>\n'
        f'    <label class="usa-{kind}__label" for="{_text(o.id_for_label)}">{_text(o.choice_label)}</label>\n'
        "  </div>\n  "
        for o in field
    )
    return (
        f'\n<fieldset class="usa-fieldset usa-form-group{" usa-form-group--error" if errors else ""}"{described}>\n'
        f'  <legend class="usa-legend">{_text(field.label)}{"" if field.field.required else _OPTIONAL}</legend>\n'
        f"  {_hint(field, help_text)}\n"
        f"  {_error_span(field, errors) if errors else ''}\n"
        f"  {options}\n"
        "</fieldset>"
    )


def _plain(field: BoundField, errors: Any, help_text: str) -> str:
    return (
        f'\n<div class="usa-form-group{" usa-form-group--error" if errors else ""}">\n'
        f'  <label class="usa-label{" usa-label--error" if errors else ""}" for="{_text(field.id_for_label)}">'
        f"{_text(field.label)}{'' if field.field.required else _OPTIONAL}</label>\n"
        f"  {_hint(field, help_text)}\n"
        f"  {_error_span(field, errors) if errors else ''}\n"
        f"  {field}\n"
        "</div>"
    )


def field_html(field: BoundField) -> SafeString:
    """What ``{% include "desks/_field.html" %}`` writes for ``field``."""
    try:
        widget = field.field.widget
        kind = getattr(widget, "input_type", "")
        errors, help_text = field.errors, field.help_text
        if help_text is None or not isinstance(help_text, str):
            raise _Unexpected
        if field.is_hidden:
            html = str(field)
        elif kind == "checkbox" and not getattr(widget, "allow_multiple_selected", False):
            html = _checkbox(field, errors, help_text)
        elif kind in ("radio", "checkbox"):
            html = _choices(field, errors, help_text, kind)
        else:
            html = _plain(field, errors, help_text)
    except _Unexpected:
        return mark_safe(get_template(FIELD_TEMPLATE).render({"field": field}))  # noqa: S308 - the template's output
    return mark_safe(html + "\n")  # noqa: S308 - every value above is escaped as the template escapes it
