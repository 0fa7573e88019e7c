"""Pages of the whistle, mounted at the site root (see jianhua/urls.py)."""
from django.urls import path

from . import problem_list_views, views

app_name = "issues"
urlpatterns = [
    # Residents
    path("whistle/new/", views.whistle_new, name="whistle-new"),
    path("whistle/nearby/", views.whistle_nearby, name="whistle-nearby"),
    path("whistle/mine/", views.whistle_mine, name="whistle-mine"),
    path("whistle/filed/<str:number>/", views.whistle_filed, name="whistle-filed"),
    # Staff
    path("work/", views.work_queue, name="work-queue"),
    path("work/file/", views.work_file, name="work-file"),
    # The problem lists (问题清单) of each tier
    path("lists/", problem_list_views.problem_lists, name="problem-lists"),
    path("lists/<slug:tier>/<str:code>/", problem_list_views.problem_list_page, name="problem-list"),
    # One issue: the page, its actions, its photos
    path("issues/<str:number>/", views.issue_detail, name="issue"),
    path("issues/<str:number>/photos/<int:photo_id>/", views.issue_photo, {"size": "full"}, name="issue-photo"),
    path("issues/<str:number>/photos/<int:photo_id>/thumb/", views.issue_photo, {"size": "thumb"},
         name="issue-photo-thumb"),
    path("issues/<str:number>/<slug:action>/", views.issue_act, name="issue-act"),
]
