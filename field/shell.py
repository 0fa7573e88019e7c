"""The app shell: the pages and files the service worker (/field/sw.js) precaches so that /field/ opens
with no network, and the API reads it keeps for offline use. bench/field.py measures these same files."""
import hashlib
from functools import lru_cache

from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

# The pages an officer may open offline (each network-first, the cached copy when there is no network).
PAGES = ("field:today", "field:report", "field:visit", "field:patrol")
# The static files the pages use (paths under STATIC_URL).
STATIC_FILES = (
    "field/field.css",
    "field/outbox.js",
    "field/photos.js",
    "field/app.js",
    "field/report.js",
    "field/visit.js",
    "field/check.js",
    "field/issue.js",
    "field/patrol.js",
    "grids/coords.js",
    "leaflet/leaflet.css",
    "leaflet/leaflet.js",
    "leaflet/images/marker-icon.png",
    "leaflet/images/marker-icon-2x.png",
    "leaflet/images/marker-shadow.png",
    "field/icons/icon-192.png",
    "field/icons/icon-512.png",
    "field/icons/icon-maskable-512.png",
)
# API reads kept for offline use (network first, the last answer when there is none).
API_READS = ("/api/v1/categories/", "/api/v1/field/places/", "/api/v1/checks/")


def shell_page_urls() -> list[str]:
    return [reverse(name) for name in PAGES]


def shell_static_urls() -> list[str]:
    return [static(path) for path in STATIC_FILES]


def shell_file_paths() -> list[str]:
    """Where the shell's static files are on disk (for the bench and the version hash)."""
    return [finders.find(path) for path in STATIC_FILES]


@lru_cache(maxsize=1)
def shell_version() -> str:
    """A digest of the shell's files: a change to any of them makes a new service worker, which replaces
    the old caches. Read once per process (a deployment restarts the processes)."""
    digest = hashlib.sha256()
    for path in shell_file_paths():
        if path:
            with open(path, "rb") as file:
                digest.update(file.read())
    return digest.hexdigest()[:16]
