"""Desk tools pages: search, deadline calendar and its iCalendar feed, notifications, auditor search.

Thin views: the selectors and services live in ``holdtrack.desks.tools``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from holdtrack.accounts.models import Role
from holdtrack.core.timeutil import local, now
from holdtrack.desks.presenters import ROLE_LABELS
from holdtrack.desks.tools import audit_search, ical, notifications, screening_models, search
from holdtrack.desks.tools import calendar as cal


def _forbidden(request: HttpRequest, title: str, message: str) -> HttpResponse:
    return render(request, "desks/tools/forbidden.html", {"title": title, "message": message}, status=403)


# ------------------------------------------------------------------------------------------------ search


@require_safe
@login_required
def search_view(request: HttpRequest) -> HttpResponse:
    if not search.may_search(request.user):
        return _forbidden(
            request,
            "Search",
            "Search shows names and identifiers of subjects. Your role sees aggregate figures only.",
        )
    q = request.GET.get("q", "")
    result = search.search_for_user(request.user, q, request.GET.get("page", 1))
    return render(
        request,
        "desks/tools/search.html",
        {"result": result, "q": result.query, "page_query": urlencode({"q": result.query})},
    )


# ---------------------------------------------------------------------------------------------- calendar


@require_safe
@login_required
def calendar_view(request: HttpRequest) -> HttpResponse:
    at = now()
    first = cal.parse_month(request.GET.get("month"), at.date())
    view = "agenda" if request.GET.get("view") == "agenda" else "month"
    month = cal.month_for_user(request.user, first, at=at)
    token = cal.feed_token_active(request.user)
    feed_url = request.build_absolute_uri(reverse("tools:calendar_feed", args=[token.token])) if token else ""
    return render(
        request,
        "desks/tools/calendar.html",
        {
            "month": month,
            "view": view,
            "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
            "feed_url": feed_url,
            "hold_hours": notifications.hold_notice_hours(),
        },
    )


@require_POST
@login_required
def calendar_feed_manage(request: HttpRequest) -> HttpResponse:
    if request.POST.get("action") == "revoke":
        cal.feed_token_revoke(actor=request.user)
    else:
        cal.feed_token_rotate(actor=request.user)
    return HttpResponseRedirect(reverse("tools:calendar") + "#feed")


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """No session: the secret token is the credential. Unknown and revoked tokens are both a 404."""
    user = cal.feed_user(token)
    if user is None:
        raise Http404("No such calendar feed.")
    at = now()
    deadlines = cal.deadlines_for_user(user, start=at - timedelta(days=30), end=at + timedelta(days=400), at=at)
    body = ical.build_calendar(deadlines, base_url=str(getattr(settings, "HOLDTRACK_BASE_URL", "")), at=at)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="holdtrack-deadlines.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


# ----------------------------------------------------------------------------------------- notifications


@require_safe
@login_required
def notifications_view(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "unread")
    qs = notifications.notifications_for_user(request.user)
    if show == "unread":
        qs = qs.filter(read_at__isnull=True)
    elif show == "read":
        qs = qs.filter(read_at__isnull=False)
    else:
        show = "all"
    page = Paginator(qs, 25).get_page(request.GET.get("page", 1))
    unread = notifications.notifications_for_user(request.user).filter(read_at__isnull=True).count()
    return render(
        request,
        "desks/tools/notifications.html",
        {
            "page": page,
            "show": show,
            "unread": unread,
            "page_query": urlencode({"show": show}),
            "hold_hours": notifications.hold_notice_hours(),
        },
    )


@require_POST
@login_required
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notifications.notification_mark_read(actor=request.user, pk=pk)
    return HttpResponseRedirect(reverse("tools:notifications"))


@require_POST
@login_required
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    notifications.notification_mark_read(actor=request.user)
    return HttpResponseRedirect(reverse("tools:notifications"))


# ------------------------------------------------------------------------------------------ audit search


def _audit_rows(events: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": e.id,
            "at": local(e.at, "UTC"),
            "actor": e.actor.username if e.actor else "—",
            "role": ROLE_LABELS.get(e.actor_role, e.actor_role or "—"),
            "organization": e.actor.organization.name if e.actor and e.actor.organization else "—",
            "action": e.action,
            "entity": f"{e.entity_type} {e.entity_id}",
            "hash": e.link[:12] or "pending",
        }
        for e in events
    ]


@require_safe
@login_required
def audit_view(request: HttpRequest) -> HttpResponse:
    if not audit_search.may_read_audit(request.user):
        return _forbidden(request, "Audit trail", "Only auditors and administrators may search the audit trail.")
    f, errors = audit_search.parse_filter(request.GET)
    page = Paginator(audit_search.audit_search_for_user(request.user, f), audit_search.PAGE_SIZE).get_page(
        request.GET.get("page", 1)
    )
    query = f.as_query()
    return render(
        request,
        "desks/tools/audit.html",
        {
            "f": f,
            "errors": errors,
            "page": page,
            "rows": _audit_rows(page.object_list),
            "roles": Role.choices,
            "organizations": audit_search.organizations_for_filter(request.user),
            "page_query": urlencode(query),
            "export_url": reverse("tools:audit_export") + ("?" + urlencode(query) if query else ""),
        },
    )


@require_safe
@login_required
def audit_export(request: HttpRequest) -> HttpResponseBase:
    if not audit_search.may_read_audit(request.user):
        return _forbidden(request, "Audit trail", "Only auditors and administrators may export the audit trail.")
    f, _errors = audit_search.parse_filter(request.GET)
    qs = audit_search.audit_search_for_user(request.user, f)
    audit_search.audit_export_record(actor=request.user, f=f, count=qs.count())
    stamp = datetime.strftime(now(), "%Y%m%dT%H%M%SZ")
    response = StreamingHttpResponse(audit_search.csv_rows(qs), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="holdtrack-audit-{stamp}.csv"'
    return response


# -------------------------------------------------------------------------------------- screening models

_MODELS_REFUSED = "The screening model page is for agency supervisors, auditors and administrators."


@require_safe
@login_required
def screening_models_view(request: HttpRequest) -> HttpResponse:
    if not screening_models.may_view_models(request.user):
        return _forbidden(request, "Screening models", _MODELS_REFUSED)
    rows = [{"m": m, "shadow": screening_models.latest_recall(m)} for m in screening_models.model_versions()]
    return render(request, "desks/tools/screening_models.html", {"rows": rows})


@require_safe
@login_required
def screening_model_view(request: HttpRequest, pk: int) -> HttpResponse:
    if not screening_models.may_view_models(request.user):
        return _forbidden(request, "Screening model", _MODELS_REFUSED)
    model = get_object_or_404(screening_models.ScreeningModel, pk=pk)
    return render(
        request,
        "desks/tools/screening_model.html",
        {
            "model": model,
            "prior": screening_models.prior(model),
            "comparisons": screening_models.comparisons(model),
            "evaluations": screening_models.evaluations(model),
            "bar_width": screening_models.BAR_WIDTH,
            "bar_half": screening_models.BAR_WIDTH // 2,
            "bar_cap": screening_models.BAR_CAP,
        },
    )
