"""What every panel template may call: the grouped menu and the friendly reading of a delivery error."""
from firma.delivery.failures import explain

from . import bp
from .navigation import admin_nav

# A global (not a context variable) so that imported macros, which get no context, can call it too.
bp.add_app_template_global(explain, "delivery_failure")


@bp.context_processor
def _panel_globals() -> dict:
    return {"admin_nav": admin_nav}
