"""The baseline of bench/web.py: Django's "hello world" (one view, no middleware, no database), served by
gunicorn with the same worker settings as holdtrack, so that a share of it says what holdtrack adds."""

from __future__ import annotations

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    SECRET_KEY="bench-hello-world",  # noqa: S106
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
)


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Hello, world", content_type="text/plain")


urlpatterns = [path("", hello)]
application = get_wsgi_application()
