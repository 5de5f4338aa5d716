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
