"""Local development and the demo: DEBUG on and a throwaway secret key unless the environment
says otherwise. Everything else, including the database and Redis, comes from base.py."""
import os

os.environ.setdefault("DEBUG", "1")
# E-mail is printed where the server runs, unless the environment names a real server.
if not os.environ.get("EMAIL_URL"):
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

# Text messages (sign-in codes, notifications) are files under var/sms/, one per message (bin/demo says so).
os.environ.setdefault("SMS_BACKEND", "file")

from .base import *  # noqa: E402,F401,F403
