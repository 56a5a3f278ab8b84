"""Photos of a service activity over the API: the activity page's service (services.photo_add / photo_remove) with
the same checks (JPEG/PNG judged by content, ≤10 MB, at most 20 per activity), scope and audit rows."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.core.models import AuditLog
from dangjian.orgs.models import Role
from dangjian.service import services
from dangjian.service.models import ActivityPhoto
from tests.factories import make_user
from tests.test_api_permissions import call, token_for

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(tree):
    writer = make_user(role=Role.SECRETARY, org=tree["school_a"])
    activity = services.activity_create(actor=writer, org=tree["branch_a2"], kind="volunteer", title="社区义诊",
                                        date=date(2025, 5, 20))
    return {"writer": writer, "token": token_for(writer), "activity": activity}


def audit_rows(event=None, **filters):
    rows = AuditLog.objects.filter(object_type="service.activityphoto", **filters)
    return rows.filter(event=event) if event else rows


def upload(client, token, activity, content=PNG, name="义诊现场.png"):
    files = {"file": SimpleUploadedFile(name, content)} if content is not None else {}
    return call(client, "post", f"/service/activities/{activity.pk}/photos", token, files=files)


def test_photo_upload_list_download_delete(client, tree, world):
    activity = world["activity"]
    response = upload(client, world["token"], activity, JPEG, "义诊现场.jpeg")
    assert response.status_code == 201, response.content
    photo = response.json()
    assert photo["name"] == "义诊现场.jpg" and photo["content_type"] == "image/jpeg" and photo["size"] == len(JPEG)
    assert photo["activity_id"] == activity.pk and photo["uploaded_by"] == world["writer"].username
    stored = ActivityPhoto.objects.get()
    assert audit_rows("create", object_id=str(stored.pk)).exists()
    listed = call(client, "get", f"/service/activities/{activity.pk}/photos", world["token"]).json()
    assert listed["count"] == 1 and listed["items"] == [photo]
    assert call(client, "get", f"/service/activities/{activity.pk}", world["token"]).json()["photos"] == 1
    viewer = token_for(make_user(role=Role.VIEWER, org=tree["school_a"]))
    download = call(client, "get", photo["download"], viewer)
    assert download.status_code == 200 and b"".join(download.streaming_content) == JPEG
    # A reader may not add or delete (403); another school sees nothing (404).
    assert upload(client, viewer, activity).status_code == 403
    assert call(client, "delete", f"/service/photos/{stored.pk}", viewer).status_code == 403
    outsider = token_for(make_user(role=Role.SECRETARY, org=tree["school_b"]))
    assert call(client, "get", photo["download"], outsider).status_code == 404
    assert call(client, "get", f"/service/activities/{activity.pk}/photos", outsider).status_code == 404
    assert upload(client, outsider, activity).status_code == 404
    assert call(client, "delete", f"/service/photos/{stored.pk}", outsider).status_code == 404
    assert ActivityPhoto.objects.count() == 1
    deleted = call(client, "delete", f"/service/photos/{stored.pk}", world["token"])
    assert deleted.status_code == 200 and deleted.json() == {"id": stored.pk, "deleted": True}
    assert not ActivityPhoto.objects.exists()
    assert audit_rows("delete", object_id=str(stored.pk)).exists()
    assert call(client, "get", photo["download"], world["token"]).status_code == 404


@pytest.mark.parametrize("content, message", [
    (b"%PDF-1.4 not a photo", "只能上传 JPEG 或 PNG 图片。"),
    (b"", "文件为空。"),
    (None, "此项为必填项。"),
])
def test_a_bad_photo_is_422_on_file_and_nothing_is_stored(client, world, content, message):
    response = upload(client, world["token"], world["activity"], content)
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == {"file": [message]}
    assert not ActivityPhoto.objects.exists()
    assert not audit_rows().exists()


def test_the_twenty_first_photo_is_refused(client, world):
    for _ in range(services.PHOTOS_MAX):
        services.photo_add(actor=world["writer"], activity=world["activity"],
                           upload=SimpleUploadedFile("a.png", PNG))
    response = upload(client, world["token"], world["activity"])
    assert response.status_code == 422
    assert response.json()["errors"] == {"file": [f"每个活动最多上传 {services.PHOTOS_MAX} 张照片。"]}
    assert ActivityPhoto.objects.count() == services.PHOTOS_MAX


# --- 帮教对子 -------------------------------------------------------------------------------------------------------


def test_pairs_create_edit_delete_through_the_pages_service(client, tree):
    from dangjian.core.audit import Event
    from dangjian.service.models import MentorPair
    from tests.factories import make_person

    teacher = make_person(tree["branch_a2"])
    outsider_teacher = make_person(tree["school_b"])
    writer = token_for(make_user(role=Role.SECRETARY, org=tree["school_a"]))
    viewer = token_for(make_user(role=Role.VIEWER, org=tree["school_a"]))
    outsider = token_for(make_user(role=Role.SECRETARY, org=tree["school_b"]))
    body = {"org": tree["branch_a2"].pk, "member": teacher.pk, "student_alias": "L.M.", "school_year": "2025-2026",
            "category": "struggling", "note": "提高数学成绩"}
    assert call(client, "post", "/service/pairs", viewer, body=body).status_code == 403
    bad_year = call(client, "post", "/service/pairs", writer, body={**body, "school_year": "2025-2027"})
    assert bad_year.status_code == 422 and "school_year" in bad_year.json()["errors"]
    foreign = call(client, "post", "/service/pairs", writer, body={**body, "member": outsider_teacher.pk})
    assert foreign.status_code == 422 and "member" in foreign.json()["errors"]
    assert not MentorPair.objects.exists()
    created = call(client, "post", "/service/pairs", writer, body=body)
    assert created.status_code == 201, created.content
    pair_id = created.json()["id"]
    assert created.json()["member"]["id"] == teacher.pk and created.json()["visits"] == 0
    assert call(client, "post", "/service/pairs", writer, body=body).status_code == 409
    assert call(client, "get", f"/service/pairs/{pair_id}", outsider).status_code == 404
    assert call(client, "patch", f"/service/pairs/{pair_id}", viewer, body={"note": "改"}).status_code == 403
    changed = call(client, "patch", f"/service/pairs/{pair_id}", writer, body={"note": "提高语文成绩"})
    assert changed.status_code == 200 and changed.json()["note"] == "提高语文成绩"
    bad = call(client, "patch", f"/service/pairs/{pair_id}", writer, body={"student_alias": "110101199003041234"[:10]})
    assert bad.status_code == 422 and MentorPair.objects.get().student_alias == "L.M."
    assert call(client, "delete", f"/service/pairs/{pair_id}", outsider).status_code == 404
    assert call(client, "delete", f"/service/pairs/{pair_id}", writer).status_code == 200
    assert not MentorPair.objects.exists()
    assert AuditLog.objects.filter(event=Event.DELETE, object_type="service.mentorpair",
                                   object_id=str(pair_id)).exists()


# --- 困难职工档案 (restricted, every read audited) --------------------------------------------------------------------


def test_hardship_files_restricted_audited_and_validated(client, tree):
    from dangjian.core.audit import Event
    from dangjian.service.models import HardshipFile

    secretary = make_user(role=Role.SECRETARY, org=tree["school_a"])
    writer, viewer = token_for(secretary), token_for(make_user(role=Role.VIEWER, org=tree["school_a"]))
    outsider = token_for(make_user(role=Role.SECRETARY, org=tree["school_b"]))
    body = {"org": tree["branch_a2"].pk, "name": "职工乙", "opened_on": "2025-03-01", "difficulty": "因病致困"}
    bad = call(client, "post", "/service/hardship", writer, body={**body, "closed_on": "2025-02-01"})
    assert bad.status_code == 422 and "closed_on" in bad.json()["errors"]
    assert call(client, "post", "/service/hardship", viewer, body=body).status_code == 403
    assert not HardshipFile.objects.exists()
    created = call(client, "post", "/service/hardship", writer, body=body)
    assert created.status_code == 201, created.content
    file_id = created.json()["id"]
    reads = AuditLog.objects.filter(event=Event.READ, object_type="service.hardshipfile", user=secretary)
    listed = call(client, "get", "/service/hardship", writer)
    assert [f["id"] for f in listed.json()["items"]] == [file_id]
    assert reads.get().changes == {"ids": [file_id]}
    assert call(client, "get", f"/service/hardship/{file_id}", writer).status_code == 200
    assert reads.count() == 2
    # viewers (below the district) and other schools never see the files
    assert call(client, "get", "/service/hardship", viewer).status_code == 403
    assert call(client, "get", f"/service/hardship/{file_id}", viewer).status_code == 404
    assert call(client, "patch", f"/service/hardship/{file_id}", outsider, body={"assistance": "x"}).status_code == 404
    changed = call(client, "patch", f"/service/hardship/{file_id}", writer, body={"assistance": "春节慰问500元"})
    assert changed.status_code == 200 and HardshipFile.objects.get().assistance == "春节慰问500元"
    assert call(client, "delete", f"/service/hardship/{file_id}", writer).status_code == 200
    assert not HardshipFile.objects.exists()
