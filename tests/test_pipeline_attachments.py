"""Attachments of a file's steps (#4): upload checked like every upload (JPEG/PNG/PDF by content, ≤ 10 MB), shown
under their step on the file page, downloadable by every reader of the file, deleted by its writers (audited,
confirmed in the page), and packed into the file's ZIP in one folder per step."""

import io
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dangjian.core.models import AuditLog
from dangjian.orgs.models import Role
from dangjian.pipeline.models import StepAttachment
from tests.factories import make_user
from tests.test_pipeline_helpers import World, advance

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(tree):
    return World(tree)


@pytest.fixture
def file(world):
    return advance(world, world.open(date(2024, 3, 15)), 6)


def upload(client, file, number, content=PDF, name="入党申请书.pdf"):
    step = file.steps.filter(number=number).first()
    return client.post(reverse("pipeline:step_attachment_add", args=[file.pk, step.pk]),
                       {"upload": SimpleUploadedFile(name, content)})


def test_writer_uploads_and_the_file_page_shows_it_under_its_step(client, world, file):
    client.force_login(world.writer)
    response = upload(client, file, 1)
    assert response.status_code == 302 and response["Location"].endswith("#step-1")
    attachment = StepAttachment.objects.get()
    assert attachment.step.number == 1 and attachment.original_name == "入党申请书.pdf"
    assert attachment.content_type == "application/pdf" and attachment.size == len(PDF)
    row = AuditLog.objects.filter(object_type="pipeline.stepattachment", event="create").get()
    assert row.changes["step"] == 1 and row.changes["file"] == file.pk
    html = client.get(reverse("pipeline:file", args=[file.pk])).content.decode()
    step_1 = html[html.index('id="step-1"'):html.index('id="step-2"')]
    assert reverse("pipeline:step_attachment_download", args=[attachment.pk]) in step_1
    assert "确定删除第1步的附件“入党申请书.pdf”吗？" in step_1
    assert html.count("data-attachment-form=") == file.steps.count()   # one upload form per recorded step


@pytest.mark.parametrize("content, name, message", [
    (b"MZ\x90\x00 not a pdf", "申请书.pdf", "只能上传 JPEG、PNG 图片或 PDF 文件。"),
    (b"", "空.pdf", "文件为空。"),
])
def test_bad_uploads_are_refused_and_change_nothing(client, world, file, content, name, message):
    client.force_login(world.writer)
    response = upload(client, file, 2, content=content, name=name)
    assert response.status_code == 302
    assert not StepAttachment.objects.exists()
    page = client.get(response["Location"].split("#")[0]).content.decode()
    assert message in page or "上传失败" in page


def test_too_large_upload_is_refused(client, world, file, settings):
    client.force_login(world.writer)
    response = upload(client, file, 2, content=PDF + b"\x00" * (10 * 1024 * 1024))
    assert response.status_code == 302 and not StepAttachment.objects.exists()


def test_readers_download_writers_delete_with_audit(client, world, file, tree):
    client.force_login(world.writer)
    upload(client, file, 3, content=PNG, name="考察登记.png")
    attachment = StepAttachment.objects.get()
    viewer = make_user(role=Role.VIEWER, org=tree["school_a"])
    client.force_login(viewer)
    response = client.get(reverse("pipeline:step_attachment_download", args=[attachment.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "attachment;" in response["Content-Disposition"] and response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG
    assert 'data-confirm="确定删除' not in client.get(reverse("pipeline:file", args=[file.pk])).content.decode()
    assert client.post(reverse("pipeline:step_attachment_delete", args=[attachment.pk])).status_code == 403
    outsider = make_user(role=Role.SECRETARY, org=tree["school_b"])
    client.force_login(outsider)
    assert client.get(reverse("pipeline:step_attachment_download", args=[attachment.pk])).status_code == 404
    assert client.post(reverse("pipeline:step_attachment_delete", args=[attachment.pk])).status_code == 404
    client.force_login(world.writer)
    assert client.get(reverse("pipeline:step_attachment_delete", args=[attachment.pk])).status_code == 405
    response = client.post(reverse("pipeline:step_attachment_delete", args=[attachment.pk]))
    assert response.status_code == 302 and not StepAttachment.objects.exists()
    row = AuditLog.objects.filter(object_type="pipeline.stepattachment", event="delete").get()
    assert row.object_repr == "附件：考察登记.png" and row.changes["step"] == 3


def test_upload_to_a_step_of_another_file_is_404(client, world, file):
    other = world.open(date(2024, 3, 15), person=world.candidate(name="另一人"))
    client.force_login(world.writer)
    step = other.steps.get(number=1)
    response = client.post(reverse("pipeline:step_attachment_add", args=[file.pk, step.pk]),
                           {"upload": SimpleUploadedFile("a.pdf", PDF)})
    assert response.status_code == 404 and not StepAttachment.objects.exists()


def test_zip_has_one_folder_per_step(client, world, file):
    client.force_login(world.writer)
    upload(client, file, 1, name="入党申请书.pdf")
    upload(client, file, 1, name="入党申请书.pdf")
    upload(client, file, 5, content=PNG, name="联系人.png")
    sixes = list(file.steps.filter(number=6).order_by("date"))
    for step in sixes:
        client.post(reverse("pipeline:step_attachment_add", args=[file.pk, step.pk]),
                    {"upload": SimpleUploadedFile("考察.pdf", PDF)})
    response = client.get(reverse("pipeline:file_zip", args=[file.pk]))
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    attachments = [n for n in names if n.startswith("附件/")]
    assert attachments[:3] == ["附件/01_递交入党申请书/入党申请书.pdf", "附件/01_递交入党申请书/入党申请书（2）.pdf",
                               "附件/05_指定培养联系人/联系人.png"]
    assert attachments[3:] == [f"附件/06_培养教育考察_{s.date:%Y-%m-%d}/考察.pdf" for s in sixes]
    assert zipfile.ZipFile(io.BytesIO(response.content)).read(attachments[2]) == PNG
    export = AuditLog.objects.filter(event="export").latest("id")
    assert attachments[0] in export.changes["zip"]
