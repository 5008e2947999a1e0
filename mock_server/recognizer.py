"""What an image "says": the side, and either the card's fields or the vendor's failure code.

Recognizers are tried in order; the first that claims an image answers. Fixture packs put their
own recognizer in front of the synthetic one, which answers every other readable image with a
deterministic person derived from the image's digest (same image, same person).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from mock_server.identity import IdentityGenerator
from mock_server.images import CardImage
from mock_server.warning_codes import NO_WARNING

PORTRAIT = "portrait"
EMBLEM = "emblem"
SIDES = (PORTRAIT, EMBLEM)

# Legacy cardType values (§7): "0" portrait, "1" emblem.
CARD_TYPES = {"0": PORTRAIT, "1": EMBLEM}


@dataclass(frozen=True)
class Recognition:
    side: str
    code: str = "0"
    fields: dict[str, str] = field(default_factory=dict)
    warning: str = NO_WARNING
    multi_warning: str = NO_WARNING
    clarity: str = "80"


class Recognizer(Protocol):
    def recognize(self, image: CardImage, requested_side: str | None) -> Recognition | None:
        """The answer for `image`, or None when this recognizer does not know it."""
        ...


class SyntheticRecognizer:
    """Any readable image: a realistic person seeded by the image's SHA-256.

    The side is the one the image's marker names, else the one asked for with cardType, else the
    configured default.
    """

    def __init__(self, as_of: date, default_side: str = PORTRAIT) -> None:
        self._people = IdentityGenerator(as_of)
        self._default_side = default_side

    def recognize(self, image: CardImage, requested_side: str | None) -> Recognition:
        marked = (image.marker or {}).get("side")
        side = marked if marked in SIDES else requested_side or self._default_side
        seed = int(image.digest[:16], 16)
        person = self._people.generate(seed)
        fields = person.portrait_fields() if side == PORTRAIT else person.emblem_fields()
        # Clarity: the vendor's examples sit between 64 and 79 on an undocumented scale (§5c).
        return Recognition(side=side, fields=fields, clarity=str(60 + seed % 36))


class RecognizerChain:
    def __init__(self, recognizers: Sequence[Recognizer], fallback: SyntheticRecognizer) -> None:
        self._recognizers = list(recognizers)
        self._fallback = fallback

    def add(self, recognizer: Recognizer) -> None:
        self._recognizers.append(recognizer)

    def recognize(self, image: CardImage, requested_side: str | None) -> Recognition:
        for recognizer in self._recognizers:
            answer = recognizer.recognize(image, requested_side)
            if answer is not None:
                return answer
        return self._fallback.recognize(image, requested_side)
