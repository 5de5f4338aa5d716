"""The ISP's records: customers and contacts, contracts and terms, service orders."""
