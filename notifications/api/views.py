"""The notifications API: the signed-in user's own notifications, their unread count, marking read."""
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import selectors, services
from ..models import Notification
from .serializers import MarkedSerializer, NotificationFilterSerializer, NotificationSerializer, UnreadCountSerializer


@extend_schema(tags=["notifications"])
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The asking user's notifications (the bell), newest first; nobody sees anyone else's."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = NotificationSerializer
    filter_backends: list = []
    queryset = Notification.objects.none()  # for the schema; get_queryset answers per user

    def get_queryset(self):
        if self.action == "list":
            filters = NotificationFilterSerializer(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            return selectors.notification_list_for(self.request.user, unread_only=filters.validated_data["unread"])
        return selectors.notification_list_for(self.request.user)

    @extend_schema(parameters=[NotificationFilterSerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: UnreadCountSerializer})
    @action(detail=False, url_path="unread-count")
    def unread_count(self, request):
        """How many of the user's notifications are unread (the number on the bell)."""
        return Response({"unread": selectors.unread_count(request.user)})

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark one notification read."""
        try:
            notification = services.notification_mark_read(user=request.user, notification_id=int(pk))
        except (Notification.DoesNotExist, ValueError):
            raise Http404 from None
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses={200: MarkedSerializer})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        """Mark every unread notification of the user read."""
        return Response({"marked": services.notification_mark_all_read(user=request.user)})
