"""Uploaded files: judged by their first bytes (never by name or browser-sent type), size-limited,
stored under a random name, and always served as a download that a browser cannot render inline."""

import uuid

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404

MAX_UPLOAD = 10 * 1024 * 1024
IMAGES = [(b"\xff\xd8\xff", "image/jpeg", "jpg"), (b"\x89PNG\r\n\x1a\n", "image/png", "png")]
DOCUMENTS = IMAGES + [(b"%PDF-", "application/pdf", "pdf")]


def check_upload(upload, *, field="file", images_only=False, max_size=MAX_UPLOAD):
    """(content_type, extension) judged from the file's first bytes; refuse anything else."""
    if upload is None:
        raise ValidationError({field: "请选择文件。"})
    if upload.size > max_size:
        raise ValidationError({field: f"文件不能超过 {max_size // (1024 * 1024)} MB。"})
    if upload.size == 0:
        raise ValidationError({field: "文件为空。"})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for magic, content_type, ext in (IMAGES if images_only else DOCUMENTS):
        if head.startswith(magic):
            return content_type, ext
    raise ValidationError({field: "只能上传 JPEG 或 PNG 图片。" if images_only
                           else "只能上传 JPEG、PNG 图片或 PDF 文件。"})


def stored_file(upload, ext):
    """The upload's bytes under a random name (the original name is kept apart, for display)."""
    upload.seek(0)
    return ContentFile(upload.read(), name=f"{uuid.uuid4().hex}.{ext}")


def display_name(upload, ext):
    name = (getattr(upload, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:150]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem or '附件'}.{ext}"


def download_response(file, name, content_type):
    try:
        handle = file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("文件不存在")
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
