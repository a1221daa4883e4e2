"""REST API for the inbox: a user's own notifications (anyone else's is a 404), mark one or all read."""

from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from linli.notifications import selectors, services
from linli.notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "key", "subject", "body", "link", "language", "safety", "created_at", "read_at", "read"]
        read_only_fields = fields

    def get_read(self, obj) -> bool:
        return obj.read_at is not None


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()

    def get_queryset(self):
        return selectors.inbox(user=self.request.user, unread_only=self.request.query_params.get("unread") == "1")

    def get_object(self):
        try:
            return selectors.notification_for(user=self.request.user, pk=int(self.kwargs["pk"]))
        except (Notification.DoesNotExist, ValueError):
            raise Http404 from None

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        return Response(self.get_serializer(services.notification_read(notification=self.get_object(),
                                                                        by=request.user)).data)

    @extend_schema(request=None, responses=inline_serializer("ReadAll", {"marked": serializers.IntegerField(),
                                                                        "unread": serializers.IntegerField()}))
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        marked = services.notifications_read_all(by=request.user)
        return Response({"marked": marked, "unread": selectors.unread_count(user=request.user)})

    @extend_schema(responses=inline_serializer("Unread", {"unread": serializers.IntegerField()}))
    @action(detail=False, methods=["get"])
    def unread(self, request):
        return Response({"unread": selectors.unread_count(user=request.user)})


def register(router):
    router.register("notifications", NotificationViewSet, basename="notification")
