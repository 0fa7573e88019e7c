from django.urls import path

from . import views

urlpatterns = [
    path("places/", views.PlacesView.as_view(), name="field-places"),
    path("visits/", views.VisitsView.as_view(), name="field-visits"),
    path("visits/plan/", views.VisitPlanView.as_view(), name="field-visit-plan"),
    path("suggestions/", views.SuggestionsView.as_view(), name="field-suggestions"),
    path("patrols/points/", views.PatrolPointsView.as_view(), name="field-patrol-points"),
    path("coverage/", views.CoverageView.as_view(), name="field-coverage"),
]
