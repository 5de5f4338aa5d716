"""The representative's and witness's API tokens in the integration settings: shown once, hashed, revocable."""
import re

from firma.platform.tokens import hash_token
from firma.signing import automatic
from tests.admin_client import post

TOKEN = re.compile(r'id="signer-token-representante"[^>]*value="([^"]+)"')


def test_representative_token_shown_once_enables_automatic_signing_and_revokes(staff, db, integration, make_user):
    rep = make_user("rep@isp.test", name="Rita Representante", signature=True)
    integration.representative = rep
    db.session.commit()
    tab = f"/admin/integracoes/{integration.id}?aba=configuracoes"
    page = staff.get(tab).get_data(as_text=True)
    assert "Representante do provedor: Rita Representante" in page and "Testemunha do provedor: não definido" in page
    response = post(staff, f"/admin/integracoes/{integration.id}/representante/token")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    token = TOKEN.search(response.get_data(as_text=True)).group(1)
    db.session.refresh(rep)
    assert rep.api_token_hash == hash_token(token) and automatic.can_sign_automatically(rep)
    assert token not in staff.get(tab).get_data(as_text=True)
    assert post(staff, f"/admin/integracoes/{integration.id}/testemunha/token").status_code == 400  # nobody set
    assert post(staff, f"/admin/integracoes/{integration.id}/gerente/token").status_code == 404
    assert post(staff, f"/admin/integracoes/{integration.id}/representante/token/revogar").status_code == 302
    db.session.refresh(rep)
    assert rep.api_token_hash is None and not automatic.can_sign_automatically(rep)
