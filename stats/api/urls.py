from django.urls import path

from . import views

urlpatterns = [
    path("stats/summary/", views.SummaryView.as_view(), name="stats-summary"),
    path("stats/trend/", views.TrendView.as_view(), name="stats-trend"),
    path("stats/breakdown/", views.BreakdownView.as_view(), name="stats-breakdown"),
    path("stats/map/", views.MapView.as_view(), name="stats-map"),
    path("stats/ranking/", views.RankingView.as_view(), name="stats-ranking"),
]
