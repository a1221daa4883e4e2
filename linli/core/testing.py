"""Factories and fixtures shared by every app's tests (factory-boy, Faker zh_CN)."""

import datetime as dt
import itertools

import factory
from django.test import Client
from factory.django import DjangoModelFactory

from linli.accounts.models import Role, User
from linli.core import idcard
from linli.core.scoping import forget_grants
from linli.divisions.models import Division
from linli.orgs.models import Organization
from linli.people.models import Household, Person
from linli.places.models import OpeningHours, Room, Site

_seq = itertools.count(1)


class DivisionFactory(DjangoModelFactory):
    class Meta:
        model = Division

    name = factory.Sequence(lambda n: f"社区{n}")
    code = factory.Sequence(lambda n: f"9{n:011d}")
    level = Division.Level.COMMUNITY


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Faker("name", locale="zh_CN")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class SiteFactory(DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"邻里中心{n}")
    address = factory.Faker("street_address", locale="zh_CN")
    lat = 25.79
    lng = 114.54
    floor_area_m2 = 400
    is_neighborhood_center = True


class RoomFactory(DjangoModelFactory):
    class Meta:
        model = Room

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"活动室{n}")
    function = Room.Function.BOOK_BAR
    capacity = 30


class HouseholdFactory(DjangoModelFactory):
    class Meta:
        model = Household

    address = factory.Faker("street_address", locale="zh_CN")


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    name = factory.Faker("name", locale="zh_CN")
    phone = factory.Sequence(lambda n: f"138{n:08d}")

    @factory.post_generation
    def with_id(obj, create, extracted, **kwargs):
        if extracted is not False:
            obj.set_id_number(idcard.make("360724", dt.date(1960, 1, 1) + dt.timedelta(days=next(_seq)), next(_seq)))
            if create:
                obj.save()


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"共建单位{n}")
    kind = Organization.Kind.CO_BUILDING_UNIT


def open_all_week(site, opens=dt.time(8, 0), closes=dt.time(21, 0)):
    OpeningHours.objects.bulk_create(
        [OpeningHours(site=site, weekday=d, opens=opens, closes=closes) for d in range(7)]
    )


def grant(user, kind, division):
    Role.objects.create(user=user, kind=kind, division=division)
    forget_grants(user)
    return user


def verify_second_factor(client, user):
    """Mark the client's session as having passed two-factor sign-in (with a confirmed authenticator
    made for the user if they have none), as the second-factor page does after a right code."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or \
        TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


_django_force_login = Client.force_login


def _force_login_verified(self, user, backend=None):
    """Tests sign users in with `client.force_login(user)`: it stands for the whole sign-in, second
    factor included, for users who need one. `force_login_password_only` is the first step alone."""
    _django_force_login(self, user, backend)
    from linli.accounts.twofactor import two_factor_required

    if two_factor_required(user):
        verify_second_factor(self, user)


def force_login_password_only(client, user):
    _django_force_login(client, user)


Client.force_login = _force_login_verified
