"""Fibre and buffer-tube colour codes (TIA-598 by default; a CableType names its scheme).

TIA-598 order: 1 blue, 2 orange, 3 green, 4 brown, 5 slate, 6 white, 7 red, 8 black, 9 yellow, 10 violet,
11 rose, 12 aqua. Tubes use the same order. Past 12 the sequence repeats with a black stripe (a black fibre gets
a yellow one); each further 12 adds another stripe: position 13 is blue with one black stripe, 20 black with a
yellow stripe, 25 blue with two black stripes.
"""

from dataclasses import dataclass

from .choices import ColourScheme

TIA_598 = (
    "blue",
    "orange",
    "green",
    "brown",
    "slate",
    "white",
    "red",
    "black",
    "yellow",
    "violet",
    "rose",
    "aqua",
)

# The sequences by scheme; another country's or vendor's order is one more entry here and in ColourScheme.
SCHEMES: dict[str, tuple[str, ...]] = {ColourScheme.TIA_598: TIA_598}

# CSS colours for the console and the map (slate and rose have no CSS name).
HEX = {
    "blue": "#0072ce",
    "orange": "#ff8200",
    "green": "#00a651",
    "brown": "#8b4513",
    "slate": "#708090",
    "white": "#f5f5f5",
    "red": "#e10600",
    "black": "#000000",
    "yellow": "#ffd100",
    "violet": "#8f3fb5",
    "rose": "#ff9eb5",
    "aqua": "#00c4d4",
}


@dataclass(frozen=True)
class Colour:
    colour: str
    stripe: str  # "" when unstriped
    stripe_count: int

    @property
    def label(self) -> str:
        if not self.stripe_count:
            return self.colour
        stripes = "stripe" if self.stripe_count == 1 else f"{self.stripe_count} stripes"
        return f"{self.colour}/{self.stripe} {stripes}"


def colour_of(position: int, scheme: str = ColourScheme.TIA_598) -> Colour:
    """The colour of the `position`-th (1-based) tube or fibre in its group."""
    if position < 1:
        raise ValueError("positions start at 1")
    sequence = SCHEMES[scheme]
    base = sequence[(position - 1) % len(sequence)]
    stripe_count = (position - 1) // len(sequence)
    if not stripe_count:
        return Colour(base, "", 0)
    return Colour(base, "yellow" if base == "black" else "black", stripe_count)


def strand_number(*, tube: int, position: int, fibers_per_tube: int) -> int:
    """Strand number across the cable: (tube - 1) * fibers_per_tube + position."""
    return (tube - 1) * fibers_per_tube + position


def strand_place(number: int, *, fibers_per_tube: int) -> tuple[int, int]:
    """(tube, position in tube) of strand `number`."""
    return (number - 1) // fibers_per_tube + 1, (number - 1) % fibers_per_tube + 1
