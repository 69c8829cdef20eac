import pytest


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    # Documents written during a test go to a throw-away folder.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "docs")},
        },
    }


@pytest.fixture
def world(db):
    from tests.factories import make_world

    return make_world()
