"""Backups that restore: a PostgreSQL dump, the media files and a manifest, in one directory per backup.

    BACKUP_DIR/jianhua-20261204T021500Z/
        database.dump   pg_dump --format=custom, taken in the same snapshot as the manifest's counts
        media.tar.gz    MEDIA_ROOT (the whistles' photos)
        manifest.json   when, which database, the counts, each file's size and SHA-256, the migrations

``backup_create`` writes one (into a ``.partial`` directory renamed when complete, so a half-written
backup never looks like one); ``backup_restore`` checks the checksums, refuses a database that is not
empty unless forced, restores the dump and the media and compares the counts with the manifest.
PostgreSQL only: the SQLite demo file is copied as it is.
"""
import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import environ
import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import User
from issues.models import Issue, IssueEvent, IssuePhoto

FORMAT = 1
DUMP, MEDIA, MANIFEST = "database.dump", "media.tar.gz", "manifest.json"
PREFIX = "jianhua-"
# What the manifest counts and a restore compares: name → the model whose table is counted.
COUNTED = {"issues": Issue, "issue_events": IssueEvent, "photos": IssuePhoto, "users": User}


class BackupError(Exception):
    """A backup or restore that cannot go on; str(error) says why, for the operator."""


@dataclasses.dataclass(frozen=True)
class Restored:
    path: Path
    expected: dict    # the manifest's counts (and media files)
    found: dict       # the same, counted in the restored database and media folder
    migrations: dict  # the manifest's applied migrations, per app
    seconds: float

    @property
    def matches(self) -> bool:
        return self.expected == self.found


def _database_params(url: str | None = None) -> dict:
    """host, port, user, password, dbname of DATABASES["default"], or of a postgres:// URL."""
    config = environ.Env.db_url_config(url) if url else settings.DATABASES["default"]
    if "postgresql" not in config["ENGINE"]:
        raise BackupError(_("Backups need PostgreSQL (DATABASE_URL=postgres://…); this database is %(engine)s. "
                            "On the embedded default copy the SQLite file (db.sqlite3) and the media folder.")
                          % {"engine": config["ENGINE"].rsplit(".", 1)[-1]})
    return {"host": config.get("HOST") or "127.0.0.1", "port": str(config.get("PORT") or 5432),
            "user": config.get("USER") or "", "password": config.get("PASSWORD") or "", "dbname": config["NAME"]}


def _pg_env(params: dict) -> dict:
    # libpq's own variables: the password never appears on a command line (ps would show it).
    return {**os.environ, "PGHOST": params["host"], "PGPORT": params["port"], "PGUSER": params["user"],
            "PGPASSWORD": params["password"], "PGDATABASE": params["dbname"]}


def _run(command: list[str], params: dict) -> None:
    try:
        result = subprocess.run(command, env=_pg_env(params), capture_output=True, text=True)
    except FileNotFoundError as error:
        raise BackupError(_("%(tool)s is missing: install the PostgreSQL client (Debian: postgresql-client)")
                          % {"tool": command[0]}) from error
    if result.returncode != 0:
        raise BackupError(f"{command[0]}: {result.stderr.strip()}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_entry(path: Path) -> dict:
    return {"bytes": path.stat().st_size, "sha256": _sha256(path)}


def _media_count(root: Path) -> int:
    return sum(1 for path in Path(root).rglob("*") if path.is_file()) if Path(root).exists() else 0


def _migrations() -> dict:
    """The applied migrations, per app (what `migrate` must bring a restored database up from)."""
    applied = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def _counts(cursor) -> dict:
    counts = {}
    for name, model in COUNTED.items():
        cursor.execute(f'SELECT count(*) FROM "{model._meta.db_table}"')  # noqa: S608 (our own table names)
        counts[name] = cursor.fetchone()[0]
    return counts


def backup_create(*, directory: Path | None = None) -> Path:
    """Write a backup of the database and MEDIA_ROOT into a new directory under ``directory``
    (BACKUP_DIR by default) and return its path. The manifest's counts are those of the dump: both
    are read in one snapshot, so filings during the backup are in neither or in both."""
    params = _database_params()
    if connection.in_atomic_block:
        raise BackupError("backup_create needs its own transaction (call it outside transaction.atomic)")
    started = time.monotonic()
    directory = Path(directory or settings.BACKUP_DIR)
    created = timezone.now()
    final = directory / f"{PREFIX}{created:%Y%m%dT%H%M%SZ}"
    if final.exists():
        raise BackupError(_("%(path)s exists already; wait a second and try again") % {"path": final})
    partial = final.with_name(final.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()
            counts = _counts(cursor)
            migrations = _migrations()
            # pg_dump reads the snapshot this transaction exported, while the transaction stays open.
            _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={partial / DUMP}"], params)
        media_root = Path(settings.MEDIA_ROOT)
        with tarfile.open(partial / MEDIA, "w:gz") as archive:
            if media_root.exists():
                for path in sorted(media_root.rglob("*")):
                    archive.add(path, arcname=str(path.relative_to(media_root)), recursive=False)
        manifest = {
            "format": FORMAT,
            "created_at": created.isoformat(),
            "database": {"name": params["dbname"], "server_version": server_version},
            "counts": {**counts, "media_files": _media_count(media_root)},
            "files": {DUMP: _file_entry(partial / DUMP), MEDIA: _file_entry(partial / MEDIA)},
            "migrations": migrations,
            "seconds": round(time.monotonic() - started, 2),
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def backup_list(*, directory: Path | None = None) -> list[Path]:
    """The complete backups under ``directory`` (BACKUP_DIR by default), oldest first."""
    directory = Path(directory or settings.BACKUP_DIR)
    if not directory.exists():
        return []
    return sorted(path for path in directory.iterdir()
                  if path.is_dir() and path.name.startswith(PREFIX) and (path / MANIFEST).is_file())


def backup_prune(*, keep: int, directory: Path | None = None) -> list[Path]:
    """Delete all but the newest ``keep`` backups; returns what was deleted."""
    if keep < 1:
        raise BackupError(_("keep at least one backup"))
    old = backup_list(directory=directory)[:-keep]
    for path in old:
        shutil.rmtree(path)
    return old


def manifest_read(path: Path) -> dict:
    try:
        manifest = json.loads((Path(path) / MANIFEST).read_text())
    except FileNotFoundError as error:
        raise BackupError(_("%(path)s is not a backup: it has no manifest.json") % {"path": path}) from error
    except ValueError as error:
        raise BackupError(_("%(path)s/manifest.json is not valid JSON") % {"path": path}) from error
    if manifest.get("format") != FORMAT:
        raise BackupError(_("%(path)s has an unknown backup format") % {"path": path})
    return manifest


def backup_verify(path: Path) -> dict:
    """The manifest, once every file matches its size and SHA-256; BackupError naming the first that does not."""
    manifest = manifest_read(path)
    for name in (DUMP, MEDIA):
        expected = manifest["files"].get(name)
        file = Path(path) / name
        if expected is None or not file.is_file():
            raise BackupError(_("%(file)s is missing from the backup") % {"file": name})
        if _file_entry(file) != expected:
            raise BackupError(_("%(file)s does not match its checksum in manifest.json: the backup is damaged or "
                                "was changed; restore another one") % {"file": name})
    return manifest


def _connect(params: dict):
    try:
        return psycopg.connect(host=params["host"], port=params["port"], user=params["user"],
                               password=params["password"] or None, dbname=params["dbname"], autocommit=True)
    except psycopg.OperationalError as error:
        raise BackupError(_("cannot connect to the target database %(name)s: %(error)s")
                          % {"name": params["dbname"], "error": str(error).strip()}) from error


def backup_restore(*, path: Path, database_url: str | None = None, media_root: Path | None = None,
                   force: bool = False) -> Restored:
    """Restore the backup at ``path`` into the default database (or the one ``database_url`` names)
    and its media into MEDIA_ROOT (or ``media_root``), then count again. Refuses a backup whose files
    do not match the manifest, and a database that already has tables unless ``force`` (then the
    backup's tables replace them). The dump is restored in one transaction: all of it or nothing."""
    started = time.monotonic()
    path = Path(path)
    manifest = backup_verify(path)
    params = _database_params(database_url)
    with _connect(params) as target:
        tables = target.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
    if tables and not force:
        raise BackupError(_("the database %(name)s is not empty (%(tables)d tables): restore into an empty database, "
                            "or pass --force to replace its tables with the backup's")
                          % {"name": params["dbname"], "tables": tables})
    command = ["pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
               f"--dbname={params['dbname']}"]
    if tables:
        command += ["--clean", "--if-exists"]
    _run([*command, str(path / DUMP)], params)

    media_root = Path(media_root or settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path / MEDIA, "r:gz") as archive:
        archive.extractall(media_root, filter="data")  # refuses absolute paths, .. and devices
        files = [member for member in archive.getmembers() if member.isfile()]
    # The backup's files, found again with their sizes (other files already in media_root are not counted).
    media_found = sum(1 for member in files if (media_root / member.name).is_file()
                      and (media_root / member.name).stat().st_size == member.size)

    with _connect(params) as target, target.cursor() as cursor:
        found = {**_counts(cursor), "media_files": media_found}
    return Restored(path=path, expected=manifest["counts"], found=found, migrations=manifest["migrations"],
                    seconds=time.monotonic() - started)
