"""Fixture card images: realistic JPEGs, marked as samples, recognisable after a re-save."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from PIL import Image, ImageChops
from PIL.PngImagePlugin import PngInfo

from mock_server import marker
from mock_server.cli import main
from mock_server.fixtures import render as render_module
from mock_server.fixtures.generate import PackGenerator
from mock_server.fixtures.render import SAMPLE_TEXT, font_note, render
from mock_server.fixtures.variants import VARIANTS
from mock_server.images import open_image

GENERATOR = PackGenerator(5, invalid_share=0.6)


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _count(band: Image.Image, more_than: int) -> int:
    return sum(band.histogram()[more_than + 1:])


@pytest.fixture(scope="module")
def images() -> list[tuple[object, bytes]]:
    return [(f, render(f, GENERATOR.key)) for f in (GENERATOR.fixture(i) for i in range(16))]


def test_images_are_camera_sized_jpegs_with_both_markers(images):
    for fixture, data in images:
        assert 100_000 <= len(data) <= 500_000, (fixture.id, len(data))
        image = _open(data)
        assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (1280, 960))
        expected = {"pack": GENERATOR.key, "fixture": fixture.id, "side": fixture.side}
        assert marker.decode(image.info["comment"]) == expected
        assert marker.decode(image.getexif()[0x010E]) == expected
        assert open_image(data).marker == expected


def test_same_fixture_same_bytes(images):
    fixture, data = images[3]
    assert render(fixture, GENERATOR.key) == data
    assert render(GENERATOR.fixture(4), GENERATOR.key) != data


def test_every_card_is_overprinted_as_a_sample(images, monkeypatch):
    assert SAMPLE_TEXT == "样本 SAMPLE — 非真实证件"
    marked = {f.id: _open(data) for f, data in images[:6]}
    monkeypatch.setattr(render_module, "SAMPLE_TEXT", "")
    for fixture, _ in images[:6]:
        unmarked = _open(render(fixture, GENERATOR.key))
        # The red overprint takes green and blue out of the pale card and leaves red alone.
        green = ImageChops.subtract(unmarked.getchannel("G"), marked[fixture.id].getchannel("G"))
        red = ImageChops.subtract(unmarked.getchannel("R"), marked[fixture.id].getchannel("R"))
        assert _count(green, 20) > 10_000, fixture.id
        assert _count(red, 20) < _count(green, 20) // 5, fixture.id


def _resaved_jpeg(data: bytes) -> bytes:
    out = io.BytesIO()
    _open(data).save(out, "JPEG", quality=70)  # Pillow keeps the comment on a plain re-save
    return out.getvalue()


def _png_with_exif(data: bytes) -> bytes:
    image = _open(data)
    out = io.BytesIO()
    image.save(out, "PNG", exif=image.getexif())
    return out.getvalue()


def _png_with_text(data: bytes) -> bytes:
    image = _open(data)
    info = PngInfo()
    info.add_text(marker.KEY, image.info["comment"].decode())
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


@pytest.mark.parametrize("resave", [_resaved_jpeg, _png_with_exif, _png_with_text])
def test_the_marker_survives_a_metadata_keeping_resave(images, resave):
    fixture, data = images[1]
    again = resave(data)
    assert again != data
    assert open_image(again).marker == {"pack": GENERATOR.key, "fixture": fixture.id, "side": fixture.side}


def test_a_resave_that_drops_the_metadata_drops_the_marker(images):
    out = io.BytesIO()
    _open(images[0][1]).save(out, "BMP")
    assert open_image(out.getvalue()).marker is None


@pytest.fixture
def no_cjk_font(monkeypatch):
    caches = (render_module._font, render_module._template, render_module._sample_overlay)

    def clear() -> None:
        for cache in caches:
            cache.cache_clear()

    clear()
    monkeypatch.setattr(render_module, "cjk_font_path", lambda: None)
    yield
    monkeypatch.undo()
    clear()


def test_without_a_cjk_font_images_are_still_valid_and_marked(no_cjk_font, tmp_path):
    assert "no CJK font found" in font_note()
    fixture = GENERATOR.fixture(0)
    data = render(fixture, GENERATOR.key)
    assert _open(data).size == (1280, 960)
    assert open_image(data).marker["fixture"] == fixture.id
    result = CliRunner().invoke(main, ["fixtures", "generate", "--count", "2", "--seed", "1",
                                       "--out", str(tmp_path / "pack")])
    assert result.exit_code == 0, result.output
    assert "warning: no CJK font found" in result.stderr
    assert (tmp_path / "pack" / "manifest.json").is_file()


def test_every_variant_renders_wherever_the_card_lies():
    # Multiple warnings put the card partly outside the frame, on any edge, with a thumb on it;
    # with this seed, among them a portrait far out at the top and an emblem far out at the bottom.
    generator = PackGenerator(28, invalid_share=1.0)
    first: dict[str, int] = {}
    several = []
    for index in range(400):
        name = generator.variant_of(index).name
        first.setdefault(name, index)
        if name == "multiple_warnings" and len(several) < 12:
            several.append(index)
    assert set(first) == {v.name for v in VARIANTS} - {"clean"}
    for index in sorted(set(first.values()) | set(several)):
        data = render(generator.fixture(index), generator.key)
        assert 100_000 <= len(data) <= 500_000, index
