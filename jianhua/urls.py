from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as accounts_views
from grids import views as grid_views
from ops import readiness

admin.site.site_header = _("Jianhua District grid governance")
admin.site.site_title = _("Jianhua grid governance admin")
admin.site.index_title = _("Areas, people and settings")

urlpatterns = [
    path("", grid_views.district_map, name="home"),
    path("healthz", grid_views.health, name="health"),
    # Readiness: every part the product needs, 503 naming what is down (ops.readiness). readyz/beat: has beat
    # sent the sweeps (beat's own container health check: `manage.py health_check readiness-beat --no-http`).
    path("readyz", readiness.ReadinessView.as_view(), name="readiness"),
    path("readyz/beat", readiness.ReadinessView.as_view(checks=[(readiness.BeatPart, {"moment": "sent"})]),
         name="readiness-beat"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("privacy/", accounts_views.privacy_notice, name="privacy"),
    path("", include("issues.urls")),
    path("", include("grids.urls")),
    path("", include("dispatch.urls")),
    path("notifications/", include("notifications.urls")),
    path("dashboard/", include("stats.urls")),
    path("field/", include("field.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("grids.api.urls")),
    path("api/v1/", include("accounts.api.urls")),
    path("api/v1/", include("issues.api.urls")),
    path("api/v1/", include("dispatch.api.urls")),
    path("api/v1/", include("notifications.api.urls")),
    path("api/v1/", include("stats.api.urls")),
    path("api/v1/field/", include("field.api.urls")),
    path("open311/v2/", include("open311.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI with its start-up script as a file of its own (?script): no inline script for the CSP to allow.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
