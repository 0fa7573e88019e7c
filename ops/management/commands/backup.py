"""manage.py backup: a PostgreSQL dump, the media and a manifest in a new directory under BACKUP_DIR."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops import backups


class Command(BaseCommand):
    help = ("Back up the database (pg_dump, custom format) and MEDIA_ROOT with a manifest (counts, SHA-256) "
            "into a new directory under BACKUP_DIR.")

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=None, help="where to write it (default: BACKUP_DIR)")
        parser.add_argument("--keep", type=int, default=None,
                            help="afterwards delete all but the newest KEEP backups in that directory")

    def handle(self, *args, dir, keep, **options):
        try:
            path = backups.backup_create(directory=dir)
            manifest = backups.manifest_read(path)
            pruned = backups.backup_prune(keep=keep, directory=dir) if keep is not None else []
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        counts = ", ".join(f"{name} {count}" for name, count in manifest["counts"].items())
        sizes = ", ".join(f"{name} {entry['bytes']:,} bytes" for name, entry in manifest["files"].items())
        self.stdout.write(f"{path}\n  {counts}\n  {sizes}\n  {manifest['seconds']:g} s")
        for old in pruned:
            self.stdout.write(f"  deleted {old.name} (--keep {keep})")
