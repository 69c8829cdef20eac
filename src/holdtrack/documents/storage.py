"""Where document bytes live: the filesystem by default, an S3-compatible bucket by setting.

Settings call :func:`default_storage_config` (it imports nothing from Django's app registry):

    from holdtrack.documents.storage import default_storage_config
    STORAGES["default"] = default_storage_config(VAR_DIR)

Environment:

- ``HOLDTRACK_DOCUMENT_STORAGE``: ``filesystem`` (default) or ``s3``;
- filesystem: ``HOLDTRACK_DOCUMENT_DIR`` (default ``$HOLDTRACK_VAR_DIR/documents``);
- s3: ``HOLDTRACK_S3_BUCKET`` (required), ``HOLDTRACK_S3_ENDPOINT_URL`` (MinIO, Ceph, …),
  ``HOLDTRACK_S3_REGION``, ``HOLDTRACK_S3_PREFIX`` (default ``documents``), ``HOLDTRACK_S3_SSE``
  (e.g. ``AES256``, server-side encryption); credentials come from boto3's
  usual sources (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, an instance role, …).

Names are content-addressed (``case_type/case_id/sha256``) and never overwritten, so the bucket can use
object lock or versioning as a second guard on immutability.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any


class StorageConfigError(RuntimeError):
    pass


def default_storage_config(var_dir: Path, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ``STORAGES["default"]`` entry for the environment."""
    env = os.environ if env is None else env
    kind = env.get("HOLDTRACK_DOCUMENT_STORAGE", "filesystem").strip().lower() or "filesystem"
    if kind == "filesystem":
        location = env.get("HOLDTRACK_DOCUMENT_DIR") or str(Path(var_dir) / "documents")
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location, "file_permissions_mode": 0o640, "directory_permissions_mode": 0o750},
        }
    if kind == "s3":
        bucket = env.get("HOLDTRACK_S3_BUCKET", "").strip()
        if not bucket:
            raise StorageConfigError("HOLDTRACK_DOCUMENT_STORAGE=s3 needs HOLDTRACK_S3_BUCKET.")
        options: dict[str, Any] = {
            "bucket_name": bucket,
            "location": env.get("HOLDTRACK_S3_PREFIX", "documents"),
            # Stored documents are evidence: never replace an object, never make one public.
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
        }
        if env.get("HOLDTRACK_S3_SSE"):
            # Opt-in: some S3-compatible servers refuse SSE headers when no key service is configured.
            options["object_parameters"] = {"ServerSideEncryption": env["HOLDTRACK_S3_SSE"]}
        if env.get("HOLDTRACK_S3_ENDPOINT_URL"):
            options["endpoint_url"] = env["HOLDTRACK_S3_ENDPOINT_URL"]
        if env.get("HOLDTRACK_S3_REGION"):
            options["region_name"] = env["HOLDTRACK_S3_REGION"]
        return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
    raise StorageConfigError(f"HOLDTRACK_DOCUMENT_STORAGE must be 'filesystem' or 's3', not {kind!r}.")
