"""Pages of the whistle (filled in by the pages work)."""
from django.urls import path

app_name = "issues"
urlpatterns: list = []
