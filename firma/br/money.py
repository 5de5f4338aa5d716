"""Money in the Brazilian format: R$ 1.234,56."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def money(value: Decimal | int | str | None) -> str:
    """Brazilian currency, rounded half-up to the cent in Decimal (never float): R$ 1.234,56; none is R$ 0,00."""
    cents = Decimal(str(value) if value is not None else "0").quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{cents:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return f"R$ {text}"
