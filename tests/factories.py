"""factory_boy factories for the tiers, people and posts."""

import datetime
import random

import factory
from factory.django import DjangoModelFactory

from workflows.ids import id_check_digit
from workflows.models import Cadre, County, Township, Unit, User, Village, VillageIncome
from workflows.services import post_appoint


def valid_id_number(seq: int) -> str:
    """An 18-digit resident ID number with a correct GB 11643 check digit."""
    body = f"410523{1970 + seq % 30:04d}{1 + seq % 12:02d}{1 + seq % 28:02d}{seq % 1000:03d}"
    return body + id_check_digit(body)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password("pass-for-tests-1")


class CountyFactory(DjangoModelFactory):
    class Meta:
        model = County
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"4105{n:02d}")
    name = factory.Sequence(lambda n: f"测试{n}县")


class UnitFactory(DjangoModelFactory):
    class Meta:
        model = Unit

    county = factory.SubFactory(CountyFactory)
    code = factory.Sequence(lambda n: f"U{n:03d}")
    name = factory.Sequence(lambda n: f"县测试局{n}")


class TownshipFactory(DjangoModelFactory):
    class Meta:
        model = Township

    county = factory.SubFactory(CountyFactory)
    code = factory.Sequence(lambda n: f"T{n:03d}")
    name = factory.Sequence(lambda n: f"测试镇{n}")


class VillageFactory(DjangoModelFactory):
    class Meta:
        model = Village

    township = factory.SubFactory(TownshipFactory)
    code = factory.Sequence(lambda n: f"V{n:04d}")
    name = factory.Sequence(lambda n: f"测试村{n}")


class VillageIncomeFactory(DjangoModelFactory):
    class Meta:
        model = VillageIncome

    village = factory.SubFactory(VillageFactory)
    year = 2025
    total_income = 80000
    subsidies = 20000


class CadreFactory(DjangoModelFactory):
    class Meta:
        model = Cadre

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    name = factory.SelfAttribute("user.name")
    id_number = factory.Sequence(valid_id_number)
    gender = Cadre.Gender.MALE
    birth_date = factory.LazyFunction(lambda: datetime.date(1988, 5, random.randint(1, 28)))


def appoint(user, role, tier, by=None, title=""):
    """Appoint through the service, so that grants and audit rows are real."""
    return post_appoint(user=user, role=role, tier=tier, by=by, title=title)
