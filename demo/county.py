"""The demo county's tiers, people, posts and pairings (R-O1, R-O2, R-O3, R-S6), and the plan of this year's round.

The plan is drawn from the seed alone, before anything is written: the same county on every machine and
every run. `county_build` writes whatever of it is missing; `demo.dispatch` takes the round's dispatches on.
"""

from __future__ import annotations

import dataclasses
import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db.models import Model, Q
from django.utils import timezone

from demo.base import (
    COUNTY_CODE,
    COUNTY_NAME,
    DEMO_CADRE_UNIT,
    DEMO_DONE_CADRE_UNIT,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    DEMO_TOWNSHIP,
    SEED,
    demo_at,
)
from dispatch.models import Pairing
from workflows.ids import id_check_digit
from workflows.models import (
    ROLE_TIER,
    AuditEvent,
    Cadre,
    County,
    Post,
    Rank,
    Role,
    Township,
    Unit,
    User,
    Village,
    VillageIncome,
)
from workflows.selectors import target_village_filter, village_category_counts, villages_with_income
from workflows.services import post_appoint

INCOME_YEARS = (2024, 2025)
CADRE_COUNT = 300
CADRES_PER_UNIT = (10, 16)
PAIRINGS_PER_UNIT = (2, 4)
CADRE_AGES = (26, 50)

# (code, name, kind, villages, in the old revolutionary base area of the western hills)
TOWNSHIPS: list[tuple[str, str, str, int, bool]] = [
    ("410523101", "菜园镇", Township.Kind.TOWN, 20, False),
    ("410523102", "任固镇", Township.Kind.TOWN, 18, False),
    ("410523103", "五陵镇", Township.Kind.TOWN, 17, False),
    ("410523104", "宜沟镇", Township.Kind.TOWN, 19, True),
    ("410523105", "白营镇", Township.Kind.TOWN, 16, False),
    ("410523106", "古贤镇", Township.Kind.TOWN, 18, True),
    ("410523107", "韩庄镇", Township.Kind.TOWN, 15, False),
    ("410523108", "伏道镇", Township.Kind.TOWN, 14, False),
    ("410523201", "瓦岗乡", Township.Kind.TOWNSHIP, 16, True),
    ("410523202", "岳庙乡", Township.Kind.TOWNSHIP, 13, False),
    ("410523001", "精忠街道", Township.Kind.SUBDISTRICT, 8, False),
    ("410523002", "文王街道", Township.Kind.SUBDISTRICT, 6, False),
]

# (name, head's title, deputy's title)
UNITS: list[tuple[str, str, str]] = [
    ("县委办公室", "主任", "副主任"),
    ("县人民政府办公室", "主任", "副主任"),
    ("县纪委监委机关", "书记", "副书记"),
    ("县委宣传部", "部长", "副部长"),
    ("县委统战部", "部长", "副部长"),
    ("县委政法委员会", "书记", "副书记"),
    ("县发展和改革委员会", "主任", "副主任"),
    ("县教育局", "局长", "副局长"),
    ("县财政局", "局长", "副局长"),
    ("县人力资源和社会保障局", "局长", "副局长"),
    ("县自然资源局", "局长", "副局长"),
    ("县住房和城乡建设局", "局长", "副局长"),
    ("县交通运输局", "局长", "副局长"),
    ("县水利局", "局长", "副局长"),
    ("县农业农村局", "局长", "副局长"),
    ("县商务局", "局长", "副局长"),
    ("县卫生健康委员会", "主任", "副主任"),
    ("县民政局", "局长", "副局长"),
    ("县市场监督管理局", "局长", "副局长"),
    ("县审计局", "局长", "副局长"),
    ("县统计局", "局长", "副局长"),
    ("县应急管理局", "局长", "副局长"),
    ("县文化广电和旅游局", "局长", "副局长"),
    ("县退役军人事务局", "局长", "副局长"),
    ("县医疗保障局", "局长", "副局长"),
]

# Who the demo logins are; everyone else gets a generated name.
_DEMO_NAMES = {
    "zuzhibu": ("王建国", Cadre.Gender.MALE),
    "danwei1": ("张志强", Cadre.Gender.MALE),
    "danwei2": ("刘红梅", Cadre.Gender.FEMALE),
    "fenguan1": ("赵永刚", Cadre.Gender.MALE),
    "xiangzhen1": ("陈立新", Cadre.Gender.MALE),
    "ganbu1": ("李卫东", Cadre.Gender.MALE),
    "shenji": ("孙丽华", Cadre.Gender.FEMALE),
}
_COUNTY_POSTS = [("zuzhibu", Role.ORG_DEPT, "组织部副部长"), ("shenji", Role.AUDITOR, "审计员")]
_UNIT_HEADS = {"县农业农村局": "danwei1", "县教育局": "danwei2"}
_UNIT_DEPUTIES = {"县农业农村局": "fenguan1"}
_TOWNSHIP_COMMITTEES = {"410523101": "xiangzhen1"}

# Shares of villages with each recorded category, and of cadres selected first (R-O3, R-S3).
_SHARE_WEAK_LEADERSHIP = 0.08
_SHARE_ELECTION_DIFFICULT = 0.06
_SHARE_OLD_REVOLUTIONARY = 0.10
_SHARE_ETHNIC_MINORITY = 0.03
_SHARE_ECONOMICALLY_WEAK = 0.20
_EMPTY_SHELLS = 4
_SHARE_RESERVE = 0.15
_SHARE_KEY_CULTIVATION = 0.10

_SURNAMES = (
    "王王王李李李张张张刘刘刘陈陈杨杨赵赵黄周吴徐孙孙胡朱高高林何郭郭马马罗梁宋宋郑谢韩韩唐冯冯"
    "于董程曹袁邓许傅沈彭吕苏卢蒋蔡贾贾丁魏薛叶阎余潘杜戴夏田田任姜范方石姚谭邹金郝孔白崔康毛"
    "秦史顾侯邵孟段牛翟申焦岳岳常靳"
)
_MALE_GIVEN = (
    "伟 磊 勇 军 杰 涛 明 超 斌 强 鹏 辉 刚 亮 峰 浩 宇 凯 波 彬 建国 建华 建军 志强 志刚 志勇 国强 国庆 "
    "海涛 海峰 晓东 晓明 永强 永刚 振华 卫东 卫国 红军 文博 俊杰 宏伟 立新 德胜 金龙 春雷 新民 光明 "
    "长青 向阳 学军 少华 双喜 利民 保国 东升 洪涛 家豪 子轩 浩然 博文 天佑 明哲 书豪 占军 战伟"
).split()
_FEMALE_GIVEN = (
    "芳 娜 敏 静 丽 艳 霞 婷 雪 慧 玲 萍 红 燕 晶 倩 颖 琳 洁 秀英 秀兰 桂英 玉兰 丽娟 红梅 晓燕 海燕 "
    "春梅 雪梅 丽华 爱华 淑珍 文静 佳琪 梦瑶 雨欣 思雨 欣怡 晓丽 亚楠 翠萍 素芳 彩霞 凤英 美玲 瑞雪 "
    "新月 晓菲 丹丹 莉莉 一帆"
).split()

_DIRECTIONS = "东西南北前后大小"
_PLACE_SURNAMES = (
    "王李张刘陈杨赵马孙郭宋韩冯岳高周吴徐胡朱何罗梁郑谢唐许曹彭苏蒋贾魏薛董袁程田任姜石姚崔秦史侯邵孟段牛翟申焦"
)
_PLACE_SUFFIXES = "庄 营 屯 寨 店 集 楼 岗 固 桥 庙 湾 洼 坡 堤 园 窑 河 口 铺 疃".split()
_PLACE_WORDS = (
    "官庄 柳园 槐树 枣园 石桥 龙泉 杏园 高庙 白马 河头 沙窝 羑里 扁鹊 青杨 南湖 双庙 "
    "三里屯 五里岗 七里铺 八里营 十里铺 东街 西街 北关 南关 后寨 前营 杨树 桃园 李园 梨园 "
    "马鞍 凤凰 卧龙 金沙 黄岗 红庙 白塔 孤堆 方城 古城"
).split()
# Only words without a direction of their own take one: 东官庄, never 西东街.
_UNDIRECTED_PLACE_WORDS = [word for word in _PLACE_WORDS if word[0] not in _DIRECTIONS]

_ID_AREAS = ["410523"] * 14 + ["410502", "410503", "410522", "410526", "410527", "410581", "410621"]
_PHONE_PREFIXES = [f"13{d}" for d in range(10)] + [f"15{d}" for d in "01235789"] + [f"18{d}" for d in range(10)]


@dataclass(frozen=True)
class _VillagePlan:
    code: str
    name: str
    township_code: str
    is_weak_leadership: bool
    is_election_difficult: bool
    is_old_revolutionary: bool
    is_ethnic_minority: bool
    incomes: dict[int, tuple[Decimal, Decimal]]  # year -> (total income, subsidies)

    def is_target(self, threshold: int) -> bool:
        total, subsidies = self.incomes[max(self.incomes)]
        return self.is_weak_leadership or self.is_election_difficult or total - subsidies < threshold


@dataclass(frozen=True)
class _PersonPlan:
    username: str
    name: str
    gender: str


@dataclass(frozen=True)
class _CadrePlan:
    person: _PersonPlan
    unit_name: str
    id_number: str
    birth_date: datetime.date
    rank: str
    post_title: str
    phone: str
    is_party_member: bool
    is_reserve: bool = False
    is_key_cultivation: bool = False


@dataclass(frozen=True)
class _PostPlan:
    username: str
    role: Role
    tier_key: str  # county code, unit name or township code
    title: str


@dataclass
class CountyPlan:
    villages: list[_VillagePlan] = field(default_factory=list)
    people: list[_PersonPlan] = field(default_factory=list)
    cadres: list[_CadrePlan] = field(default_factory=list)
    posts: list[_PostPlan] = field(default_factory=list)
    pairings: list[tuple[str, str]] = field(default_factory=list)  # (unit name, village code)
    renamed: dict[str, str] = field(default_factory=dict)  # generated username -> demo login, for older demos


def _unit_code(index: int) -> str:
    return f"{COUNTY_CODE}-U{index + 1:02d}"


def _village_name(rng: random.Random) -> str:
    pattern = rng.random()
    surname = rng.choice(_PLACE_SURNAMES)
    suffix = rng.choice(_PLACE_SUFFIXES)
    direction = rng.choice(_DIRECTIONS)
    if pattern < 0.30:
        stem = direction + surname + suffix
    elif pattern < 0.55:
        stem = surname + suffix
    elif pattern < 0.65:
        stem = surname + "家" + suffix
    elif pattern < 0.75:
        stem = direction + surname
    elif pattern < 0.90:
        stem = rng.choice(_PLACE_WORDS)
    else:
        stem = direction + rng.choice(_UNDIRECTED_PLACE_WORDS)
    return stem + "村"


def _money(yuan: float) -> Decimal:
    return Decimal(int(round(yuan, -2)))


def _plan_villages(rng: random.Random, threshold: int) -> list[_VillagePlan]:
    slots: list[tuple[str, str, bool]] = []  # (village code, name, old base area)
    for code, _name, _kind, count, old_base in TOWNSHIPS:
        names: set[str] = set()
        for n in range(count):
            name = _village_name(rng)
            while name in names:
                name = _village_name(rng)
            names.add(name)
            slots.append((f"{code}{201 + n:03d}", name, old_base))
    total = len(slots)
    indices = range(total)

    def pick(share: float, among=indices) -> set[int]:
        return set(rng.sample(list(among), round(total * share)))

    weak_leadership = pick(_SHARE_WEAK_LEADERSHIP)
    election_difficult = pick(_SHARE_ELECTION_DIFFICULT)
    old_revolutionary = pick(_SHARE_OLD_REVOLUTIONARY, [i for i in indices if slots[i][2]])
    ethnic_minority = pick(_SHARE_ETHNIC_MINORITY)
    economically_weak = sorted(pick(_SHARE_ECONOMICALLY_WEAK))
    empty_shells = set(rng.sample(economically_weak, _EMPTY_SHELLS))

    plans = []
    latest = max(INCOME_YEARS)
    for i, (code, name, _old_base) in enumerate(slots):
        subsidies = _money(rng.uniform(20000, 90000))
        if i in empty_shells:
            own = Decimal(0)
        elif i in economically_weak:
            own = _money(threshold * rng.uniform(0.1, 0.95))
        else:
            # Most villages earn a little above the line, a few (near the county seat) a great deal.
            band = rng.random()
            top = 3 if band < 0.6 else 10 if band < 0.9 else 50
            own = _money(threshold * rng.uniform(1.05, top))
        incomes = {latest: (own + subsidies, subsidies)}
        for year in INCOME_YEARS:
            if year == latest:
                continue
            past_own = Decimal(0) if own == 0 else _money(float(own) * rng.uniform(0.8, 1.1))
            past_subsidies = _money(float(subsidies) * rng.uniform(0.85, 1.15))
            incomes[year] = (past_own + past_subsidies, past_subsidies)
        plans.append(
            _VillagePlan(
                code=code,
                name=name,
                township_code=code[:9],
                is_weak_leadership=i in weak_leadership,
                is_election_difficult=i in election_difficult,
                is_old_revolutionary=i in old_revolutionary,
                is_ethnic_minority=i in ethnic_minority,
                incomes=incomes,
            )
        )
    return plans


def _spread(rng: random.Random, total: int, parts: int, low: int, high: int) -> list[int]:
    """Split a total into parts between low and high, deterministically shuffled."""
    counts = [total // parts] * parts
    for i in range(total - sum(counts)):
        counts[i] += 1
    for _ in range(parts * 8):
        a, b = rng.randrange(parts), rng.randrange(parts)
        if a != b and counts[a] > low and counts[b] < high:
            counts[a] -= 1
            counts[b] += 1
    return counts


class _Names:
    """Chinese full names, never the same one twice in the demo county."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used = {name for name, _gender in _DEMO_NAMES.values()}

    def new(self, gender: str) -> str:
        given = _MALE_GIVEN if gender == Cadre.Gender.MALE else _FEMALE_GIVEN
        while True:
            name = self.rng.choice(_SURNAMES) + self.rng.choice(given)
            if name not in self.used:
                self.used.add(name)
                return name

    def person(self, username: str) -> _PersonPlan:
        if username in _DEMO_NAMES:
            name, gender = _DEMO_NAMES[username]
            return _PersonPlan(username, name, gender)
        gender = Cadre.Gender.MALE if self.rng.random() < 0.75 else Cadre.Gender.FEMALE
        return _PersonPlan(username, self.new(gender), gender)


def _age(birth_date: datetime.date, today: datetime.date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def _rank_and_title(rng: random.Random, age: int) -> tuple[str, str]:
    if age < 30:
        return rng.choice([(Rank.STAFF, "科员"), (Rank.LEVEL1_STAFF, "科员")])
    if age < 38:
        return rng.choice(
            [
                (Rank.LEVEL1_STAFF, "科员"),
                (Rank.LEVEL1_STAFF, "副股长"),
                (Rank.LEVEL4_PRINCIPAL, "副主任科员"),
                (Rank.LEVEL4_PRINCIPAL, "股长"),
            ]
        )
    return rng.choice(
        [
            (Rank.LEVEL4_PRINCIPAL, "股长"),
            (Rank.LEVEL4_PRINCIPAL, "副主任科员"),
            (Rank.SECTION_DEPUTY, "办公室主任"),
            (Rank.SECTION_DEPUTY, "主任科员"),
            (Rank.SECTION_DEPUTY, "股长"),
            (Rank.OTHER, "科员"),
        ]
    )


def _plan_cadres(rng: random.Random, names: _Names, today: datetime.date) -> list[_CadrePlan]:
    counts = _spread(rng, CADRE_COUNT, len(UNITS), *CADRES_PER_UNIT)
    demo_username, demo_unit = DEMO_CADRE_UNIT
    members: list[tuple[str, str]] = []  # (username, unit name)
    number = 0
    for (unit_name, _head, _deputy), count in zip(UNITS, counts, strict=True):
        for n in range(count):
            if unit_name == demo_unit and n == 0:
                members.append((demo_username, unit_name))
                continue
            number += 1
            members.append((f"c{number:04d}", unit_name))
    serials = rng.sample(range(500), len(members))
    low_days, high_days = int(CADRE_AGES[0] * 365.25) + 1, int((CADRE_AGES[1] + 1) * 365.25) - 2
    cadres = []
    for (username, unit_name), serial in zip(members, serials, strict=True):
        person = names.person(username)
        birth_date = today - datetime.timedelta(days=rng.randint(low_days, high_days))
        # The 17th digit is odd for men and even for women.
        serial_digits = f"{2 * serial + (1 if person.gender == Cadre.Gender.MALE else 0):03d}"
        body = f"{rng.choice(_ID_AREAS)}{birth_date:%Y%m%d}{serial_digits}"
        rank, post_title = _rank_and_title(rng, _age(birth_date, today))
        cadres.append(
            _CadrePlan(
                person=person,
                unit_name=unit_name,
                id_number=body + id_check_digit(body),
                birth_date=birth_date,
                rank=rank,
                post_title=post_title,
                phone=rng.choice(_PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}",
                is_party_member=rng.random() < 0.9,
            )
        )
    # Reserve and key-cultivation cadres are mostly the younger ones (R-S3); the demo cadre is a reserve.
    demo = next(i for i, c in enumerate(cadres) if c.person.username == demo_username)
    young = [i for i, c in enumerate(cadres) if _age(c.birth_date, today) <= 42 and i != demo]
    reserve = {demo, *rng.sample(young, round(CADRE_COUNT * _SHARE_RESERVE) - 1)}
    key = set(rng.sample(young, round(CADRE_COUNT * _SHARE_KEY_CULTIVATION)))
    return [dataclasses.replace(c, is_reserve=i in reserve, is_key_cultivation=i in key) for i, c in enumerate(cadres)]


def _plan_posts(names: _Names) -> tuple[list[_PersonPlan], list[_PostPlan]]:
    people = [names.person(username) for username, _role, _title in _COUNTY_POSTS]
    posts = [_PostPlan(username, role, COUNTY_CODE, title) for username, role, title in _COUNTY_POSTS]
    for index, (unit_name, head_title, deputy_title) in enumerate(UNITS):
        for role, title, overrides, suffix in (
            (Role.UNIT_HEAD, head_title, _UNIT_HEADS, "head"),
            (Role.UNIT_DEPUTY, deputy_title, _UNIT_DEPUTIES, "deputy"),
        ):
            username = overrides.get(unit_name, f"u{index + 1:02d}-{suffix}")
            people.append(names.person(username))
            posts.append(_PostPlan(username, role, unit_name, title))
    for index, (code, _name, kind, _count, _old_base) in enumerate(TOWNSHIPS):
        username = _TOWNSHIP_COMMITTEES.get(code, f"t{index + 1:02d}-sj")
        title = "党工委书记" if kind == Township.Kind.SUBDISTRICT else "党委书记"
        people.append(names.person(username))
        posts.append(_PostPlan(username, Role.TOWNSHIP_COMMITTEE, code, title))
    return people, posts


def _plan_pairings(rng: random.Random, villages: list[_VillagePlan], threshold: int) -> list[tuple[str, str]]:
    """Pair each unit with 2 to 4 villages, target villages first, each target with a unit if possible (R-S6)."""
    targets = [v.code for v in villages if v.is_target(threshold)]
    wherever_possible = [
        v.code for v in villages if not v.is_target(threshold) and (v.is_old_revolutionary or v.is_ethnic_minority)
    ]
    others = [v.code for v in villages if v.code not in set(targets) | set(wherever_possible)]
    for group in (targets, wherever_possible, others):
        rng.shuffle(group)
    low, high = PAIRINGS_PER_UNIT
    capacity = [rng.randint(low, high) for _ in UNITS]
    for i in range(len(capacity)):
        if sum(capacity) >= len(targets):
            break
        capacity[i] = high
    queue = targets + wherever_possible + others
    pairings: list[tuple[str, str]] = []
    taken = [0] * len(UNITS)
    position = 0
    while any(t < c for t, c in zip(taken, capacity, strict=True)):
        for i, (unit_name, _head, _deputy) in enumerate(UNITS):
            if taken[i] < capacity[i]:
                pairings.append((unit_name, queue[position]))
                taken[i] += 1
                position += 1
    _pair_demo_unit_in_demo_township(pairings, set(targets))
    return pairings


def _pair_demo_unit_in_demo_township(pairings: list[tuple[str, str]], targets: set[str]) -> None:
    """Swap a target village so that the demo cadre's unit is paired in the demo township, where ganbu1 serves."""
    unit = DEMO_CADRE_UNIT[1]
    if any(u == unit and code.startswith(DEMO_TOWNSHIP) for u, code in pairings):
        return
    mine = [i for i, (u, code) in enumerate(pairings) if u == unit and code in targets]
    theirs = [
        i for i, (u, code) in enumerate(pairings) if u != unit and code.startswith(DEMO_TOWNSHIP) and code in targets
    ]
    if mine and theirs:
        a, b = mine[-1], theirs[0]
        pairings[a], pairings[b] = (pairings[a][0], pairings[b][1]), (pairings[b][0], pairings[a][1])


def plan_county(today: datetime.date) -> CountyPlan:
    threshold = settings.POLICY["ECONOMICALLY_WEAK_INCOME_YUAN"]
    rng = random.Random(SEED)
    names = _Names(rng)
    plan = CountyPlan()
    plan.villages = _plan_villages(rng, threshold)
    plan.people, plan.posts = _plan_posts(names)
    plan.cadres = _plan_cadres(rng, names, today)
    plan.pairings = _plan_pairings(rng, plan.villages, threshold)
    _name_done_cadre(plan, threshold)
    plan.people += [c.person for c in plan.cadres]
    return plan


def _name_done_cadre(plan: CountyPlan, threshold: int) -> None:
    """Give the appraised-cadre login to the unit's last plain cadre that this year's round leaves free."""
    username, unit_name = DEMO_DONE_CADRE_UNIT
    round_plan = plan_round(plan, threshold)
    used = {d.username for d in round_plan.dispatches} | {round_plan.applicant}
    free = [i for i, c in enumerate(plan.cadres) if c.unit_name == unit_name and c.person.username not in used]
    plain = [i for i in free if not plan.cadres[i].is_reserve and not plan.cadres[i].is_key_cultivation]
    i = (plain or free)[-1]
    cadre = plan.cadres[i]
    plan.renamed[cadre.person.username] = username
    plan.cadres[i] = dataclasses.replace(cadre, person=dataclasses.replace(cadre.person, username=username))


def _missing(model: type[Model], key: str, wanted: list[str]) -> set[str]:
    """Return the keys in `wanted` that no row of the model has yet."""
    present = set(model.objects.filter(**{f"{key}__in": wanted}).values_list(key, flat=True))
    return set(wanted) - present


def county_build(*, plan: CountyPlan, today: datetime.date) -> tuple[County, dict[str, int]]:
    """Create whatever of the county's tiers, people, posts and this year's pairings is missing."""
    created: dict[str, int] = {}
    county, made = County.objects.get_or_create(code=COUNTY_CODE, defaults={"name": COUNTY_NAME})
    created["county"] = int(made)

    missing = _missing(Township, "code", [t[0] for t in TOWNSHIPS])
    Township.objects.bulk_create(
        [
            Township(county=county, code=code, name=name, kind=kind)
            for code, name, kind, _count, _old_base in TOWNSHIPS
            if code in missing
        ]
    )
    created["townships"] = len(missing)
    townships = {t.code: t for t in Township.objects.filter(code__in=[t[0] for t in TOWNSHIPS])}

    missing = _missing(Village, "code", [v.code for v in plan.villages])
    Village.objects.bulk_create(
        [
            Village(
                township=townships[v.township_code],
                code=v.code,
                name=v.name,
                is_weak_leadership=v.is_weak_leadership,
                is_election_difficult=v.is_election_difficult,
                is_old_revolutionary=v.is_old_revolutionary,
                is_ethnic_minority=v.is_ethnic_minority,
            )
            for v in plan.villages
            if v.code in missing
        ]
    )
    created["villages"] = len(missing)
    villages = {v.code: v for v in Village.objects.filter(code__in=[v.code for v in plan.villages])}

    present = set(VillageIncome.objects.filter(village__in=villages.values()).values_list("village_id", "year"))
    incomes = [
        VillageIncome(village=villages[v.code], year=year, total_income=total, subsidies=subsidies)
        for v in plan.villages
        for year, (total, subsidies) in sorted(v.incomes.items())
        if (villages[v.code].pk, year) not in present
    ]
    VillageIncome.objects.bulk_create(incomes)
    created["incomes"] = len(incomes)

    unit_codes = [_unit_code(i) for i in range(len(UNITS))]
    missing = _missing(Unit, "code", unit_codes)
    Unit.objects.bulk_create(
        [
            Unit(county=county, code=code, name=name)
            for code, (name, _head, _deputy) in zip(unit_codes, UNITS, strict=True)
            if code in missing
        ]
    )
    created["units"] = len(missing)
    units = {u.name: u for u in Unit.objects.filter(code__in=unit_codes)}

    # A demo built before a login was added keeps its cadre: the user is renamed, not created again.
    for old, new in plan.renamed.items():
        legacy = User.objects.filter(username=old)
        if legacy.exists() and not User.objects.filter(username=new).exists():
            legacy.update(username=new, password=make_password(DEMO_PASSWORD))
    created["users"] = _ensure_users(plan.people)
    users = {u.username: u for u in User.objects.filter(username__in=[p.username for p in plan.people])}

    have_cadre = set(Cadre.objects.filter(user__in=users.values()).values_list("user_id", flat=True))
    cadres = [
        Cadre(
            user=users[c.person.username],
            unit=units[c.unit_name],
            name=c.person.name,
            id_number=c.id_number,
            gender=c.person.gender,
            birth_date=c.birth_date,
            rank=c.rank,
            post_title=c.post_title,
            phone=c.phone,
            is_party_member=c.is_party_member,
            is_reserve=c.is_reserve,
            is_key_cultivation=c.is_key_cultivation,
        )
        for c in plan.cadres
        if users[c.person.username].pk not in have_cadre
    ]
    Cadre.objects.bulk_create(cadres)
    created["cadres"] = len(cadres)

    tiers = {COUNTY_CODE: county, **units, **townships}
    # The posts were held before the oldest term in the demo (last year's cohort) began.
    with demo_at(datetime.date(today.year - 2, 1, 4), 9):
        created["posts"] = _ensure_posts(plan.posts, users, tiers)

    present = set(Pairing.objects.filter(unit__in=units.values(), year=today.year).values_list("unit_id", "village_id"))
    pairings = [
        Pairing(unit=units[unit_name], village=villages[code], year=today.year)
        for unit_name, code in plan.pairings
        if (units[unit_name].pk, villages[code].pk) not in present
    ]
    Pairing.objects.bulk_create(pairings)
    created["pairings"] = len(pairings)
    return county, created


def _ensure_users(people: list[_PersonPlan]) -> int:
    logins = {login["username"] for login in DEMO_LOGINS}
    missing = _missing(User, "username", [p.username for p in people])
    # One hash shared by the new demo logins: hashing is deliberately slow, and the password is public.
    demo_hash = make_password(DEMO_PASSWORD) if missing & logins else None
    new_users = []
    for person in people:
        if person.username not in missing:
            continue
        user = User(username=person.username, name=person.name)
        if person.username in logins:
            user.password = demo_hash
        else:
            user.set_unusable_password()
        new_users.append(user)
    User.objects.bulk_create(new_users)
    return len(new_users)


def _ensure_posts(posts: list[_PostPlan], users: dict[str, User], tiers: dict[str, County | Unit | Township]) -> int:
    """Appoint through the service so that grants and audit events are real; skip posts already held."""
    held = set()
    for post in Post.objects.active().filter(user__in=users.values()):
        held.add((post.user_id, post.role, post.county_id or post.unit_id or post.township_id))
    # A unit keeps whoever is its head or deputy now, demo or not (R-O2).
    filled = set(
        Post.objects.active().filter(role__in=[Role.UNIT_HEAD, Role.UNIT_DEPUTY]).values_list("role", "unit_id")
    )
    count = 0
    for plan in posts:
        user, tier = users[plan.username], tiers[plan.tier_key]
        if (user.pk, plan.role, tier.pk) in held:
            continue
        if ROLE_TIER[plan.role] == "unit" and (plan.role, tier.pk) in filled:
            continue
        post_appoint(user=user, role=plan.role, tier=tier, by=None, title=plan.title)
        count += 1
    return count


# --- The plan of the current round, every state in it (R-S1 to R-S9, R-M4, R-M5a); demo.dispatch builds it ---

#: How each paired village's round went, as the steps its dispatches took, oldest first.
#: Each step is (final state of one dispatch, which cadre of the unit it takes).
_STORIES: dict[str, list[tuple[str, str]]] = {
    "stationed": [("stationed", "any")],
    "nominated": [("nominated", "any")],
    "approved": [("approved", "any")],
    "training": [("training", "any")],
    "trained": [("trained", "any")],
    "arranged": [("arranged", "any")],
    "rejected_then_stationed": [("rejected", "plain"), ("stationed", "any")],
    "withdrawn_then_stationed": [("withdrawn", "any"), ("stationed", "any")],
    "excluded": [("excluded", "plain")],
    "recalled_then_nominated": [("recalled", "reserve"), ("nominated", "any")],
    "none": [],
}
#: Stories spread over the other units' villages, one every `_SPECIAL_EVERY` villages; the rest are stationed.
_SPECIAL_STORIES = [
    "approved",
    "training",
    "rejected_then_stationed",
    "trained",
    "withdrawn_then_stationed",
    "training",
    "none",
    "recalled_then_nominated",
    "approved",
    "excluded",
    "none",
]
_SPECIAL_EVERY = 4
#: Order in which the dispatches are built: history first, waiting nominations last.
_PHASE = {
    "rejected": 0,
    "withdrawn": 0,
    "excluded": 0,
    "recalled": 0,
    "stationed": 1,
    "approved": 2,
    "training": 2,
    "trained": 2,
    "arranged": 2,
    "nominated": 3,
}


@dataclass(frozen=True)
class DispatchPlan:
    username: str
    village_code: str
    state: str  # a DispatchState value, or "excluded", "trained" or "arranged" (training with more done)
    recall_proposed: bool = False


@dataclass(frozen=True)
class RoundPlan:
    dispatches: list[DispatchPlan]
    applicant: str | None


def plan_round(plan: CountyPlan, threshold: int) -> RoundPlan:
    """Decide, from the plan alone, which cadre goes where and how far each dispatch has got this year."""
    targets = {v.code for v in plan.villages if v.is_target(threshold)}
    by_unit: dict[str, list[str]] = {}
    for unit_name, code in plan.pairings:
        by_unit.setdefault(unit_name, []).append(code)
    demo_username, demo_unit = DEMO_CADRE_UNIT
    second_unit = next(name for name in _UNIT_HEADS if name != demo_unit)

    stories: dict[tuple[str, str], str] = {}
    demo_codes = by_unit.get(demo_unit, [])
    home = next((c for c in demo_codes if c.startswith(DEMO_TOWNSHIP)), None)
    # danwei1's queue: a plain and a reserve cadre both waiting (R-S3); one earlier nomination rejected.
    for code, story in zip(
        [c for c in demo_codes if c != home],
        ["nominated_plain", "nominated_reserve", "rejected_then_stationed"],
        strict=False,
    ):
        stories[(demo_unit, code)] = story
    for code, story in zip(by_unit.get(second_unit, []), ["stationed", "nominated"], strict=False):
        stories[(second_unit, code)] = story
    in_township = [(u, c) for u, c in plan.pairings if c.startswith(DEMO_TOWNSHIP) and u != demo_unit]
    if len(in_township) >= 2:
        stories[in_township[-1]] = "arranged"  # waiting for xiangzhen1 to take the cadre in
    others = [(u, c) for u, c in plan.pairings if u not in (demo_unit, second_unit) and not c.startswith(DEMO_TOWNSHIP)]
    special = list(_SPECIAL_STORIES)
    for i, (unit_name, code) in enumerate(others):
        if i % _SPECIAL_EVERY != 1 or not special:
            continue
        fits = next((s for s in special if s != "none" or code in targets), None)
        if fits:
            special.remove(fits)
            stories[(unit_name, code)] = fits

    cadres_by_unit: dict[str, list[_CadrePlan]] = {}
    for cadre in plan.cadres:
        cadres_by_unit.setdefault(cadre.unit_name, []).append(cadre)
    dispatches: list[tuple[int, int, DispatchPlan]] = []
    recall_proposed_at = in_township[0] if in_township and stories.get(in_township[0]) is None else None
    applicant = None
    for unit_name, codes in by_unit.items():
        pool = sorted(cadres_by_unit[unit_name], key=lambda c: (not c.is_reserve, not c.is_key_cultivation))
        wanted: list[tuple[str, str, str]] = []  # (village code, state, which cadre)
        for code in codes:
            story = stories.get((unit_name, code), "stationed")
            if code == home:
                wanted.append((code, "stationed", "demo"))
            elif story.startswith("nominated_"):
                wanted.append((code, "nominated", story.removeprefix("nominated_")))
            else:
                wanted += [(code, state, who) for state, who in _STORIES[story]]
        chosen = _choose_cadres(pool, [who for _code, _state, who in wanted], demo_username)
        for (code, state, _who), cadre in zip(wanted, chosen, strict=True):
            item = DispatchPlan(
                cadre.person.username,
                code,
                state,
                recall_proposed=(unit_name, code) == recall_proposed_at and state == "stationed",
            )
            dispatches.append((_PHASE[state], len(dispatches), item))
        if unit_name == demo_unit:
            used = {c.person.username for c in chosen}
            free = [c for c in pool if c.person.username not in used]
            free.sort(key=lambda c: not c.is_key_cultivation)
            applicant = free[0].person.username if free else None
    return RoundPlan([item for _phase, _n, item in sorted(dispatches)], applicant)


def _choose_cadres(pool: list[_CadrePlan], needs: list[str], demo_username: str) -> list[_CadrePlan]:
    """Give each need a cadre of the unit: the named one first, then reserve, plain, and anyone, best first (R-S3)."""
    chosen: dict[int, _CadrePlan] = {}
    free = list(pool)
    fits = {
        "demo": lambda c: c.person.username == demo_username,
        "reserve": lambda c: c.is_reserve,
        "plain": lambda c: not c.is_reserve and not c.is_key_cultivation,
        "any": lambda c: True,
    }
    for kind in ("demo", "reserve", "plain", "any"):
        for i, need in enumerate(needs):
            if need == kind:
                cadre = next((c for c in free if fits[kind](c)), None) or (free[-1] if kind == "plain" else free[0])
                free.remove(cadre)
                chosen[i] = cadre
    return [chosen[i] for i in range(len(needs))]


def demo_county_counts(county: County, *, year: int | None = None) -> dict[str, int]:
    """Count what the county holds, villages by category (R-O3), for the command's summary."""
    year = year or timezone.localdate().year
    villages = Village.objects.filter(township__county=county)
    cadres = Cadre.objects.filter(unit__county=county)
    categories = village_category_counts(villages)
    return {
        "townships": Township.objects.filter(county=county).count(),
        "villages": categories.pop("total"),
        **{f"villages_{name}": count for name, count in categories.items()},
        "units": Unit.objects.filter(county=county).count(),
        "cadres": cadres.count(),
        "reserve": cadres.filter(is_reserve=True).count(),
        "key_cultivation": cadres.filter(is_key_cultivation=True).count(),
        "pairings": Pairing.objects.filter(unit__county=county, year=year).count(),
        "uncovered_targets": villages_with_income(villages)
        .filter(target_village_filter())
        .exclude(pairings__year=year)
        .count(),
        "posts": Post.objects.active()
        .filter(Q(county=county) | Q(unit__county=county) | Q(township__county=county))
        .count(),
        "audit_events": AuditEvent.objects.count(),
    }
