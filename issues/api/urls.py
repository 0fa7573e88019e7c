from django.urls import path

from jianhua.api import Router

from . import problem_list, views

router = Router()
router.register("issues", views.IssueViewSet, basename="issue")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("checks", views.CheckViewSet, basename="check")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("issues/<int:issue_id>/photos/<int:photo_id>/", views.IssuePhotoView.as_view(), name="issue-photo"),
    *router.urls,
    *problem_list.urlpatterns,
]
