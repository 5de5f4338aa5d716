"""Money in the Brazilian format: R$ 1.234,56."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


def money(value: Decimal | int | str | None) -> str:
    """Brazilian currency, rounded half-up to the cent in Decimal (never float): R$ 1.234,56; none is R$ 0,00."""
    cents = Decimal(str(value) if value is not None else "0").quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{cents:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return f"R$ {text}"


def money_input(value: Decimal | int | str | None) -> str:
    """The value as a person types it back into a form: 1234,56 (no symbol, no thousands dot); "" for none."""
    if value is None or value == "":
        return ""
    if not isinstance(value, Decimal | int):
        return str(value)  # what was typed is redisplayed as typed
    cents = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{cents:.2f}".replace(".", ",")


def parse_money(value: str | Decimal | int | None) -> Decimal:
    """A typed amount ("129,90", "1.299,90", "R$ 99,9", "99.90") as Decimal; InvalidOperation when it is none."""
    if isinstance(value, Decimal | int):
        return Decimal(value)
    text = (value or "").strip().removeprefix("R$").strip().replace(" ", "") or "0"
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    amount = Decimal(text)
    if not amount.is_finite():
        raise InvalidOperation(text)
    return amount
