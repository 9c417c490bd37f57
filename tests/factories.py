"""factory_boy factories for the tiers, people and posts, and for dispatches, leave and appraisals."""

import datetime
import random

import factory
from factory.django import DjangoModelFactory

from appraisal import services as appraisal_services
from appraisal.models import Appraisal, AppraisalRound
from dispatch import services as dispatch_services
from dispatch.models import Dispatch, Pairing
from leave.models import LeaveRequest
from leave.services import leave as leaves
from workflows.ids import id_check_digit
from workflows.models import Cadre, County, Post, Role, Township, Unit, User, Village, VillageIncome
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

    # Outside every real county code (41xxxx here): a sequence reaching a code the fixtures use would get_or_create
    # the fixture's county instead of a new one.
    code = factory.Sequence(lambda n: f"99{n:04d}")
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


def holder(role: str, tier: County | Unit | Township) -> User:
    """The person holding `role` in `tier`, appointed now if the post is empty."""
    tier_name = {County: "county", Unit: "unit", Township: "township"}[type(tier)]
    post = Post.objects.active().filter(role=role, **{tier_name: tier}).select_related("user").first()
    if post is not None:
        return post.user
    user = UserFactory(username=f"{role}_{tier_name}_{tier.pk}", name=f"{tier.name}{Role(role).label}")
    return appoint(user, role, tier).user


#: The stages a DispatchFactory can take a dispatch to, in order; each trait names one.
DISPATCH_STAGES = ("nominated", "approved", "training", "stationed")


def advance(dispatch: Dispatch, *, to: str, on: datetime.date) -> Dispatch:
    """Take a nominated dispatch through the services to stage `to` (one of DISPATCH_STAGES), stationing it `on`."""
    unit, township, county = dispatch.unit, dispatch.village.township, dispatch.unit.county
    head = holder(Role.UNIT_HEAD, unit)
    reached = DISPATCH_STAGES.index(to)
    if reached >= 1:
        dispatch = dispatch_services.dispatch_approve(dispatch=dispatch, by=head)
    if reached >= 2:
        org = holder(Role.ORG_DEPT, county)
        batch = dispatch_services.training_batch_create(
            county=county,
            year=on.year,
            name=f"{on.year}年岗前培训班",
            starts_on=on - datetime.timedelta(days=4),
            ends_on=on - datetime.timedelta(days=2),
            content="农村政策",
            by=org,
        )
        [dispatch] = dispatch_services.dispatch_enrol(dispatches=[dispatch], batch=batch, by=org)
    if reached >= 3:
        [dispatch] = dispatch_services.dispatch_complete_training(
            dispatches=[dispatch], completed_on=batch.ends_on, by=org
        )
        dispatch_services.dispatch_record_arrangements(
            dispatch=dispatch,
            by=head,
            insurer="中国人寿汤阴支公司",
            insurance_policy_no=f"PA-{dispatch.pk}",
            insurance_starts_on=on - datetime.timedelta(days=4),
            insurance_ends_on=on + datetime.timedelta(days=400),
            party_relation_transferred_on=on - datetime.timedelta(days=1),
            living_allowance_yuan=600,
        )
        dispatch = dispatch_services.dispatch_station(
            dispatch=dispatch, by=holder(Role.TOWNSHIP_COMMITTEE, township), on=on
        )
    return Dispatch.objects.get(pk=dispatch.pk)


class DispatchFactory(DjangoModelFactory):
    """A dispatch taken through the services to its stage: the flow, audit rows and dates are the real ones.

    `DispatchFactory()` is nominated; `DispatchFactory(approved=True)`, `training=True` (enrolled, not yet
    finished, in a batch of its own ending two days before `on`) and `stationed=True` (trained, arranged and
    stationed `on`) go further. The pairing and any missing post holders (unit head, org dept, township committee)
    are created on the way.
    """

    class Meta:
        model = Dispatch

    class Params:
        approved = factory.Trait(stage="approved")
        training = factory.Trait(stage="training")
        stationed = factory.Trait(stage="stationed")

    cadre = factory.SubFactory(CadreFactory)
    village = factory.SubFactory(VillageFactory, township__county=factory.SelfAttribute("...cadre.unit.county"))
    #: The day the cadre is stationed (and, before it, trained and insured); the dispatch's year is its year.
    on = datetime.date(2026, 3, 5)
    year = factory.SelfAttribute("on.year")
    stage = "nominated"
    note = ""

    @classmethod
    def _create(cls, model_class, *, cadre, village, on, year, stage, note):
        unit = cadre.unit
        Pairing.objects.get_or_create(unit=unit, village=village, year=year)
        dispatch = dispatch_services.dispatch_nominate(
            cadre=cadre, village=village, by=holder(Role.UNIT_HEAD, unit), year=year, note=note
        )
        return advance(dispatch, to=stage, on=on)


class LeaveRequestFactory(DjangoModelFactory):
    """Leave asked for by a stationed cadre through the service; `approved=True` has the township approve it."""

    class Meta:
        model = LeaveRequest

    class Params:
        approved = factory.Trait(decision="approve")

    dispatch = factory.SubFactory(DispatchFactory, stationed=True)
    #: A Tuesday and a Wednesday a month after the factories' stationing day: two working days.
    starts_on = datetime.date(2026, 4, 7)
    ends_on = datetime.date(2026, 4, 8)
    reason = "事假"
    decision = ""

    @classmethod
    def _create(cls, model_class, *, dispatch, starts_on, ends_on, reason, decision):
        leave = leaves.leave_request(
            dispatch=dispatch, starts_on=starts_on, ends_on=ends_on, reason=reason, by=dispatch.cadre.user
        )
        if decision:
            town = holder(Role.TOWNSHIP_COMMITTEE, dispatch.village.township)
            leave = leaves.leave_decide(leave=leave, by=town, approve=True, comment="同意")
        return model_class.objects.get(pk=leave.pk)


class AppraisalRoundFactory(DjangoModelFactory):
    """A round opened by the org dept through the service, over the dispatches whose term ends in its window.

    The window must hold at least one stationed dispatch of the county (the service refuses an empty round).
    """

    class Meta:
        model = AppraisalRound

    county = factory.SubFactory(CountyFactory)
    title = factory.Sequence(lambda n: f"2026年度驻村干部考评{n}")
    year = 2026
    term_ends_from = datetime.date(2026, 1, 1)
    term_ends_to = datetime.date(2026, 12, 31)

    @classmethod
    def _create(cls, model_class, *, county, title, year, term_ends_from, term_ends_to):
        return appraisal_services.round_open(
            county=county,
            title=title,
            year=year,
            term_ends_from=term_ends_from,
            term_ends_to=term_ends_to,
            by=holder(Role.ORG_DEPT, county),
        )


class AppraisalFactory(DjangoModelFactory):
    """The appraisal of a cadre stationed a year before the round, opened by a round over the term's last day."""

    class Meta:
        model = Appraisal

    dispatch = factory.SubFactory(DispatchFactory, stationed=True, on=datetime.date(2025, 3, 5))

    @classmethod
    def _create(cls, model_class, *, dispatch):
        ends = dispatch.term_ends_on
        round_ = AppraisalRoundFactory(
            county=dispatch.unit.county, year=ends.year, term_ends_from=ends, term_ends_to=ends
        )
        return model_class.objects.get(round=round_, dispatch=dispatch)
