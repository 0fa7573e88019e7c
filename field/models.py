"""Visits door to door and patrol tracks."""
