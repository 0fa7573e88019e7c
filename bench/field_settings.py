"""Settings for bench/field.py: the production settings, as the image runs them, on a scratch database and
plain HTTP on 127.0.0.1, with the static files served by WhiteNoise straight from the apps (no collectstatic).

Everything is read from the environment, as production does; bench/field.py sets it. The defaults below only
make the module importable on its own.
"""
import os
import warnings

os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-" + "x" * 30)
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("SECURE_COOKIES", "0")  # plain HTTP: the session cookie must reach the server
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
# Production uses the manifest storage, which needs collectstatic; the shell's URLs stay the plain ones here.
os.environ.setdefault("STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage")
# The site's own base map: the bench needs no network.
os.environ.setdefault("MAP_PROVIDER", "local")

from jianhua.settings.production import *  # noqa: E402,F401,F403

WHITENOISE_USE_FINDERS = True
# WhiteNoise warns in every worker that STATIC_ROOT (collectstatic's output) does not exist.
warnings.filterwarnings("ignore", message="No directory at: ")
