"""Template filters for generated documents."""

from __future__ import annotations

import re

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_UNSAFE = re.compile(r'[\\"\n\r\f<>]')


@register.filter
def css_string(value: object) -> SafeString:
    """Quote text as a CSS string for ``content:`` in a ``<style>`` element (no way out of the string or
    the element: backslash, quote, newlines and angle brackets become CSS escapes)."""
    escaped = _UNSAFE.sub(lambda m: f"\\{ord(m.group()):x} ", str(value))
    return mark_safe(f'"{escaped}"')  # noqa: S308 - every character that could end the string is escaped
