"""Formatting of report cells: counts with thousands separators, shares as percentages, hours with one
decimal, and a dash (with words for screen readers) where there is no value."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

NO_VALUE = mark_safe('<span aria-hidden="true">—</span><span class="visually-hidden">no value</span>')


def format_value(value: Any, kind: str) -> str:
    if value is None or value == "":
        return ""
    if kind == "share":
        return f"{float(value):.1%}"
    if kind == "hours":
        return f"{float(value):,.1f}"
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


@register.simple_tag
def cell(row: dict[str, Any], column: Any) -> SafeString:
    kind = str(row.get("kind") or column.kind) if column.key == "value" else column.kind
    text = format_value(row.get(column.key), kind)
    if text == "":
        return NO_VALUE
    return format_html("{}", text)


@register.simple_tag
def public_cell(value: Any, marker: str) -> SafeString:
    if value is None:
        return format_html(
            '<abbr class="suppressed" title="Suppressed: a small count, or hidden so that a total cannot reveal one">'
            '{}</abbr><span class="visually-hidden"> (suppressed)</span>',
            marker,
        )
    return format_html("{}", f"{value:,}")


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key)


@register.filter
def get_row(values: list[list[Any]], index: int) -> list[Any]:
    return values[index]
