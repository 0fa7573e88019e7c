"""The dashboard's pages, mounted at /dashboard/ (jianhua/urls.py); the figures' API is stats.api."""
from django.urls import path

from . import views

app_name = "stats"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("evaluation/", views.evaluation, name="evaluation"),
]
