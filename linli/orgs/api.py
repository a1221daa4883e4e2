"""REST endpoints for organizations: readable by every role in scope, written by staff via services."""

from rest_framework import serializers

from linli.accounts.models import Role
from linli.core.api import ScopedViewSet
from linli.divisions.models import Division
from linli.orgs import services
from linli.orgs.models import Organization


class OrganizationSerializer(serializers.ModelSerializer):
    division = serializers.PrimaryKeyRelatedField(queryset=Division.objects.none())
    division_name = serializers.CharField(source="division.name", read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "name", "kind", "division", "division_name", "contact_name", "contact_phone", "address"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only divisions the caller is staff of: unknown and out-of-scope ids are both a 400.
        user = getattr(self.context.get("request"), "user", None)
        self.fields["division"].queryset = Division.objects.visible_to(user, roles=Role.STAFF)

    def create(self, validated_data):
        return services.organization_create(by=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        return services.organization_update(by=self.context["request"].user, organization=instance,
                                            data=validated_data)


class OrganizationViewSet(ScopedViewSet):
    queryset = Organization.objects.all()
    serializer_class = OrganizationSerializer
    filterset_fields = ["kind", "division"]
    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    def scope_queryset(self, qs):
        return qs.select_related("division")


def register(router):
    router.register("organizations", OrganizationViewSet)
