from __future__ import annotations

from stdnum.cn import ric

from mock_server.regions import Region, current_regions, native_place, region_for


def test_beijing_chaoyang_has_no_repeated_municipality() -> None:
    region = region_for("110105")
    assert region == Region("110105", "北京市", "", "朝阳区", None)
    assert region.full_name == "北京市朝阳区"


def test_guangzhou_tianhe() -> None:
    region = region_for("440106")
    assert region is not None
    assert (region.province, region.city, region.county) == ("广东省", "广州市", "天河区")
    assert region.since == 1985
    assert region.full_name == "广东省广州市天河区"


def test_jiujiang_de_an() -> None:
    region = region_for("360426")
    assert region is not None
    assert region.full_name == "江西省九江市德安县"


def test_native_place_of_documented_number() -> None:
    assert native_place("11010519491231002X") == "北京市朝阳区"


def test_native_place_unknown_or_malformed() -> None:
    assert native_place("99999919900101001X") is None
    assert native_place("abc") is None
    # 110103 (崇文区) was merged in 2010; a 2015 birth cannot carry it.
    assert native_place("110103201501010011") is None


def test_native_place_uses_names_of_the_birth_year() -> None:
    # 120110 was 东郊区 until 1991 and 东丽区 from 1992.
    assert native_place("120110198501010011") == "天津市东郊区"
    assert native_place("120110199501010011") == "天津市东丽区"


def test_historical_lookup() -> None:
    chongwen = region_for("110103", 2000)
    assert chongwen is not None and chongwen.full_name == "北京市崇文区"
    assert region_for("110103", 2015) is None
    # Without a year a retired code keeps its last name.
    assert region_for("110103") == chongwen


def test_prefecture_and_province_codes() -> None:
    assert region_for("440100").full_name == "广东省广州市"
    assert region_for("110000").full_name == "北京市"
    assert region_for("12345") is None
    assert region_for("000000") is None


def test_directly_administered_county_level_city_has_no_city() -> None:
    region = region_for("429004")
    assert region is not None
    assert region.city == ""
    assert region.full_name == "湖北省仙桃市"


def test_traditional_characters_are_simplified() -> None:
    assert region_for("232761").county == "加格达奇区"


def test_current_regions_are_sorted_county_level_and_current() -> None:
    regions = current_regions()
    codes = [r.code for r in regions]
    assert len(regions) > 2800
    assert codes == sorted(set(codes))
    placeholders = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
    for region in regions:
        assert len(region.code) == 6 and region.code.isdigit()
        assert region.code[4:] != "00"
        assert region.county and region.county not in placeholders
        assert "直辖" not in region.county and "直辖" not in region.city
        assert region.city not in placeholders
        assert region == region_for(region.code)
    assert "440106" in codes
    assert "110103" not in codes  # 崇文区, retired in 2010
    assert "110100" not in codes and "440100" not in codes
    # 随州市 was promoted to a prefecture (421300) and must not linger as 429001.
    assert "429001" not in codes


def test_municipalities_have_no_city_part() -> None:
    for region in current_regions():
        if region.code[:2] in {"11", "12", "31", "50"}:
            assert region.city == ""
            assert region.full_name == region.province + region.county


def test_every_current_region_validates_from_its_first_year() -> None:
    for region in current_regions():
        first17 = f"{region.code}{region.since or 1980}0101001"
        number = first17 + ric.calc_check_digit(first17 + "0")
        assert ric.is_valid(number), region
