from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "holdtrack.console"
    label = "console"
