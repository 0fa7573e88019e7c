from .views import accountability, supervision

app_name = "dispatch"
urlpatterns = [*supervision.urlpatterns, *accountability.urlpatterns]
