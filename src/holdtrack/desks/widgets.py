"""The action forms' widgets rendered by Python code that writes exactly what Django's widget templates write.

A case page renders up to thirteen action forms; Django renders each widget through its template engine (the
widget's template, then ``attrs.html``, then one template per option of a select), which was most of a desk
page's rendering (issue 12). ``ActionFormRenderer`` writes the HTML of the few widget templates the forms use —
inputs, text areas and selects — byte for byte as those templates do (escaping included; a test compares
both on every action form), and hands any other template, or a value of a type the code does not expect, to
Django's renderer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData

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
