"""Word documents generated from a 发展党员 file, parsed back with python-docx: the figures, names and dates
come from the record; the official layout (A4, GB/T 9704 margins, eastAsia fonts, page numbers); placeholders
split across runs; a replacement template is used and can be reverted; a bad upload changes nothing; the ZIP."""

import io
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from docx import Document
from docx.oxml.ns import qn

from dangjian.core.models import AuditLog
from dangjian.orgs.models import Role
from dangjian.pipeline import doc_defaults, paperwork
from dangjian.pipeline.docfill import all_paragraphs, fill, placeholders
from dangjian.pipeline.models import DevelopmentFile, DocumentTemplate
from tests.factories import make_user
from tests.test_pipeline_helpers import World, advance

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(tree):
    return World(tree)


@pytest.fixture
def admin():
    return make_user("sys", admin_role="system")


@pytest.fixture
def done(world):
    """A file from application (2023-01-10) to archiving; 支部大会 2024-05-10, 预备期满 2025-05-10."""
    return advance(world, world.open(date(2023, 1, 10), person=world.candidate(name="林晓")), 25)


def text_of(data):
    doc = Document(io.BytesIO(data))
    return "\n".join(p.text for p in all_paragraphs(doc)), doc


def generate(world, file, key):
    data, name = paperwork.document(actor=world.writer, file=file, key=key)
    return (*text_of(data), name)


def test_talk_record(world, done):
    text, _, name = generate(world, done, "talk")
    assert name == "林晓_谈话记录.docx"
    assert "入党申请人谈话记录" in text and "林晓" in text
    assert "2023年1月10日" in text and "2023年1月20日" in text and "介绍人甲" in text


def test_activist_review_entries_repeat_a_row_per_review(world, done):
    text, doc, _ = generate(world, done, "review")
    assert "2023年2月10日" in text            # 确定为入党积极分子
    assert "介绍人甲、介绍人乙" in text and "备字〔2023〕4号" in text
    table = doc.tables[1]
    assert [row.cells[1].text for row in table.rows[1:]] == ["2023年7月10日", "2023年12月10日"]
    assert [row.cells[0].text for row in table.rows[1:]] == ["1", "2"]


def test_candidate_publicity_with_its_working_days(world, done):
    text, _, _ = generate(world, done, "candidate_publicity")
    assert "关于林晓同志拟发展为中共预备党员的公示" in text
    assert "2024年2月10日被确定为发展对象" in text and "入党介绍人为介绍人甲、介绍人乙" in text
    # step ⑬ on 2024-04-25: 公示 2024-04-17 .. 2024-04-24 (Wed..Wed, 6 working days)
    assert "公示时间：2024年4月17日至2024年4月24日（6个工作日）" in text


def test_assembly_resolution_text_has_the_vote(world, done):
    text, _, _ = generate(world, done, "resolution")
    assert "于2024年5月10日召开支部党员大会" in text
    assert "应到会有表决权的正式党员5名，实到会5名" in text
    assert "赞成5票，反对0票，弃权0票" in text
    assert "自2024年5月10日至2025年5月10日" in text


def test_confirmation_publicity(world, done):
    text, _, _ = generate(world, done, "confirmation_publicity")
    assert "关于预备党员林晓同志拟按期转为中共正式党员的公示" in text
    assert "2024年5月10日经支部大会讨论通过" in text and "预备期至2025年5月10日期满" in text
    assert "延长" not in text


def test_cover_list_lists_every_step(world, done):
    text, doc, _ = generate(world, done, "cover")
    rows = doc.tables[0].rows[1:]
    assert len(rows) == 26                                  # 25 steps, step ⑥ twice
    assert rows[0].cells[1].text == "第1步 递交入党申请书" and rows[0].cells[2].text == "2023年1月10日"
    assert rows[-1].cells[1].text == "第25步 材料归档" and rows[-1].cells[0].text == "26"
    assert "共26项" in text and "档案状态：已完成" in text


def test_no_placeholder_is_left_and_the_layout_is_official(world, done):
    for kind in paperwork.KINDS:
        text, doc, _ = generate(world, done, kind.key)
        assert "{{" not in text, kind.key
        section = doc.sections[0]
        assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)    # A4
        assert [round(m.mm) for m in (section.top_margin, section.bottom_margin, section.left_margin,
                                      section.right_margin)] == [37, 35, 28, 26]
        title = doc.paragraphs[0].runs[0]
        assert title._r.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
        normal = doc.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia"))
        assert normal == "仿宋_GB2312"
        footer = section.footer.paragraphs[0]._p.xml
        assert "PAGE" in footer and "fldChar" in footer


def test_documents_wait_for_their_step(client, world):
    file = world.open(date(2024, 3, 15))
    assert [k.key for k in paperwork.Record(file).available()] == ["cover"]
    client.force_login(world.writer)
    response = client.get(reverse("pipeline:document", args=[file.pk, "talk"]))
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "该文书暂不能生成" in html and 'data-document="cover"' in html and 'data-document="talk"' not in html


def test_download_is_an_audited_attachment_for_writers_only(client, world, done):
    client.force_login(world.writer)
    response = client.get(reverse("pipeline:document", args=[done.pk, "resolution"]))
    assert response.status_code == 200
    assert response["Content-Type"] == paperwork.DOCX_TYPE and "attachment" in response["Content-Disposition"]
    assert AuditLog.objects.filter(event="export", object_type="pipeline.developmentfile",
                                   object_id=str(done.pk)).exists()
    viewer = make_user(role=Role.VIEWER, org=world.tree["school_a"])
    client.force_login(viewer)
    assert client.get(reverse("pipeline:document", args=[done.pk, "resolution"])).status_code == 403
    assert 'id="documents"' not in client.get(reverse("pipeline:file", args=[done.pk])).content.decode()


def test_zip_holds_every_document(client, world, done, django_assert_max_num_queries):
    client.force_login(world.writer)
    with django_assert_max_num_queries(17):   # incl. the steps' attachments
        response = client.get(reverse("pipeline:file_zip", args=[done.pk]))
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert names == ["01_林晓_谈话记录.docx", "02_林晓_入党积极分子考察登记.docx", "03_林晓_发展对象公示.docx",
                     "04_林晓_支部大会决议（入党志愿书）.docx", "05_林晓_预备党员转正公示.docx", "06_林晓_卷内目录.docx"]
    text, _ = text_of(archive.read(names[3]))
    assert "赞成5票" in text


def test_placeholders_split_across_runs_are_filled_keeping_the_first_runs_format():
    doc = Document()
    p = doc.add_paragraph()
    for piece in ("姓名：{{na", "me}}，", "{", "{today}", "} 完"):
        p.add_run(piece)
    p.runs[0].bold = True
    assert placeholders(doc) == {"name", "today"}
    fill(doc, {"name": "林晓", "today": "2026年1月1日"})
    assert p.text == "姓名：林晓，2026年1月1日 完"
    assert p.runs[0].text == "姓名：林晓" and p.runs[0].bold


def test_missing_values_leave_a_blank_line_to_write_on():
    doc = Document()
    doc.add_paragraph("联系人：{{contacts}}")
    fill(doc, {})
    assert doc.paragraphs[0].text == "联系人：________"


def custom_docx(text):
    doc = Document()
    doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def upload(client, key, data, name="模板.docx"):
    return client.post(reverse("pipeline:template_upload", args=[key]),
                       {"file": SimpleUploadedFile(name, data, content_type="application/octet-stream")})


def test_a_replaced_template_is_used_then_reverted(client, world, done, admin):
    client.force_login(admin)
    response = upload(client, "talk", custom_docx("本校谈话记录：{{name}}，谈话人{{talker}}"))
    assert response.status_code == 302
    row = DocumentTemplate.objects.get(kind="talk")
    assert row.original_name == "模板.docx"
    page = client.get(reverse("pipeline:templates")).content.decode()
    assert 'data-state="custom"' in page
    text, _, _ = generate(world, done, "talk")
    assert text.strip() == "本校谈话记录：林晓，谈话人介绍人甲"
    audit = AuditLog.objects.filter(object_type="pipeline.documenttemplate").latest("id")
    assert audit.changes["template"] == {"before": "默认模板", "after": "模板.docx"}

    response = client.post(reverse("pipeline:template_revert", args=["talk"]))
    assert response.status_code == 302 and not DocumentTemplate.objects.exists()
    text, _, _ = generate(world, done, "talk")
    assert "入党申请人谈话记录" in text
    assert AuditLog.objects.filter(object_type="pipeline.documenttemplate", event="delete").exists()


@pytest.mark.parametrize("data, message", [
    (b"%PDF-1.4 not a word file", "不是有效的 Word 文件"),
    (None, "不是有效的 Word 文件"),                        # a zip without word/document.xml
    (b"PK\x03\x04 broken zip", "不是有效的 Word 文件"),
    ("unknown", "无法识别的字段：{{salary}}、{{talk_place}}"),
    (b"PK\x03\x04" + b"0" * (2 * 1024 * 1024), "不能超过 2 MB"),
])
def test_a_bad_upload_changes_nothing(client, world, done, admin, data, message):
    if data is None:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            z.writestr("hello.txt", "hi")
        data = out.getvalue()
    elif data == "unknown":
        data = custom_docx("{{name}} {{salary}} {{talk_place}}")
    client.force_login(admin)
    upload(client, "talk", custom_docx("第一版：{{name}}"))
    before = (list(DocumentTemplate.objects.values_list("file", "original_name")), AuditLog.objects.count())
    response = upload(client, "talk", data, name="坏文件.docx")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (list(DocumentTemplate.objects.values_list("file", "original_name")), AuditLog.objects.count()) == before
    text, _, _ = generate(world, done, "talk")
    assert text.strip() == "第一版：林晓"


def test_the_shipped_defaults_are_what_the_builder_makes():
    for kind in paperwork.KINDS:
        shipped = Document(str(paperwork.DEFAULTS / f"{kind.key}.docx"))
        built = doc_defaults.BUILDERS[kind.key]()
        assert placeholders(shipped) == placeholders(built), kind.key
        assert placeholders(shipped) <= kind.allowed(), kind.key


def test_the_admin_downloads_the_template_in_use(client, admin):
    client.force_login(admin)
    response = client.get(reverse("pipeline:template_download", args=["cover"]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert "items.title" in placeholders(Document(io.BytesIO(response.content)))


def test_a_withdrawn_file_has_its_closing_in_the_cover_list(world):
    file = advance(world, world.open(date(2024, 3, 15)), 3)
    from dangjian.pipeline import services

    services.file_withdraw(actor=world.writer, file=file, kind="applicant", decided_on=date(2024, 6, 1),
                           reason="个人原因撤回申请")
    file = DevelopmentFile.objects.get(pk=file.pk)
    text, doc, _ = generate(world, file, "cover")
    assert doc.tables[0].rows[-1].cells[1].text == "申请人撤回：个人原因撤回申请"
    assert "档案状态：已终止" in text
