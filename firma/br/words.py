"""Numbers, money and dates written out in Portuguese ("por extenso")."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

_UNITS = ("zero um dois três quatro cinco seis sete oito nove dez onze doze treze quatorze quinze "
          "dezesseis dezessete dezoito dezenove").split()
_TENS = "_ _ vinte trinta quarenta cinquenta sessenta setenta oitenta noventa".split()
_HUNDREDS = ("_ cento duzentos trezentos quatrocentos quinhentos seiscentos setecentos oitocentos "
             "novecentos").split()
_SCALES = (("", ""), ("mil", "mil"), ("milhão", "milhões"), ("bilhão", "bilhões"))
MONTHS = ("janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro "
          "dezembro").split()


def _below_thousand(n: int) -> str:
    if n == 100:
        return "cem"
    parts = []
    if n >= 100:
        parts.append(_HUNDREDS[n // 100])
        n %= 100
    if n >= 20:
        parts.append(_TENS[n // 10])
        n %= 10
    if n or not parts:
        parts.append(_UNITS[n])
    return " e ".join(parts)


def number_words(n: int) -> str:
    """Cardinal number in pt-BR words, e.g. 1234 → "mil duzentos e trinta e quatro"."""
    if n < 1000:
        return _below_thousand(n)
    groups = []
    while n:
        groups.append(n % 1000)
        n //= 1000
    words: list[str] = []
    for scale in range(len(groups) - 1, -1, -1):
        group = groups[scale]
        if not group:
            continue
        singular, plural = _SCALES[scale]
        if scale == 1 and group == 1:
            text = "mil"
        else:
            text = " ".join(filter(None, (_below_thousand(group), singular if group == 1 else plural)))
        # "e" joins the last non-zero group when it is below 100 or a round hundred: "mil e cem",
        # "dois milhões e quinhentos mil".
        if words and not any(groups[:scale]) and (group < 100 or group % 100 == 0):
            words.append("e")
        words.append(text)
    return " ".join(words)


def money_words(value: Decimal) -> str:
    """Currency in words: "noventa e nove reais e noventa centavos"."""
    cents_total = int(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)
    reais, cents = divmod(cents_total, 100)
    parts = []
    if reais:
        words = number_words(reais)
        # "um milhão de reais", but "um milhão e cem reais".
        de = " de" if reais >= 1_000_000 and reais % 1_000_000 == 0 else ""
        parts.append(f"{words}{de} {'real' if reais == 1 else 'reais'}")
    if cents:
        parts.append(f"{number_words(cents)} {'centavo' if cents == 1 else 'centavos'}")
    return " e ".join(parts) or "zero reais"


def date_words(value: date) -> str:
    """Long date: "23 de novembro de 2026" ("1º de" on the first day, as in legal text)."""
    day = "1º" if value.day == 1 else str(value.day)
    return f"{day} de {MONTHS[value.month - 1]} de {value.year}"
