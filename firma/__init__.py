"""Firma: electronic signatures for Brazilian ISPs."""
from firma.app import create_app

__all__ = ["create_app"]
