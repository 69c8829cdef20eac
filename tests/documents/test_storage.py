"""Storage selection: filesystem by default, S3-compatible by setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from holdtrack.documents.storage import StorageConfigError, default_storage_config


@pytest.mark.smoke
def test_filesystem_by_default(tmp_path):
    config = default_storage_config(tmp_path, env={})
    assert config["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert config["OPTIONS"]["location"] == str(Path(tmp_path) / "documents")
    custom = default_storage_config(tmp_path, env={"HOLDTRACK_DOCUMENT_DIR": "/srv/docs"})
    assert custom["OPTIONS"]["location"] == "/srv/docs"


def test_s3_compatible_by_setting(tmp_path):
    env = {
        "HOLDTRACK_DOCUMENT_STORAGE": "s3",
        "HOLDTRACK_S3_BUCKET": "holdtrack-docs",
        "HOLDTRACK_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        "HOLDTRACK_S3_REGION": "us-east-1",
        "HOLDTRACK_S3_SSE": "AES256",
    }
    config = default_storage_config(tmp_path, env=env)
    assert config["BACKEND"] == "storages.backends.s3.S3Storage"
    options = config["OPTIONS"]
    assert options["bucket_name"] == "holdtrack-docs" and options["endpoint_url"] == "http://127.0.0.1:9000"
    assert options["file_overwrite"] is False and options["default_acl"] is None
    assert options["object_parameters"] == {"ServerSideEncryption": "AES256"}
    # The backend class exists and accepts the options (no network until a file is written).
    from storages.backends.s3 import S3Storage

    storage = S3Storage(**options)
    assert storage.bucket_name == "holdtrack-docs"


def test_bad_storage_settings_are_named(tmp_path):
    with pytest.raises(StorageConfigError, match="HOLDTRACK_S3_BUCKET"):
        default_storage_config(tmp_path, env={"HOLDTRACK_DOCUMENT_STORAGE": "s3"})
    with pytest.raises(StorageConfigError, match="'filesystem' or 's3', not 'ftp'"):
        default_storage_config(tmp_path, env={"HOLDTRACK_DOCUMENT_STORAGE": "ftp"})
