"""Brazilian formats: CPF/CNPJ, CEP, phones, e-mails, money, dates and numbers in words."""
