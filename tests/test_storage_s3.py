"""Uploads on S3-compatible storage (MinIO) when S3_BUCKET is set; the local file system otherwise."""

import json

from tests.test_dbrouter import _settings_in_subprocess


def test_s3_settings_and_storage_without_network():
    result = _settings_in_subprocess(S3_BUCKET="dangjian-media", S3_ENDPOINT_URL="http://127.0.0.1:9000",
                                     S3_ACCESS_KEY_ID="minio", S3_SECRET_ACCESS_KEY="minio-secret")
    assert result.returncode == 0, result.stderr
    default = json.loads(result.stdout)["storages"]["default"]
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    options = default["OPTIONS"]
    assert options["bucket_name"] == "dangjian-media"
    assert options["default_acl"] is None and options["querystring_auth"] is True  # private, signed URLs only
    assert options["file_overwrite"] is False

    from storages.backends.s3 import S3Storage

    storage = S3Storage(**options)
    url = storage.url("ab12.pdf")  # signing needs no network
    assert url.startswith("http://127.0.0.1:9000/dangjian-media/media/ab12.pdf?")
    assert "X-Amz-Signature=" in url


def test_local_storage_by_default(settings):
    assert settings.STORAGES["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
