"""Read-only REST endpoint for the divisions in the caller's scope."""

from rest_framework import serializers

from linli.core.api import ScopedViewSet
from linli.divisions.models import Division


class DivisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Division
        fields = ["id", "name", "code", "level", "parent", "path"]


class DivisionViewSet(ScopedViewSet):
    """Divisions under the caller's grants; filter by level, parent or code."""

    queryset = Division.objects.all()
    serializer_class = DivisionSerializer
    filterset_fields = ["level", "parent", "code"]
    http_method_names = ["get", "head", "options"]


def register(router):
    router.register("divisions", DivisionViewSet)
