"""GeoReport v2 calls, each in .json and .xml (mounted at /open311/v2/ in jianhua/urls.py)."""
from django.urls import re_path

from . import views

FORMAT = r"\.(?P<response_format>json|xml)$"

urlpatterns = [
    re_path(rf"^discovery{FORMAT}", views.DiscoveryView.as_view(), name="open311-discovery"),
    re_path(rf"^services{FORMAT}", views.ServiceListView.as_view(), name="open311-services"),
    re_path(rf"^services/(?P<service_code>[^/]+?){FORMAT}", views.ServiceDefinitionView.as_view(),
            name="open311-service"),
    re_path(rf"^requests{FORMAT}", views.RequestListView.as_view(), name="open311-requests"),
    re_path(rf"^requests/(?P<service_request_id>[^/]+?){FORMAT}", views.RequestDetailView.as_view(),
            name="open311-request"),
    re_path(rf"^tokens/(?P<token>[^/]+?){FORMAT}", views.TokenView.as_view(), name="open311-token"),
    re_path(r"^", views.UnknownCallView.as_view()),  # keep last: every other address, in the spec's error form
]
