"""A site that moves to another community takes its activities' registrations with it: their
denormalised `division` (the scope of a community's registrations list) follows the site."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from linli.places.models import Site


@receiver(post_save, sender=Site, dispatch_uid="activities.registrations_follow_their_site")
def registrations_follow_their_site(sender, instance: Site, created: bool, raw: bool = False, **kwargs):
    if created or raw:
        return
    from linli.activities.models import Registration

    (Registration.objects.filter(occurrence__activity__site=instance).exclude(division_id=instance.division_id)
     .update(division_id=instance.division_id))
