"""Test settings: the base settings with fast hashing and no network for map tiles.

DATABASE_URL and REDIS_URL still come from the environment, so the same suite runs on the
embedded default (SQLite, eager Celery) and on PostgreSQL + Redis in CI.
"""
import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
# E-mail stays in memory (a worker started by a test may say EMAIL_BACKEND=…filebased… instead).
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

from .base import *  # noqa: E402,F401,F403
from .base import LEAFLET_CONFIG  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The manifest storage needs collectstatic; tests serve static files as they are.
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
MAP_TILE_URL = ""
LEAFLET_CONFIG = {**LEAFLET_CONFIG, "TILES": [], "OVERLAYS": []}  # every provider: no tiles in tests
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# The test client and live_server speak plain HTTP; a test that wants HTTPS asks with secure=True.
# The rest of production's security headers, the Content-Security-Policy among them, stay on.
SECURE_SSL_REDIRECT = False
# Serve static files straight from the apps and static/, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tests change rules with QuerySet.update() too and use them at once: check their revision every time.
DISPATCH_RULES_CHECK_SECONDS = 0
# The suite's fixtures file dozens of whistles as one resident within a second; the limit's own tests set it.
ISSUE_FILINGS_PER_HOUR = 0
# Text messages are files: in a folder of this run (a process the suite starts writes there too), and
# in a folder of its own per test (tests/conftest.py points SMS_FILE_PATH at the test's tmp_path).
SMS_BACKEND = "file"
SMS_FILE_PATH = os.environ.setdefault("SMS_FILE_PATH", tempfile.mkdtemp(prefix="jianhua-test-sms-"))
