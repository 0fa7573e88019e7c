from django.urls import path

from . import coverage_views, views

app_name = "field"
urlpatterns = [
    # The field app (a progressive web app for grid officers): pages, its manifest and its service worker.
    path("", views.today, name="today"),
    path("report/", views.report, name="report"),
    path("visit/", views.visit, name="visit"),
    path("checks/<int:pk>/", views.check, name="check"),
    path("issues/<int:pk>/", views.issue, name="issue"),
    path("patrol/", views.patrol, name="patrol"),
    path("coverage/", coverage_views.coverage, name="coverage"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="sw"),
]
