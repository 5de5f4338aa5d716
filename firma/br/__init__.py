"""Brazilian formats: CPF/CNPJ, phones, e-mails, money, dates and numbers in words."""
