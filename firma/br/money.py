"""Money in the Brazilian format: R$ 1.234,56."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def money(value: Decimal) -> str:
    """Brazilian currency: R$ 1.234,56."""
    cents = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{cents:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return f"R$ {text}"
