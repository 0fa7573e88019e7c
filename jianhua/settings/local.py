"""Local development and the demo: DEBUG on and a throwaway secret key unless the environment
says otherwise. Everything else, including the database and Redis, comes from base.py."""
import os

os.environ.setdefault("DEBUG", "1")

from .base import *  # noqa: E402,F401,F403
