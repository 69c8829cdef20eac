import pytest
from django.core.management import CommandError, call_command


@pytest.mark.smoke
@pytest.mark.django_db
def test_demo_refuses_a_production_configuration(settings):
    settings.HOLDTRACK_PRODUCTION = True
    with pytest.raises(CommandError, match="never built in production"):
        call_command("demo", no_serve=True)
