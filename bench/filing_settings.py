"""Settings for bench/filing.py: the production settings, as the image runs them, on a scratch
PostgreSQL database, plus the bare comparison view (bench/filing_urls.py).

Everything is read from the environment, as production does; bench/filing.py sets it. The defaults
below only make the module importable on its own (e.g. `manage.py shell` against the bench DB).
"""
import os
import warnings

os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-" + "x" * 30)
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jianhua_bench_filing")
os.environ.setdefault("SECURE_COOKIES", "0")
# Production uses the manifest storage, which needs collectstatic; API calls never touch static files.
os.environ.setdefault("STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage")

from jianhua.settings.production import *  # noqa: E402,F401,F403

ROOT_URLCONF = "bench.filing_urls"
# One resident files every request of the bench, thousands an hour: the hourly limit on a resident's
# whistles (abuse control) is off here. In production it costs a resident's filing one more query.
ISSUE_FILINGS_PER_HOUR = 0
# WhiteNoise warns in every worker that STATIC_ROOT (collectstatic's output) does not exist.
warnings.filterwarnings("ignore", message="No directory at: ")
