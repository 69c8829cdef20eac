import os

from holdtrack.core.handlers import wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdtrack.config.settings")
# Django's handler, and a shorter middleware list for token API calls (holdtrack.core.handlers, ADR 0047).
application = wsgi_application()
