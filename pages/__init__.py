"""Blueprint: public pages anyone may open (the landing page and /verificar)."""
from .views import bp

__all__ = ["bp"]
