import pytest

from firma.br import emails, identifiers, phones


@pytest.mark.parametrize("cpf", ["529.982.247-25", "52998224725", "111.444.777-35"])
def test_valid_cpf(cpf):
    assert identifiers.is_valid_cpf(cpf)


@pytest.mark.parametrize("cpf", ["529.982.247-24", "11111111111", "123", "", "5299822472a"])
def test_invalid_cpf(cpf):
    assert not identifiers.is_valid_cpf(cpf)
    with pytest.raises(ValueError, match="CPF inválido"):
        identifiers.normalise_cpf(cpf)


def test_cnpj_and_either():
    assert identifiers.normalise_cpf_cnpj("11.222.333/0001-81") == "11222333000181"
    with pytest.raises(ValueError, match="CNPJ inválido"):
        identifiers.normalise_cpf_cnpj("11.222.333/0001-80")
    with pytest.raises(ValueError, match="CPF .* ou CNPJ"):
        identifiers.normalise_cpf_cnpj("12345")


def test_phone_is_normalised_to_e164():
    assert phones.normalise_phone("(19) 98765-4321") == "+5519987654321"
    assert phones.normalise_phone("+55 11 3333-4444") == "+551133334444"
    with pytest.raises(ValueError, match="Telefone inválido"):
        phones.normalise_phone("12345")


def test_email():
    assert emails.normalise_email(" Maria@Example.com ") == "Maria@example.com"
    with pytest.raises(ValueError, match="E-mail inválido"):
        emails.normalise_email("maria@")


def test_masks_and_formats():
    assert identifiers.format_cpf_cnpj("52998224725") == "529.982.247-25"
    assert identifiers.mask_cpf("52998224725") == "***.982.247-**"


def test_one_money_formatter_is_decimal_safe_and_is_the_page_filter(app):
    from decimal import Decimal

    from firma.br.money import money

    assert money(Decimal("1.005")) == "R$ 1,01"  # half-up on the exact decimal; a float formats 1.00499… as 1,00
    assert money(Decimal("1234.565")) == "R$ 1.234,57" and money("99.9") == "R$ 99,90"
    assert money(None) == "R$ 0,00" and money(1_000_000) == "R$ 1.000.000,00"
    assert app.jinja_env.filters["money"] is money


def test_one_local_time_for_pages_csv_and_manifest(app):
    from datetime import datetime, timezone

    from firma.br.dates import local_time, to_local

    moment = datetime(2026, 11, 24, 1, 30, tzinfo=timezone.utc)
    assert local_time(moment) == "23/11/2026 22:30" and local_time(None) == "—"
    assert to_local(moment).utcoffset().total_seconds() == -3 * 3600
    assert app.jinja_env.filters["local_time"] is local_time
