import pytest

from firma import validators as v


@pytest.mark.parametrize("cpf", ["529.982.247-25", "52998224725", "111.444.777-35"])
def test_valid_cpf(cpf):
    assert v.is_valid_cpf(cpf)


@pytest.mark.parametrize("cpf", ["529.982.247-24", "11111111111", "123", "", "5299822472a"])
def test_invalid_cpf(cpf):
    assert not v.is_valid_cpf(cpf)
    with pytest.raises(ValueError, match="CPF inválido"):
        v.normalise_cpf(cpf)


def test_cnpj_and_either():
    assert v.normalise_cpf_cnpj("11.222.333/0001-81") == "11222333000181"
    with pytest.raises(ValueError, match="CNPJ inválido"):
        v.normalise_cpf_cnpj("11.222.333/0001-80")
    with pytest.raises(ValueError, match="CPF .* ou CNPJ"):
        v.normalise_cpf_cnpj("12345")


def test_phone_is_normalised_to_e164():
    assert v.normalise_phone("(19) 98765-4321") == "+5519987654321"
    assert v.normalise_phone("+55 11 3333-4444") == "+551133334444"
    with pytest.raises(ValueError, match="Telefone inválido"):
        v.normalise_phone("12345")


def test_email():
    assert v.normalise_email(" Maria@Example.com ") == "Maria@example.com"
    with pytest.raises(ValueError, match="E-mail inválido"):
        v.normalise_email("maria@")


def test_masks_and_formats():
    assert v.format_cpf_cnpj("52998224725") == "529.982.247-25"
    assert v.mask_cpf("52998224725") == "***.982.247-**"
