from jianhua.api import Router

from . import views

router = Router()
router.register("notifications", views.NotificationViewSet, basename="notification")

urlpatterns = router.urls
