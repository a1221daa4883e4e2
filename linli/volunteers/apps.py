from django.apps import AppConfig
from django.db.models.signals import pre_delete
from django.utils.translation import gettext_lazy as _


def _refuse_delete(sender, instance, **kwargs):
    """Confirmed service records and ledger lines are never deleted; a reversing record undoes them."""
    from django.db.models import ProtectedError

    from linli.volunteers.models import PointsEntry, ServiceRecord

    if isinstance(instance, PointsEntry) or (
            isinstance(instance, ServiceRecord) and instance.status == ServiceRecord.Status.CONFIRMED):
        raise ProtectedError(str(_("Confirmed service records and points entries are never deleted; "
                                   "reverse them instead.")), {instance})


class VolunteersConfig(AppConfig):
    name = "linli.volunteers"
    label = "volunteers"
    verbose_name = _("Volunteer service")

    def ready(self):
        from linli.core.home import register_block
        from linli.volunteers.home import hours, my_work

        register_block(order=20, template="volunteers/_home_block.html", context=hours)
        register_block(order=15, template="volunteers/_home_work.html", context=my_work)
        from linli.core.stats import register_section
        from linli.demo.generator import register_extension
        from linli.volunteers import demo, selectors
        from linli.volunteers.models import PointsEntry, ServiceRecord

        register_section("volunteers", selectors.figures)
        pre_delete.connect(_refuse_delete, sender=ServiceRecord, dispatch_uid="volunteers_keep_records")
        pre_delete.connect(_refuse_delete, sender=PointsEntry, dispatch_uid="volunteers_keep_points")
        register_extension(demo.extend)
