"""Backups that restore: `manage.py backup`, then `manage.py restore` into a second database, and
the two compared row for row. PostgreSQL only (the CI run with DATABASE_URL=postgres://…)."""
import io
import json
import shutil
import time

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from PIL import Image

from grids.models import User
from issues.lifecycle import Status
from issues.models import Issue, IssueEvent, IssuePhoto
from issues.photos import photo_prepare
from ops import backups
from tests.issues.conftest import advance, categories, file_issue, garbage, spot_in_officers_grid  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump, another process, reads committed rows only

postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'",
                                   reason="backups need PostgreSQL: the CI run with DATABASE_URL=postgres://…")


def jpeg(colour) -> SimpleUploadedFile:
    output = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(output, format="JPEG")
    return SimpleUploadedFile("IMG_0001.jpg", output.getvalue(), content_type="image/jpeg")


def params(name=None) -> dict:
    s = connection.settings_dict
    return {"host": s["HOST"] or "127.0.0.1", "port": s["PORT"] or 5432, "user": s["USER"],
            "password": s["PASSWORD"] or None, "dbname": name or s["NAME"]}


def url(name) -> str:
    p = params(name)
    credentials = p["user"] + (f":{p['password']}" if p["password"] else "")
    return f"postgres://{credentials}@{p['host']}:{p['port']}/{name}"


def rows(name, table) -> list:
    with psycopg.connect(**params(name)) as db:
        return db.execute(f'SELECT * FROM "{table}" ORDER BY id').fetchall()  # noqa: S608


@pytest.fixture
def second_database():
    """An empty database beside the test database, dropped after the test."""
    name = f"{connection.settings_dict['NAME']}_restored"
    with psycopg.connect(**params("postgres"), autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(**params("postgres"), autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def whistles(demo_district, settings, tmp_path, file_issue, advance):
    """Three whistles with a photo each, one walked through to closed; the photos in a MEDIA_ROOT of the test's own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    filed = [file_issue(title=f"第{n}号：楼道灯坏了", photos=[photo_prepare(jpeg((40 * n, 90, 160)))]) for n in range(3)]
    advance(filed[0], Status.CLOSED)
    return filed


@postgres_only
def test_a_backup_restores_into_a_second_database_row_for_row(whistles, second_database, settings, tmp_path, capsys):
    started = time.monotonic()
    call_command("backup", "--dir", str(tmp_path / "backups"))
    backup_seconds = time.monotonic() - started
    [path] = backups.backup_list(directory=tmp_path / "backups")
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["counts"] == {"issues": Issue.objects.count(), "issue_events": IssueEvent.objects.count(),
                                  "photos": IssuePhoto.objects.count(), "users": User.objects.count(),
                                  "media_files": 2 * IssuePhoto.objects.count()}  # each photo and its thumbnail
    assert manifest["counts"]["issues"] == 3 and manifest["counts"]["photos"] == 3
    assert manifest["database"]["name"] == connection.settings_dict["NAME"]

    started = time.monotonic()
    call_command("restore", str(path), "--database-url", url(second_database),
                 "--media-root", str(tmp_path / "restored"))
    restore_seconds = time.monotonic() - started
    output = capsys.readouterr().out
    assert "counts match" in output
    events = manifest["counts"]["issue_events"]
    assert f"{'issue_events':<14}{events:>10}{events:>10}" in output  # the comparison printed: backup, restored

    # The event log (every column), the issues and the photos, row for row; the photos byte for byte.
    for model in (IssueEvent, Issue, IssuePhoto):
        table = model._meta.db_table
        assert rows(second_database, table) == rows(None, table), table
    originals = sorted(p.relative_to(settings.MEDIA_ROOT) for p in (tmp_path / "media").rglob("*") if p.is_file())
    assert len(originals) == 6
    for relative in originals:
        assert (tmp_path / "restored" / relative).read_bytes() == (tmp_path / "media" / relative).read_bytes()

    # A second restore into the same database is refused: it is no longer empty.
    with pytest.raises(CommandError, match="not empty|不是空的"):  # the operator's language (zh-hans by default)
        call_command("restore", str(path), "--database-url", url(second_database), "--media-root",
                     str(tmp_path / "again"))
    # The figures for the record (pytest -s shows them).
    print(f"\nbackup {backup_seconds:.2f} s, restore {restore_seconds:.2f} s; "
          + ", ".join(f"{name} {entry['bytes']:,} bytes" for name, entry in manifest["files"].items()))


@postgres_only
def test_a_tampered_backup_is_refused_before_anything_is_restored(whistles, second_database, tmp_path):
    path = backups.backup_create(directory=tmp_path / "backups")
    tampered = tmp_path / "tampered"
    shutil.copytree(path, tampered)
    dump = bytearray((tampered / "database.dump").read_bytes())
    dump[len(dump) // 2] ^= 0xFF
    (tampered / "database.dump").write_bytes(bytes(dump))
    with pytest.raises(CommandError, match="database.dump (does not match its checksum|与 manifest.json 中的校验和不符)"):
        call_command("restore", str(tampered), "--database-url", url(second_database))
    with psycopg.connect(**params(second_database)) as db:
        assert db.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)


@postgres_only
def test_keep_deletes_all_but_the_newest_backups(whistles, tmp_path):
    first = backups.backup_create(directory=tmp_path / "backups")
    time.sleep(1.1)  # backups are named by the second
    call_command("backup", "--dir", str(tmp_path / "backups"), "--keep", "1")
    [kept] = backups.backup_list(directory=tmp_path / "backups")
    assert kept != first and not first.exists()


@pytest.mark.skipif("connection.vendor == 'postgresql'", reason="the embedded default's answer")
def test_on_sqlite_backup_says_it_needs_postgresql(db, tmp_path):
    with pytest.raises(CommandError, match="PostgreSQL") as refused:  # said in the operator's language
        call_command("backup", "--dir", str(tmp_path))
    assert "db.sqlite3" in str(refused.value)
    assert not list(tmp_path.iterdir())
