"""A whole school as one archive: export from one installation, import into an empty one (another database and
another field-encryption key), export again — the data is identical; a wrong passphrase, a tampered file or a
second import change nothing. The installations are real: each runs the commands in a subprocess with its own
database, var directory and key (tests/test_backup.Installation)."""

import io
import subprocess
import sys

import pytest

from dangjian.core.archive import ArchiveError, read_archive
from tests.test_backup import OTHER_KEY, ROOT, sqlite_installation

PASSPHRASE = "青山区档案口令-2026"


def run(inst, *args, check=True):
    env = inst.env() | {"DANGJIAN_ARCHIVE_PASSPHRASE": PASSPHRASE}
    proc = subprocess.run([sys.executable, "-m", "django", *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def query(inst, code):
    return run(inst, "shell", "-c", code).stdout.strip().splitlines()[-1]


def contents(path):
    with open(path, "rb") as handle:
        manifest, members = read_archive(handle, PASSPHRASE)
    manifest.pop("exported_at")
    return manifest, members


@pytest.fixture(scope="module")
def moved(tmp_path_factory):
    """The demo district's 阳光中学 (seed 000) exported from A and imported into an empty B."""
    base = tmp_path_factory.mktemp("archive")
    source, target = sqlite_installation(base / "a"), sqlite_installation(base / "b", key=OTHER_KEY)
    run(source, "migrate", "-v0")
    run(source, "demo", "--force")
    school = query(source, "from dangjian.orgs.models import Organisation as O; "
                           "print(O.objects.get(code='DEMO-S02').pk)")
    first = base / "first.djarc"
    run(source, "archive", "export", "--org", school, "--out", str(first))
    run(target, "migrate", "-v0")
    imported = run(target, "archive", "import", str(first))
    new_id = query(target, "from dangjian.orgs.models import Organisation as O; print(O.get_root_nodes()[0].pk)")
    second = base / "second.djarc"
    run(target, "archive", "export", "--org", new_id, "--out", str(second))
    return {"source": source, "target": target, "first": first, "second": second, "school": school,
            "new_id": new_id, "import_output": imported.stdout}


def test_export_import_export_gives_identical_data(moved):
    first_manifest, first = contents(moved["first"])
    second_manifest, second = contents(moved["second"])
    assert first == second
    assert first_manifest["sha256"] == second_manifest["sha256"]
    # Only the counts of references to what stayed behind (logins, people of other schools) differ: none remain.
    assert {label: (spec["fields"], spec["rows"]) for label, spec in first_manifest["models"].items()} == \
        {label: (spec["fields"], spec["rows"]) for label, spec in second_manifest["models"].items()}
    assert not any(spec["dropped"] or spec["cleared"] for spec in second_manifest["models"].values())
    counts = {label: spec["rows"] for label, spec in first_manifest["models"].items()}
    for label in ("orgs.organisation", "members.person", "members.statusevent", "members.orgmembership",
                  "life.meeting", "life.attendance", "dues.duesbill", "dues.duespayment",
                  "pipeline.developmentfile"):
        assert counts[label] > 0, label
    assert "并已再导出核对一致" in moved["import_output"]


def test_the_target_holds_the_same_people_with_its_own_key(moved):
    code = ("from dangjian.members.models import Person as P; "
            "print(sorted((p.name, p.get_id_number(), p.id_number_masked) for p in P.objects.filter("
            "org__path__startswith=__import__('dangjian.orgs.models', fromlist=['x']).Organisation.objects"
            ".get(pk={pk}).path) if p.id_number_cipher))")
    assert query(moved["source"], code.format(pk=moved["school"])) == query(moved["target"],
                                                                            code.format(pk=moved["new_id"]))
    cipher = "from dangjian.members.models import Person as P; print(P.objects.exclude(id_number_cipher='')" \
             ".order_by('name').values_list('id_number_cipher', flat=True)[0][:12])"
    assert query(moved["source"], cipher) != query(moved["target"], cipher)   # encrypted again, another key


def test_a_second_import_is_refused_and_changes_nothing(moved):
    count = "from dangjian.members.models import Person as P; print(P.objects.count())"
    before = query(moved["target"], count)
    proc = run(moved["target"], "archive", "import", str(moved["first"]), check=False)
    assert proc.returncode != 0 and "未导入任何数据" in proc.stderr
    assert query(moved["target"], count) == before


def test_a_wrong_passphrase_or_a_tampered_file_is_refused(moved, tmp_path):
    with open(moved["first"], "rb") as handle, pytest.raises(ArchiveError, match="口令不正确"):
        read_archive(handle, "另一个不对的口令-123")
    data = bytearray(moved["first"].read_bytes())
    data[len(data) // 2] ^= 0x01
    with pytest.raises(ArchiveError, match="损坏"):
        read_archive(io.BytesIO(bytes(data)), PASSPHRASE)
    with pytest.raises(ArchiveError, match="不是本系统的学校档案"):
        read_archive(io.BytesIO(b"PK\x03\x04 not an archive" + bytes(40)), PASSPHRASE)
    with pytest.raises(ArchiveError, match="至少"):
        read_archive(io.BytesIO(moved["first"].read_bytes()), "short")


def test_the_export_never_overwrites_a_file(moved):
    proc = run(moved["source"], "archive", "export", "--org", moved["school"], "--out", str(moved["first"]),
               check=False)
    assert proc.returncode != 0 and "不会覆盖" in proc.stderr
