"""County-level administrative divisions (GB/T 2260) for synthetic ID numbers.

The table is python-stdnum's ``cn/loc`` database (the same data
``stdnum.cn.ric.validate`` checks the first six ID digits against, see
§9), so every code chosen here is one the validator accepts.
Names carry optional validity brackets such as ``[1983-2005]东山区``; a code
that was renamed lists several comma-separated bracketed names.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from stdnum import numdb

__all__ = ["Region", "current_regions", "native_place", "region_for"]

_BRACKET_RE = re.compile(r"^\[(\d*)-(\d*)\](.*)$")

# stdnum's table (scraped from zh.wikipedia) spells a few names in traditional
# characters (大兴安岭's 加格達奇區/松嶺區/新林區/呼中區, 香港特別行政區, 冷湖行政委員會,
# 丹稜县); cards print simplified characters.
_TO_SIMPLIFIED = str.maketrans("達嶺區別門員會稜", "达岭区别门员会棱")

# Names that stand for a grouping row rather than a real prefecture or county:
# "市辖区"/"县" group a municipality's or city's units, and the "…直辖…" rows
# group county-level units administered directly by the province (stdnum's
# table spells these "省直辖县级行政单位", "省直辖行政单位",
# "自治区直辖县级行政单位"; the official GB/T 2260 spelling is
# "省直辖县级行政区划").
_PLACEHOLDER_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})


def _is_placeholder(name: str) -> bool:
    return name in _PLACEHOLDER_NAMES or "直辖" in name


@dataclass(frozen=True)
class _Name:
    start: int | None
    end: int | None
    name: str

    def valid_in(self, year: int) -> bool:
        # Same inclusive test as stdnum.cn.ric.get_birth_place.
        return (self.start is None or year >= self.start) and (self.end is None or year <= self.end)


@dataclass(frozen=True)
class Region:
    code: str
    province: str
    city: str
    county: str
    since: int | None

    @property
    def full_name(self) -> str:
        parts = [self.province]
        if self.city and self.city != self.province:
            parts.append(self.city)
        if self.county and self.county not in parts:
            parts.append(self.county)
        return "".join(parts)


def _parse_names(value: str) -> tuple[_Name, ...]:
    names = []
    for item in value.translate(_TO_SIMPLIFIED).split(","):
        match = _BRACKET_RE.match(item)
        if match is None:
            names.append(_Name(None, None, item))
        else:
            start, end, name = match.groups()
            names.append(_Name(int(start) if start else None, int(end) if end else None, name))
    return tuple(names)


@functools.cache
def _table() -> tuple[Mapping[str, str], Mapping[str, tuple[_Name, ...]]]:
    """(2-digit province code → province name, 6-digit code → names) from stdnum's parsed tree.

    ``numdb`` parses loc.dat into nested ``(length, low, high, props, children)``
    tuples: two-digit province rows whose children are four-digit rows.
    """
    provinces: dict[str, str] = {}
    codes: dict[str, tuple[_Name, ...]] = {}
    for _length, low, high, props, children in numdb.get("cn/loc").prefixes:
        if low != high:  # ranges are not used by cn/loc; skip rather than guess
            continue
        provinces[low] = props.get("province", "").translate(_TO_SIMPLIFIED)
        for _clength, clow, chigh, cprops, _grandchildren in children:
            if clow != chigh or "county" not in cprops:
                continue
            codes[low + clow] = _parse_names(cprops["county"])
    return MappingProxyType(provinces), MappingProxyType(codes)


def _pick(names: tuple[_Name, ...], year: int | None) -> _Name | None:
    if year is None:
        current = [n for n in names if n.end is None]
        return current[0] if current else names[-1]
    # First match wins, mirroring stdnum.cn.ric.get_birth_place.
    return next((n for n in names if n.valid_in(year)), None)


def _province_name(code2: str, year: int | None) -> str:
    provinces, codes = _table()
    names = codes.get(code2 + "0000")
    if names:
        picked = _pick(names, year)
        if picked is not None:
            return picked.name
    return provinces.get(code2, "")


def _is_municipality(code2: str) -> bool:
    # 北京/天津/上海/重庆 are the only province-level rows named "…市"; their
    # addresses name no prefecture (北京市朝阳区).
    return _province_name(code2, None).endswith("市")


def _city_name(code6: str, year: int | None) -> str:
    if _is_municipality(code6[:2]) or code6[2:] == "0000":
        return ""
    names = _table()[1].get(code6[:4] + "00")
    if not names:
        return ""
    picked = _pick(names, year)
    if picked is None or _is_placeholder(picked.name):
        return ""
    return picked.name


def region_for(code6: str, year: int | None = None) -> Region | None:
    """The division ``code6`` denoted in ``year``.

    With ``year=None`` the current name is used, or the latest one for a retired code.
    """
    if len(code6) != 6 or not code6.isdigit():
        return None
    names = _table()[1].get(code6)
    if not names:
        return None
    picked = _pick(names, year)
    if picked is None:
        return None
    province = _province_name(code6[:2], year)
    if code6[2:] == "0000":
        return Region(code6, province, "", "", picked.start)
    if code6[4:] == "00":
        city = "" if _is_placeholder(picked.name) else picked.name
        return Region(code6, province, city, "", picked.start)
    return Region(code6, province, _city_name(code6, year), picked.name, picked.start)


@functools.cache
def current_regions() -> tuple[Region, ...]:
    """Every county-level division still in use, sorted by code."""
    codes = _table()[1]
    prefectures = {
        (code6[:2], name.name)
        for code6, names in codes.items()
        if code6[4:] == "00" and code6[2:] != "0000"
        for name in names
        if name.end is None
    }
    regions = []
    for code6, names in codes.items():
        if code6[4:] == "00":
            continue
        current = [n for n in names if n.end is None]
        if not current or _is_placeholder(current[0].name):
            continue
        # A county-level city promoted to a prefecture keeps an open-ended row
        # in stdnum's table (429001 随州市, superseded by 421300 in 2000); its
        # name then also appears as a current prefecture of the same province.
        if (code6[:2], current[0].name) in prefectures:
            continue
        region = region_for(code6)
        if region is not None:
            regions.append(region)
    return tuple(sorted(regions, key=lambda r: r.code))


def native_place(idcard: str) -> str | None:
    """籍贯 for ``nativePlace`` (§7): the address code read in the birth year."""
    idcard = idcard.strip()
    if len(idcard) < 10 or not idcard[:10].isdigit():
        return None
    region = region_for(idcard[:6], int(idcard[6:10]))
    return region.full_name if region is not None else None
