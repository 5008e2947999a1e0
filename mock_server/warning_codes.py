"""The 8-character warning masks of `warning` and `multiWarning` (§5c), in one place.

One '0'/'1' per warning, position 1 first. `multiWarning` (多重告警码) carries every warning of
the image; `warning` carries only the first of them (lowest position). The vendor documents the
multi-warning example 10010100, not how the single field chooses: that rule is assumed.
"""

from __future__ import annotations

from collections.abc import Iterable

WARNING_BITS = 8
NO_WARNING = "0" * WARNING_BITS

# Bit position → (slug, the vendor's wording, plain English). Positions 7 and 8 are undocumented.
WARNINGS = {
    1: ("border-incomplete", "身份证边框不完整", "the card's border is cut off"),
    2: ("photocopy", "身份证复印件", "the image is a photocopy"),
    3: ("invalid-validity-date", "身份证日期不合法", "the validity period is not a legal term"),
    4: ("screen-reshoot", "身份证翻拍件", "the image was photographed off a screen"),
    5: ("temporary-id", "临时身份证", "the card is a temporary ID"),
    6: ("occlusion", "身份证框内遮挡", "something covers part of the card"),
}
# The documented multi-warning example, 10010100 (§5c).
MULTI_WARNING_EXAMPLE = (1, 4, 6)


def multi_warning(positions: Iterable[int]) -> str:
    """The mask with every position of `positions` set."""
    chosen = set(positions)
    return "".join("1" if p in chosen else "0" for p in range(1, WARNING_BITS + 1))


def warning(positions: Iterable[int]) -> str:
    """The mask with only the first (lowest) position of `positions` set."""
    first = min(positions, default=None)
    return NO_WARNING if first is None else multi_warning((first,))


def decode(mask: str) -> list[tuple[int, str, str, str]]:
    """(position, slug, the vendor's wording, plain English) for every bit set in `mask`; a bit
    the vendor does not document is named as such."""
    return [
        (position, *WARNINGS.get(position, ("undocumented", "", f"bit {position}, which the vendor "
                                            "does not document")))
        for position, bit in enumerate(mask, 1) if bit == "1"
    ]
