"""Deterministic synthetic Chinese resident identities for the OCR emulator.

Every identity is a pure function of ``(seed, as_of)``: all random draws come
from ``random.Random(seed)`` and Faker is re-seeded with the same seed before
it supplies the name and street parts, so a replayed request yields the same
card (§7 field formats, §9 number structure and validity rules).
"""

from __future__ import annotations

import functools
import random
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

from faker import Faker
from stdnum.cn import ric

from mock_server.dates import add_years, age_on
from mock_server.regions import Region, current_regions

__all__ = [
    "NATIONS",
    "Identity",
    "IdentityGenerator",
    "check_digit",
    "validity_years",
]

# GB/T 3304 order (§9) with rough 2020-census populations in
# thousands, used as draw weights: 汉 comes out at about 91 %.
_NATION_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("汉", 1286311), ("蒙古", 6290), ("回", 11377), ("藏", 7060), ("维吾尔", 11774),
    ("苗", 11067), ("彝", 9830), ("壮", 19568), ("布依", 3577), ("朝鲜", 1702),
    ("满", 10423), ("侗", 3496), ("瑶", 3309), ("白", 2092), ("土家", 9588),
    ("哈尼", 1733), ("哈萨克", 1562), ("傣", 1329), ("黎", 1602), ("傈僳", 762),
    ("佤", 430), ("畲", 746), ("高山", 4), ("拉祜", 500), ("水", 496),
    ("东乡", 775), ("纳西", 324), ("景颇", 160), ("柯尔克孜", 204), ("土", 282),
    ("达斡尔", 132), ("仫佬", 278), ("羌", 313), ("布朗", 127), ("撒拉", 165),
    ("毛南", 124), ("仡佬", 677), ("锡伯", 191), ("阿昌", 43), ("普米", 45),
    ("塔吉克", 51), ("怒", 37), ("乌孜别克", 13), ("俄罗斯", 16), ("鄂温克", 35),
    ("德昂", 22), ("保安", 24), ("裕固", 15), ("京", 33), ("塔塔尔", 4),
    ("独龙", 7), ("鄂伦春", 9), ("赫哲", 5), ("门巴", 11), ("珞巴", 5),
    ("基诺", 26),
)  # fmt: skip

NATIONS: tuple[str, ...] = tuple(name for name, _ in _NATION_WEIGHTS)

_AGES = range(1, 91)

# Relative weight per year of age: cohort size times a guess at how likely
# someone that age is to be presenting an ID card (children rarely do).
_AGE_BANDS: tuple[tuple[int, int, float], ...] = (
    (1, 5, 1.5),
    (6, 15, 4.8),
    (16, 25, 15.0),
    (26, 35, 20.0),
    (36, 45, 19.0),
    (46, 55, 22.0),
    (56, 65, 18.0),
    (66, 75, 12.0),
    (76, 85, 5.0),
    (86, 90, 1.5),
)

# Second-generation cards were first issued in 2004 and first-generation ones
# stopped being valid in 2013, so a card held today was issued in 2004 or later.
_SECOND_GENERATION = date(2004, 1, 1)

# 居民身份证法 art. 5 (§9): age band at issue → term in years.
_TERM_BANDS: tuple[tuple[int, int | None, int | None], ...] = (
    (0, 16, 5),
    (16, 26, 10),
    (26, 46, 20),
    (46, None, None),
)

_ESTATE_WORDS = (
    "阳光", "幸福", "和平", "锦绣", "翠苑", "金色", "华庭", "新村", "景园", "名都",
    "丽景", "绿洲", "怡和", "春晖", "康乐", "东方", "世纪", "滨江", "文华", "御景",
)  # fmt: skip
_TOWN_SUFFIXES = ("家", "集", "庄", "店", "桥", "营", "铺", "坊", "寺", "河")
_VILLAGE_SUFFIXES = ("家", "庄", "湾", "坪", "岗", "寨", "沟", "屯", "洼", "楼")
_MAX_ADDRESS_LEN = 60
# Faker's zh_CN first_names_male lists 红霞, a typically female given name.
_FEMININE_IN_MALE_LIST = frozenset({"红霞"})


def validity_years(age_at_issue: int) -> int | None:
    """Term of a card issued at ``age_at_issue`` (居民身份证法 art. 5); None means 长期."""
    if age_at_issue < 16:
        return 5
    if age_at_issue <= 25:
        return 10
    if age_at_issue <= 45:
        return 20
    return None


def check_digit(first17: str) -> str:
    """GB 11643 check character for the first 17 digits (§9)."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("expected 17 digits")
    # stdnum's calc_check_digit takes a full 18-character number and ignores
    # its last character.
    return ric.calc_check_digit(first17 + "0")


def _birthday(birth: date, age: int) -> date:
    """First day on which ``_age_on`` reaches ``age`` (Mar 1 for Feb 29 births in common years)."""
    try:
        return birth.replace(year=birth.year + age)
    except ValueError:
        return date(birth.year + age, 3, 1)


def _earliest_issue(as_of: date, term: int) -> date:
    """Earliest issue date whose ``term``-year card is still valid on ``as_of``."""
    day = add_years(as_of, -term) + timedelta(days=1)
    while add_years(day, term) <= as_of:  # Feb 29 issue dates expire on Feb 28
        day += timedelta(days=1)
    return day


@functools.cache
def _age_cum_weights() -> tuple[float, ...]:
    weights = [weight for low, high, weight in _AGE_BANDS for _ in range(low, high + 1)]
    return tuple(accumulate(weights))


@functools.cache
def _nation_cum_weights() -> tuple[int, ...]:
    return tuple(accumulate(weight for _, weight in _NATION_WEIGHTS))


def _strip_district(county: str) -> str:
    """Branch name of a district: 天河区 → 天河, 浦东新区 → 浦东, 管城回族区 → 管城; 城区 stays."""
    stem = county[:-2] if county.endswith("新区") else county[:-1]
    while stem.endswith("族"):
        for nation in NATIONS:
            if stem.endswith(nation + "族") and len(stem) > len(nation) + 1:
                stem = stem[: -len(nation) - 1]
                break
        else:
            break
    return stem if len(stem) >= 2 else county


def authority_for(region: Region) -> str:
    """The issuing authority an emblem side of a card from `region` prints."""
    return _authority(region)


def _authority(region: Region) -> str:
    # Districts are policed by a branch (分局) of the prefecture's or the
    # municipality's bureau; counties, county-level cities, banners, 林区 and
    # 特区 have their own bureau, which is what the emblem side prints.
    parent = region.city or (region.province if region.province.endswith("市") else "")
    county = region.county
    if parent and county.endswith("区") and not county.endswith(("林区", "特区")):
        return f"{parent}公安局{_strip_district(county)}分局"
    return f"{county}公安局"


@dataclass(frozen=True)
class Identity:
    name: str
    sex: str
    nation: str
    birth: date
    address: str
    idcard: str
    authority: str
    valid_from: date
    valid_to: date | None
    region: Region

    @property
    def birth_text(self) -> str:
        return self.birth.strftime("%Y%m%d")

    @property
    def valid_date(self) -> str:
        end = "长期" if self.valid_to is None else self.valid_to.strftime("%Y%m%d")
        return f"{self.valid_from.strftime('%Y%m%d')}-{end}"

    @property
    def native_place(self) -> str:
        return self.region.full_name

    def portrait_fields(self) -> dict[str, str]:
        return {
            "name": self.name,
            "sex": self.sex,
            "nation": self.nation,
            "birth": self.birth_text,
            "address": self.address,
            "idcard": self.idcard,
        }

    def emblem_fields(self) -> dict[str, str]:
        return {"authority": self.authority, "validDate": self.valid_date}


class IdentityGenerator:
    """Builds identities valid on ``as_of``; safe to share between threads."""

    def __init__(self, as_of: date) -> None:
        self.as_of = as_of
        self._faker = Faker("zh_CN")
        self._lock = threading.Lock()
        provinces: dict[str, list[Region]] = {}
        for region in current_regions():
            provinces.setdefault(region.code[:2], []).append(region)
        self._provinces = tuple(tuple(regions) for _, regions in sorted(provinces.items()))

    def generate(self, seed: int) -> Identity:
        rng = random.Random(seed)
        birth = self._draw_birth(rng)
        region = self._draw_region(rng, birth.year)
        sequence = rng.randint(1, 999)
        sex = "男" if sequence % 2 else "女"
        nation = rng.choices(NATIONS, cum_weights=_nation_cum_weights())[0]
        valid_from = self._draw_issue_date(rng, birth)
        term = validity_years(age_on(birth, valid_from))
        valid_to = None if term is None else add_years(valid_from, term)

        first17 = f"{region.code}{birth:%Y%m%d}{sequence:03d}"
        idcard = first17 + check_digit(first17)

        rural = not region.county.endswith(("区", "市")) and rng.random() < 0.6
        layout = rng.randrange(4)
        number = rng.randint(1, 999)
        building, unit, group = rng.randint(1, 30), rng.randint(1, 6), rng.randint(1, 12)
        room = rng.randint(1, 28) * 100 + rng.randint(1, 4)  # floor + door
        town_suffix = rng.choice(_TOWN_SUFFIXES)
        village_suffix = rng.choice(_VILLAGE_SUFFIXES)
        estate = rng.choice(_ESTATE_WORDS)

        with self._lock:
            faker = self._faker
            faker.seed_instance(seed)
            # zh_CN defines no male/female name formats, so name_male() and
            # name_female() draw from both given-name lists; compose the name
            # from the gendered given-name lists instead.
            given = faker.first_name_male() if sex == "男" else faker.first_name_female()
            while given in _FEMININE_IN_MALE_LIST:
                given = faker.first_name_male()
            name = faker.last_name() + given
            if rural:
                town, village = faker.last_name(), faker.last_name()
                street = ""
            else:
                town = village = ""
                street = faker.street_name()
                # "{surname}路" (e.g. 俞路) is one of Faker's two patterns and
                # reads unlike a real street; prefer the "{city}路" pattern.
                for _ in range(3):
                    if len(street) > 2:
                        break
                    street = faker.street_name()

        if rural:
            town += town_suffix + "镇"
            tail = f"{town}{village}{village_suffix}村{group}组{number}号"
            short = f"{town}{number}号"
        else:
            tail = {
                0: f"{street}{number}号",
                1: f"{street}{number}号{building}栋{room}室",
                2: f"{street}{number}号{estate}小区{building}栋{unit}单元{room}",
                3: f"{street}{number}号院{building}号楼{unit}单元{room}号",
            }[layout]
            short = f"{street}{number}号"
        address = region.full_name + tail
        if len(address) > _MAX_ADDRESS_LEN:
            address = region.full_name + short

        return Identity(
            name=name,
            sex=sex,
            nation=nation,
            birth=birth,
            address=address,
            idcard=idcard,
            authority=_authority(region),
            valid_from=valid_from,
            valid_to=valid_to,
            region=region,
        )

    def _draw_birth(self, rng: random.Random) -> date:
        """Age 1–90 on ``as_of`` weighted by ``_AGE_BANDS``, then a uniform day within that age."""
        as_of = self.as_of
        age = rng.choices(_AGES, cum_weights=_age_cum_weights())[0]
        latest = add_years(as_of, -age)
        earliest = add_years(as_of, -age - 1) + timedelta(days=1)
        return earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))

    def _draw_region(self, rng: random.Random, birth_year: int) -> Region:
        """A province uniformly, then one of its counties that existed in the birth year.

        stdnum rejects a code for births before the year it was created (many codes date from
        1983 or later). Drawing the age first keeps ages realistic; drawing the province before
        the county keeps older people from piling into the few provinces whose codes are oldest.
        """
        while True:
            regions = self._provinces[rng.randrange(len(self._provinces))]
            usable = [r for r in regions if r.since is None or r.since <= birth_year]
            if usable:
                return usable[rng.randrange(len(usable))]

    def _draw_issue_date(self, rng: random.Random, birth: date) -> date:
        """Issue date of the card currently held, uniform over all dates that leave it valid.

        Adults hold a card issued on or after their 16th birthday; children may
        hold one issued at any age (§9 terms).
        """
        as_of = self.as_of
        lower = _birthday(birth, 16) if age_on(birth, as_of) >= 16 else birth
        if _SECOND_GENERATION <= as_of:
            lower = max(lower, _SECOND_GENERATION)
        spans: list[tuple[date, int]] = []
        for low_age, high_age, term in _TERM_BANDS:
            lo = max(lower, _birthday(birth, low_age))
            hi = as_of
            if high_age is not None:
                hi = min(hi, _birthday(birth, high_age) - timedelta(days=1))
            if term is not None:
                lo = max(lo, _earliest_issue(as_of, term))
            if lo <= hi:
                spans.append((lo, (hi - lo).days + 1))
        pick = rng.randrange(sum(days for _, days in spans))
        for lo, days in spans:
            if pick < days:
                return lo + timedelta(days=pick)
            pick -= days
        raise AssertionError("unreachable: as_of itself is always a valid issue date")
