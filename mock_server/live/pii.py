"""Real personal data replaced by synthetic values, consistently, in memory, before anything is
written.

One `Masker` serves one recording. The synthetic value of a real one is drawn from a keyed hash
(HMAC-SHA-256 under a key made for the recording and never written), and kept in memory for the
rest of the recording, so the same real value always gives the same synthetic one: the name and
number of a portrait answer come back the same in its getOcrResult answer, and an order's emblem
side gets the authority of the synthetic person on its portrait side.

- ID number: the number of a synthetic person (identity.py), valid under GB 11643. With
  `keep_demographics` the real region and birth date stay and only the sequence changes (its
  parity, the sex, kept). A real number with a wrong check digit gets a wrong one too, so a
  recorded violation stays a violation.
- birth and sex follow the new number when they agreed with the real one, and stay in disagreement
  when they did not. nation is the synthetic person's unless demographics are kept.
- name, address, authority: the synthetic person's (the address in the kept region when
  demographics are kept); nativePlace: the division of the new number.
- validDate: moved by up to a year either way, keeping its term (5/10/20 years, 长期, or whatever
  odd term the real card had).
- orderNo: `order0001`, … in the order first seen.

Every synthetic ID number is remembered, so the recorder can write a keyed digest of each into
the manifest (lint.py tells them from real ones by it).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from mock_server.dates import add_years
from mock_server.identity import Identity, IdentityGenerator, authority_for, check_digit
from mock_server.regions import native_place, region_for

_NUMBER = re.compile(r"\d{17}[\dX]")
_VALID_DATE = re.compile(r"(\d{8})-(\d{8}|长期)")


def _day(text: str) -> date | None:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def _term(start: date, end: date) -> int | None:
    """Whole years from `start` to `end`, when `end` is exactly that many years later."""
    for years in range(0, 101):
        if add_years(start, years) == end:
            return years
    return None


class Masker:
    def __init__(self, key: bytes, *, as_of: date, keep_demographics: bool = False) -> None:
        self._key = key
        self.keep_demographics = keep_demographics
        self._people = IdentityGenerator(as_of)
        self._memo: dict[tuple[str, bytes], Any] = {}
        self._orders: dict[bytes, str] = {}
        self._order_people: dict[str, Identity] = {}
        self.synthetic_numbers: set[str] = set()

    # -- keyed draws -------------------------------------------------------------------------
    def _digest(self, kind: str, value: str) -> bytes:
        return hmac.new(self._key, f"{kind}\0{value}".encode(), hashlib.sha256).digest()

    def _seed(self, kind: str, value: str) -> int:
        return int.from_bytes(self._digest(kind, value)[:8], "big")

    def _remember(self, kind: str, value: str, make) -> Any:
        slot = (kind, self._digest(kind, value))
        if slot not in self._memo:
            self._memo[slot] = make()
        return self._memo[slot]

    # -- orders ------------------------------------------------------------------------------
    def order(self, real: str) -> str:
        """The recording's label for a real orderNo: order0001, order0002, …"""
        digest = self._digest("orderNo", real)
        if digest not in self._orders:
            self._orders[digest] = f"order{len(self._orders) + 1:04d}"
        return self._orders[digest]

    def person_of_order(self, label: str) -> Identity:
        """The synthetic person an order's cards show (drawn from the label until a portrait
        answer names the real number)."""
        if label not in self._order_people:
            self._order_people[label] = self._people.generate(self._seed("order", label))
        return self._order_people[label]

    # -- people ------------------------------------------------------------------------------
    def person(self, real_number: str) -> Identity:
        return self._remember("idcard", real_number, lambda: self._new_person(real_number))

    def _new_person(self, real: str) -> Identity:
        person = self._people.generate(self._seed("idcard", real))
        if self.keep_demographics and re.fullmatch(r"\d{17}[\dX]", real):
            birth = _day(real[6:14])
            region = region_for(real[:6], birth.year if birth else None)
            if birth is not None and region is not None:
                sequence = person.idcard[14:17]
                parity = int(real[16]) % 2
                number = int(sequence)
                if number % 2 != parity:
                    number = number + 1 if number < 999 else number - 1
                if f"{number:03d}" == real[14:17]:
                    number = number + 2 if number < 998 else number - 2
                first17 = f"{real[:14]}{number:03d}"
                tail = person.address[len(person.region.full_name):]
                person = replace(
                    person, idcard=first17 + check_digit(first17), birth=birth,
                    sex="男" if parity else "女", region=region,
                    address=region.full_name + tail, authority=authority_for(region),
                )
        number = person.idcard
        if _NUMBER.fullmatch(real) and real[17] != check_digit(real[:17]):
            wrong = "0123456789X"
            number = number[:17] + wrong[(wrong.index(number[17]) + 1) % len(wrong)]
            person = replace(person, idcard=number)
        self.synthetic_numbers.add(number)
        return person

    # -- answers -----------------------------------------------------------------------------
    def result(self, result: dict[str, Any], label: str | None) -> dict[str, Any]:
        """A `result` object (idcardocrapp or getOcrResult) with every personal field replaced."""
        out = dict(result)
        real_number = result.get("idcard")
        person: Identity | None = None
        if isinstance(real_number, str) and real_number:
            person = self.person(real_number)
            if label is not None:
                self._order_people.setdefault(label, person)
            out["idcard"] = person.idcard
        if person is None:
            person = self.person_of_order(label) if label else self._people.generate(
                self._seed("nobody", repr(sorted(result))))
        if isinstance(result.get("name"), str) and result["name"]:
            out["name"] = self._remember("name", result["name"], lambda: person.name)
        if isinstance(result.get("address"), str) and result["address"]:
            out["address"] = self._remember("address", result["address"], lambda: person.address)
        if isinstance(result.get("authority"), str) and result["authority"]:
            out["authority"] = self._remember("authority", result["authority"],
                                              lambda: person.authority)
        if isinstance(result.get("validDate"), str) and result["validDate"]:
            out["validDate"] = self._remember("validDate", result["validDate"],
                                              lambda: self._valid_date(result["validDate"], person))
        if isinstance(result.get("nativePlace"), str) and result["nativePlace"]:
            out["nativePlace"] = native_place(person.idcard) or person.region.full_name
        if isinstance(result.get("nation"), str) and result["nation"] and not self.keep_demographics:
            out["nation"] = person.nation
        if isinstance(real_number, str) and len(real_number) >= 17:
            if "birth" in result:
                out["birth"] = (person.birth_text if result["birth"] == real_number[6:14]
                                else self._other_birth(person))
            if "sex" in result and real_number[16].isdigit():
                agrees = result["sex"] == ("男" if int(real_number[16]) % 2 else "女")
                out["sex"] = person.sex if agrees else ("女" if person.sex == "男" else "男")
        elif "birth" in result and isinstance(result["birth"], str):
            out["birth"] = person.birth_text
        return out

    def _other_birth(self, person: Identity) -> str:
        return (person.birth + timedelta(days=1)).strftime("%Y%m%d")

    def _valid_date(self, real: str, person: Identity) -> str:
        match = _VALID_DATE.fullmatch(real)
        start = _day(match.group(1)) if match else None
        if match is None or start is None:
            return person.valid_date
        shift = timedelta(days=self._seed("shift", real) % 731 - 365)
        new_start = start + shift
        if match.group(2) == "长期":
            return f"{new_start:%Y%m%d}-长期"
        end = _day(match.group(2))
        if end is None:
            return f"{new_start:%Y%m%d}-{person.valid_date.partition('-')[2]}"
        years = _term(start, end)
        new_end = add_years(new_start, years) if years is not None else new_start + (end - start)
        return f"{new_start:%Y%m%d}-{new_end:%Y%m%d}"
