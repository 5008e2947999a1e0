from __future__ import annotations

import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from faker.providers.person.zh_CN import Provider as ZhPerson
from stdnum.cn import ric

from mock_server import regions
from mock_server.identity import (
    NATIONS,
    Identity,
    IdentityGenerator,
    check_digit,
    validity_years,
)

AS_OF = date(2025, 6, 1)
SEEDS = range(2000)
# stdnum's table spells a few names in traditional characters; regions.py
# simplifies them.
_SIMPLIFY = str.maketrans("達嶺區別門", "达岭区别门")


@pytest.fixture(scope="module")
def identities() -> list[Identity]:
    generator = IdentityGenerator(AS_OF)
    return [generator.generate(seed) for seed in SEEDS]


def _age(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def test_every_number_passes_stdnum(identities: list[Identity]) -> None:
    for identity in identities:
        assert ric.validate(identity.idcard) == identity.idcard


def test_birth_and_sex_agree_with_number(identities: list[Identity]) -> None:
    for identity in identities:
        assert ric.get_birth_date(identity.idcard) == identity.birth
        assert identity.birth_text == identity.idcard[6:14]
        assert identity.sex == ("男" if int(identity.idcard[16]) % 2 else "女")
        assert 1 <= _age(identity.birth, AS_OF) <= 90


def test_name_matches_sex(identities: list[Identity]) -> None:
    surnames = tuple(ZhPerson.last_names)
    for identity in identities:
        given_names = ZhPerson.first_names_male if identity.sex == "男" else ZhPerson.first_names_female
        name = identity.name
        splits = [(name[:k], name[k:]) for k in (1, 2)]
        assert any(s in surnames and g in given_names for s, g in splits), name


def test_address_and_native_place(identities: list[Identity]) -> None:
    for identity in identities:
        region = identity.region
        assert identity.idcard[:6] == region.code
        assert identity.address.startswith(region.full_name)
        assert len(identity.address) > len(region.full_name)
        assert len(identity.address) <= 60
        assert identity.native_place == region.full_name

        place = ric.get_birth_place(identity.idcard)
        province = place["province"].translate(_SIMPLIFY)
        county = place["county"].translate(_SIMPLIFY)
        assert identity.native_place.startswith(province)
        assert identity.native_place.endswith(county)
        # Read at the birth year the prefecture may carry its old name
        # (襄樊 for 襄阳), but province and county are the same.
        native = regions.native_place(identity.idcard)
        assert native is not None
        assert native.startswith(province) and native.endswith(county)


@pytest.mark.fidelity("F-PPL-6")
def test_authority_format(identities: list[Identity]) -> None:
    for identity in identities:
        region = identity.region
        municipality = region.province if region.province.endswith("市") else ""
        parent = region.city or municipality
        is_district = region.county.endswith("区") and not region.county.endswith(("林区", "特区"))
        if parent and is_district:
            assert identity.authority.startswith(f"{parent}公安局"), identity.authority
            assert identity.authority.endswith("分局")
            branch = identity.authority[len(parent) + 3 : -2]
            assert branch and region.county.startswith(branch)
        else:
            assert identity.authority == f"{region.county}公安局"


@pytest.mark.fidelity("F-PPL-6")
def test_authority_examples() -> None:
    expected = {
        "440106": "广州市公安局天河分局",
        "110105": "北京市公安局朝阳分局",
        "360426": "德安县公安局",
    }
    generator = IdentityGenerator(AS_OF)
    found: dict[str, str] = {}
    for seed in range(40000):
        identity = generator.generate(seed)
        if identity.region.code in expected:
            found.setdefault(identity.region.code, identity.authority)
            if len(found) == len(expected):
                break
    assert found == expected


@pytest.mark.fidelity("F-PPL-3")
def test_valid_date_format_and_terms(identities: list[Identity]) -> None:
    pattern = re.compile(r"^\d{8}-(\d{8}|长期)$")
    for identity in identities:
        assert pattern.match(identity.valid_date), identity.valid_date
        start, _, end = identity.valid_date.partition("-")
        assert start == identity.valid_from.strftime("%Y%m%d")
        age_at_issue = _age(identity.birth, identity.valid_from)
        if age_at_issue >= 46:
            assert end == "长期" and identity.valid_to is None
            continue
        assert identity.valid_to is not None
        assert end == identity.valid_to.strftime("%Y%m%d")
        years = identity.valid_to.year - identity.valid_from.year
        expected = 5 if age_at_issue < 16 else 10 if age_at_issue <= 25 else 20
        assert years == expected
        if (identity.valid_from.month, identity.valid_from.day) == (2, 29):
            assert (identity.valid_to.month, identity.valid_to.day) in {(2, 28), (2, 29)}
        else:
            assert (identity.valid_to.month, identity.valid_to.day) == (
                identity.valid_from.month,
                identity.valid_from.day,
            )


@pytest.mark.fidelity("F-PPL-5")
def test_card_is_valid_at_as_of(identities: list[Identity]) -> None:
    for identity in identities:
        assert identity.birth <= identity.valid_from <= AS_OF
        assert identity.valid_to is None or identity.valid_to > AS_OF
        if _age(identity.birth, AS_OF) >= 16:
            assert _age(identity.birth, identity.valid_from) >= 16


def test_all_terms_occur(identities: list[Identity]) -> None:
    terms = Counter("长期" if i.valid_to is None else i.valid_to.year - i.valid_from.year for i in identities)
    assert set(terms) == {5, 10, 20, "长期"}


@pytest.mark.parametrize("as_of", [date(2024, 2, 29), date(2031, 3, 1), date(2010, 7, 15)])
def test_other_reference_dates(as_of: date) -> None:
    generator = IdentityGenerator(as_of)
    for seed in range(400):
        identity = generator.generate(seed)
        assert ric.is_valid(identity.idcard)
        assert identity.valid_from <= as_of
        assert identity.valid_to is None or identity.valid_to > as_of
        assert 1 <= _age(identity.birth, as_of) <= 90


def test_fields(identities: list[Identity]) -> None:
    identity = identities[0]
    portrait = identity.portrait_fields()
    assert list(portrait) == ["name", "sex", "nation", "birth", "address", "idcard"]
    assert portrait["birth"] == identity.birth_text
    assert identity.emblem_fields() == {
        "authority": identity.authority,
        "validDate": identity.valid_date,
    }


def test_nations(identities: list[Identity]) -> None:
    assert len(NATIONS) == 56 == len(set(NATIONS))
    assert NATIONS[:4] == ("汉", "蒙古", "回", "藏")
    assert NATIONS[-1] == "基诺"
    assert all(not n.endswith("族") for n in NATIONS)
    counts = Counter(i.nation for i in identities)
    assert set(counts) <= set(NATIONS)
    assert 0.86 <= counts["汉"] / len(identities) <= 0.96
    assert len(counts) > 5


@pytest.mark.fidelity("F-PPL-4")
def test_deterministic_across_generators_and_order(identities: list[Identity]) -> None:
    later = IdentityGenerator(AS_OF)
    for seed in reversed(range(200)):
        assert later.generate(seed) == identities[seed]
    assert later.generate(7) == later.generate(7)
    assert identities[0] != identities[1]


def test_thread_safe(identities: list[Identity]) -> None:
    generator = IdentityGenerator(AS_OF)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(generator.generate, SEEDS))
    assert results == identities


@pytest.mark.fidelity("F-PPL-3")
def test_validity_years_boundaries() -> None:
    assert [validity_years(a) for a in (0, 15, 16, 25, 26, 45, 46, 90)] == [
        5,
        5,
        10,
        10,
        20,
        20,
        None,
        None,
    ]


def test_check_digit() -> None:
    assert check_digit("11010519491231002") == "X"
    assert check_digit("44052418800101001") == "4"
    with pytest.raises(ValueError):
        check_digit("1234")
