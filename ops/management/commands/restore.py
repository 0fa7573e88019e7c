"""manage.py restore PATH: check a backup's checksums, load it into an empty database, compare the counts."""
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.migrations.loader import MigrationLoader

from ops import backups


class Command(BaseCommand):
    help = ("Restore a backup made by `manage.py backup` into an empty database (and its media into MEDIA_ROOT), "
            "then compare the counts with its manifest.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="the backup's directory, or its name under BACKUP_DIR")
        parser.add_argument("--database-url", default=None,
                            help="restore into this database (postgres://…) instead of DATABASE_URL's")
        parser.add_argument("--media-root", type=Path, default=None, help="unpack the media here (default MEDIA_ROOT)")
        parser.add_argument("--force", action="store_true",
                            help="replace the tables of a database that is not empty")

    def handle(self, *args, path, database_url, media_root, force, **options):
        path = Path(path)
        if not path.exists() and (settings.BACKUP_DIR / path).exists():
            path = settings.BACKUP_DIR / path
        try:
            restored = backups.backup_restore(path=path, database_url=database_url, media_root=media_root,
                                              force=force)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{'':<14}{'backup':>10}{'restored':>10}")
        for name, expected in restored.expected.items():
            found = restored.found.get(name)
            self.stdout.write(f"{name:<14}{expected:>10}{found:>10}{'' if found == expected else '  ≠'}")
        if not restored.matches:
            raise CommandError("the restored counts differ from the backup's manifest")
        self.stdout.write(self.style.SUCCESS(f"restored {path.name} in {restored.seconds:.1f} s; counts match"))
        code = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
        backed_up = {(app, name) for app, names in restored.migrations.items() for name in names}
        if code - backed_up:
            self.stdout.write(self.style.WARNING(
                f"{len(code - backed_up)} migrations of this code are newer than the backup: run `manage.py migrate` "
                "against the restored database"))
        if backed_up - code:
            self.stdout.write(self.style.WARNING(
                f"the backup has {len(backed_up - code)} migrations this code does not know: it was made by a newer "
                "version; restore it with that version"))
