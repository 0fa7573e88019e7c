"""Production: base.py as it is. DEBUG is off unless set, and SECRET_KEY must be given."""
from .base import *  # noqa: F401,F403
