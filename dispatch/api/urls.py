from . import accountability, supervision

app_name = "dispatch-api"
urlpatterns = [*supervision.urlpatterns, *accountability.urlpatterns]
