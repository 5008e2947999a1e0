"""Fixture packs: deterministic, realistic identities, the ugly variants, the pack writer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from stdnum.cn import ric

from mock_server import schemas
from mock_server.cli import main
from mock_server.dates import add_years, age_on
from mock_server.errors import OCR_FAILURES
from mock_server.fixtures import DEFAULT_AS_OF
from mock_server.fixtures import generate as generate_module
from mock_server.fixtures.generate import PackError, PackGenerator, dump_manifest, write_pack
from mock_server.fixtures.variants import BY_NAME, UGLY, VARIANTS
from mock_server.identity import NATIONS, validity_years
from mock_server.regions import native_place, region_for

ROOT = Path(__file__).resolve().parents[1]

# Runs the CLI with date.today(), datetime.now() and time.time() moved to another day, installed
# before anything imports datetime's classes; prints the faked today first so the test can tell
# the fake took hold.
FAKE_TODAY = r"""
import datetime, sys, time

fake = datetime.datetime.fromisoformat(sys.argv[1])
shift = fake.timestamp() - time.time()
real_time = time.time


class FakeDate(datetime.date):
    @classmethod
    def today(cls):
        return cls(fake.year, fake.month, fake.day)


class FakeDateTime(datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return cls.fromtimestamp(real_time() + shift, tz)

    @classmethod
    def today(cls):
        return cls.now()

    @classmethod
    def utcnow(cls):
        return cls.now(datetime.timezone.utc).replace(tzinfo=None)


datetime.date = FakeDate
datetime.datetime = FakeDateTime
time.time = lambda: real_time() + shift
print(datetime.date.today().isoformat(), flush=True)
from mock_server.cli import main

main(sys.argv[2:])
"""


def _generate_on(day: str, out: Path, *args: str) -> str:
    run = subprocess.run(
        [sys.executable, "-c", FAKE_TODAY, day, "fixtures", "generate", "--out", str(out), *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.splitlines()[0]


def _ymd(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


# -- determinism --------------------------------------------------------------------------------
@pytest.mark.fidelity("F-PACK-11")
def test_same_seed_gives_the_same_pack_on_two_different_days(tmp_path):
    args = ("--count", "6", "--seed", "4242", "--invalid-share", "0.5")
    assert _generate_on("2026-03-05T10:00:00", tmp_path / "a", *args) == "2026-03-05"
    assert _generate_on("2034-11-27T23:30:00", tmp_path / "b", *args) == "2034-11-27"
    first = (tmp_path / "a" / "manifest.json").read_bytes()
    assert first == (tmp_path / "b" / "manifest.json").read_bytes()
    # ... and the same as generated here and now: nothing in it comes from the clock.
    generator = PackGenerator(4242, invalid_share=0.5)
    here = generator.manifest([generator.fixture(i) for i in range(6)])
    assert first.decode("utf-8") == dump_manifest(here)
    assert json.loads(first)["as_of"] == DEFAULT_AS_OF.isoformat()
    for image in (tmp_path / "a" / "images").iterdir():
        assert image.read_bytes() == (tmp_path / "b" / "images" / image.name).read_bytes()


def test_entry_i_does_not_change_when_the_count_grows():
    small = PackGenerator(77, invalid_share=0.5)
    large = PackGenerator(77, invalid_share=0.5)
    # Ask in another order too: no entry may depend on what was generated before it.
    late = [large.fixture(i) for i in reversed(range(60))][::-1]
    first = small.manifest([small.fixture(i) for i in range(7)])["entries"]
    assert large.manifest(late)["entries"][:7] == first


def test_a_larger_pack_starts_with_the_smaller_pack(tmp_path):
    runner = CliRunner()
    for name, count in (("small", "3"), ("large", "5")):
        result = runner.invoke(main, ["fixtures", "generate", "--count", count, "--seed", "5",
                                      "--invalid-share", "0.5", "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    small = json.loads((tmp_path / "small" / "manifest.json").read_text("utf-8"))
    large = json.loads((tmp_path / "large" / "manifest.json").read_text("utf-8"))
    assert large["entries"][:3] == small["entries"]
    assert large["pack"] == small["pack"]
    for entry in small["entries"]:
        image = entry["image"]
        assert (tmp_path / "small" / image).read_bytes() == (tmp_path / "large" / image).read_bytes()


def test_other_parameters_give_another_pack():
    base = PackGenerator(1).fixture(0)
    assert PackGenerator(2).fixture(0).card != base.card
    assert PackGenerator(1, date(2030, 6, 1)).fixture(0).card != base.card
    keys = {PackGenerator(1).key, PackGenerator(2).key, PackGenerator(1, date(2030, 6, 1)).key,
            PackGenerator(1, invalid_share=0.5).key}
    assert len(keys) == 4


@pytest.mark.parametrize("count", [2, 3, 10])
def test_every_pack_of_two_or_more_holds_both_sides(count):
    generator = PackGenerator(9)
    sides = [generator.fixture(i).side for i in range(count)]
    assert {"portrait", "emblem"} <= set(sides)


def test_portrait_and_emblem_entries_show_the_same_person():
    generator = PackGenerator(12, invalid_share=0.0)
    for person in range(20):
        portrait, emblem = generator.fixture(2 * person), generator.fixture(2 * person + 1)
        assert portrait.card == emblem.card
        assert portrait.entry()["person"] == emblem.entry()["person"] == person


# -- realistic identities -----------------------------------------------------------------------
def _check_person(portrait: dict, emblem: dict, as_of: date) -> None:
    fields, back = portrait["result"], emblem["result"]
    idcard = fields["idcard"]
    assert ric.validate(idcard) == idcard
    birth = _ymd(fields["birth"])
    assert ric.get_birth_date(idcard) == birth
    assert fields["sex"] == ("男" if int(idcard[16]) % 2 else "女")
    assert fields["nation"] in NATIONS
    region = region_for(idcard[:6])
    assert region is not None and region.county
    assert fields["address"].startswith(region.full_name)
    assert portrait["nativePlace"] == native_place(idcard)
    assert portrait["nativePlace"].startswith(ric.get_birth_place(idcard)["province"])
    # The county's (or the district's branch of the city's) public security bureau.
    authority = back["authority"]
    assert authority.endswith(("公安局", "分局"))
    assert region.county[:2] in authority or authority.startswith(region.county)
    start_text, _, end_text = back["validDate"].partition("-")
    start = _ymd(start_text)
    assert birth <= start <= as_of
    term = validity_years(age_on(birth, start))
    if term is None:
        assert end_text == "长期"
    else:
        end = _ymd(end_text)
        assert end == add_years(start, term)
        assert end > as_of


def test_ten_thousand_identities_pass_stdnum_and_agree_with_themselves():
    generator = PackGenerator(2026, invalid_share=0.0)
    nations = []
    for person in range(10_000):
        portrait = generator.fixture(2 * person).entry()
        emblem = generator.fixture(2 * person + 1).entry()
        assert portrait["code"] == emblem["code"] == "0"
        _check_person(portrait, emblem, DEFAULT_AS_OF)
        nations.append(portrait["result"]["nation"])
    han = nations.count("汉") / len(nations)
    assert 0.85 < han < 0.97
    assert len(set(nations)) > 20


@pytest.mark.fidelity("F-PACK-11")
def test_cards_are_valid_on_another_as_of_day():
    as_of = date(2031, 7, 19)
    generator = PackGenerator(8, as_of=as_of, invalid_share=0.0)
    for person in range(300):
        _check_person(generator.fixture(2 * person).entry(), generator.fixture(2 * person + 1).entry(), as_of)


# -- ugly variants ------------------------------------------------------------------------------
def _first_with(generator: PackGenerator, name: str) -> int:
    return next(i for i in range(10_000) if generator.variant_of(i).name == name)


@pytest.mark.fidelity("F-PACK-5", "F-PACK-6", "F-PACK-7", "F-PACK-8")
@pytest.mark.parametrize("variant", [v for v in VARIANTS if v.name != "clean"], ids=lambda v: v.name)
def test_each_variant_is_drawn_with_its_defect_and_answer(variant):
    generator = PackGenerator(31, invalid_share=1.0)
    fixture = generator.fixture(_first_with(generator, variant.name))
    entry = fixture.entry()
    assert entry["variant"] == variant.name
    assert entry["side"] in variant.sides
    assert entry["code"] == variant.code
    card, as_of = entry["card"], generator.as_of
    if variant.code != "0":
        assert entry["result"] is None
        assert entry["msg"] == OCR_FAILURES[variant.code].msg
    else:
        result = entry["result"]
        assert result["multiWarning"] == "".join("1" if p in variant.warnings else "0" for p in range(1, 9))
        first = min(variant.warnings)
        assert result["warning"] == "0" * (first - 1) + "1" + "0" * (8 - first)
        assert 30 <= int(result["clarity"]) <= 58
        assert {k: v for k, v in result.items() if k in card} == card
    if "validDate" in card:
        start_text, _, end_text = card["validDate"].partition("-")
        start, end = _ymd(start_text), None if end_text == "长期" else _ymd(end_text)
    match variant.name:
        case "expired":
            assert end is not None and end < as_of
            assert end == add_years(start, validity_years(age_on(fixture.card.birth, start)))
        case "bad_check_digit":
            assert not ric.is_valid(card["idcard"])
            assert ric.calc_check_digit(card["idcard"]) != card["idcard"][-1]
        case "bad_dates":
            assert start > as_of or (end is not None and end < start)
        case "invalid_validity":
            assert end is not None and end > as_of
            assert end not in {add_years(start, t) for t in (5, 10, 20)}
        case "temporary_id" if fixture.side == "emblem":
            assert start <= as_of < end and (end - start).days in range(89, 93)
        case "not_id_card":
            assert card == {}


def test_invalid_share_sets_the_share_of_ugly_entries():
    for share in (0.0, 0.25, 1.0):
        generator = PackGenerator(3, invalid_share=share)
        ugly = sum(generator.variant_of(i).name != "clean" for i in range(4000)) / 4000
        assert abs(ugly - share) < 0.03
    generator = PackGenerator(3, invalid_share=1.0)
    for side in ("portrait", "emblem"):
        seen = {generator.variant_of(i).name for i in range(0 if side == "portrait" else 1, 2000, 2)}
        assert seen == {v.name for v in UGLY[side]}


def test_expired_cards_pass_over_people_who_cannot_have_one():
    # People aged 46 or more in 2004 hold 长期 cards and toddlers hold cards not yet 5 years old:
    # the person behind an expired emblem is never one of them.
    # The portrait entry shows that same person.
    generator = PackGenerator(99, invalid_share=1.0)
    expired = [i for i in range(1, 1200, 2) if generator.variant_of(i) is BY_NAME["expired"]]
    assert len(expired) > 20
    for index in expired:
        card = generator.fixture(index).card
        assert card.valid_to is not None and card.valid_to < generator.as_of
        assert generator.fixture(index - 1).card.idcard[:17] == card.idcard[:17]


# -- the manifest -------------------------------------------------------------------------------
def test_generated_manifest_satisfies_its_schema_and_the_schema_rejects_mistakes():
    generator = PackGenerator(6, invalid_share=0.7)
    manifest = json.loads(dump_manifest(generator.manifest([generator.fixture(i) for i in range(40)])))
    assert schemas.first_error("fixture-manifest.json", manifest) is None
    recognised = next(e for e in manifest["entries"] if e["code"] == "0" and e["side"] == "portrait")
    failing = next(e for e in manifest["entries"] if e["code"] != "0")

    def rejected(change) -> bool:
        copy = json.loads(json.dumps(manifest))
        change(copy["entries"][manifest["entries"].index(recognised)],
               copy["entries"][manifest["entries"].index(failing)])
        return schemas.first_error("fixture-manifest.json", copy) is not None

    assert rejected(lambda ok, bad: ok["result"].update(bizSeqNo="2106212000118449311726520745538"))
    assert rejected(lambda ok, bad: ok["result"].update(nativePlace="北京市"))
    assert rejected(lambda ok, bad: ok.update(result=None))
    assert rejected(lambda ok, bad: bad.update(result=recognised["result"]))
    assert rejected(lambda ok, bad: ok["result"].update(authority="某某县公安局"))
    assert rejected(lambda ok, bad: ok["result"].update(multiWarning="0001"))
    assert rejected(lambda ok, bad: ok.update(side="front"))
    assert rejected(lambda ok, bad: ok["result"].pop("clarity"))
    assert not rejected(lambda ok, bad: ok.update(note="extra members are allowed"))


# -- the writer and the command -----------------------------------------------------------------
def test_generate_command_writes_a_pack(tmp_path):
    out = tmp_path / "pack"
    result = CliRunner().invoke(main, ["fixtures", "generate", "--count", "12", "--seed", "1",
                                       "--invalid-share", "0.5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 12 entries" in result.stdout
    assert "rendering" in result.stderr  # click's progress bar, on stderr
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert [e["id"] for e in manifest["entries"]] == [f"{i:06d}" for i in range(12)]
    assert sorted(p.name for p in (out / "images").iterdir()) == sorted(
        Path(e["image"]).name for e in manifest["entries"])
    assert manifest["seed"] == 1 and manifest["invalid_share"] == 0.5
    assert oct(out.stat().st_mode & 0o777) == oct(0o777 & ~_umask())


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_generate_refuses_a_folder_that_is_not_empty(tmp_path):
    out = tmp_path / "pack"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = CliRunner().invoke(main, ["fixtures", "generate", "--count", "2", "--seed", "1",
                                       "--out", str(out)])
    assert result.exit_code == 1
    assert f"Error: {out} is not empty" in result.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["pack"]


def test_generate_into_an_empty_folder(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    write_pack(out, 2, PackGenerator(1))
    assert sorted(p.name for p in out.iterdir()) == ["images", "manifest.json"]


def test_generate_reports_an_unwritable_place(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(main, ["fixtures", "generate", "--count", "2", "--seed", "1",
                                       "--out", str(blocker / "pack")])
    assert result.exit_code == 1
    assert "Error: cannot write a pack to" in result.stderr
    result = CliRunner().invoke(main, ["fixtures", "generate", "--count", "2", "--seed", "1",
                                       "--out", str(blocker)])
    assert result.exit_code == 2  # click's own check: --out must be a folder
    assert blocker.read_text() == "not a folder"


def test_a_failure_half_way_leaves_no_pack_behind(tmp_path, monkeypatch):
    real = generate_module._render_chunk
    calls = []

    def failing(spec, staging, indices):
        calls.append(indices)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(spec, staging, indices)

    monkeypatch.setattr(generate_module, "_render_chunk", failing)
    with pytest.raises(PackError, match="No space left on device"):
        write_pack(tmp_path / "pack", 20, PackGenerator(1), workers=1)
    assert list(tmp_path.iterdir()) == []


def test_several_processes_draw_the_same_pack_as_one(tmp_path):
    generator = PackGenerator(21, invalid_share=0.5)
    one = write_pack(tmp_path / "one", 26, generator, workers=1)
    two = write_pack(tmp_path / "two", 26, generator, workers=2)
    assert one == two
    for entry in one["entries"]:
        image = entry["image"]
        assert (tmp_path / "one" / image).read_bytes() == (tmp_path / "two" / image).read_bytes()
