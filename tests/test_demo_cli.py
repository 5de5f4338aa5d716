"""`firma demo`: JSON lines with each signer's link and CPF plus a fresh API token (the previous one revoked);
`firma demo --guia` says the same in pt-BR for `make run`."""
import json

from firma import demo as demo_data


def test_demo_prints_a_fresh_api_token_each_run(app, db, client):
    runner = app.test_cli_runner()
    assert "login do painel: admin@firma.local" in runner.invoke(args=["seed"]).output
    first = [json.loads(line) for line in runner.invoke(args=["demo"]).output.splitlines()]
    assert first[0]["envelope"].startswith("FRM-")
    signers = [line for line in first if "role" in line]
    assert {s["cpf"] for s in signers} >= {"52998224725", "15350946056"}
    old = first[-1]["api_token"]
    new = json.loads(runner.invoke(args=["demo"]).output.splitlines()[-1])["api_token"]
    assert new != old
    answer = lambda token: client.get("/api/v1/envelopes", headers={"Authorization": f"Bearer {token}"}).status_code
    assert answer(new) == 200 and answer(old) == 401


def test_demo_guide_is_in_portuguese(app, db):
    runner = app.test_cli_runner()
    runner.invoke(args=["seed"])
    output = runner.invoke(args=["demo", "--guia"]).output
    assert "Painel da equipe: http" in output and "/admin/" in output
    assert f"e-mail: {demo_data.ADMIN_EMAIL}" in output and "senha:" in output
    assert "Cliente: Maria da Silva Souza (CPF 529.982.247-25)" in output and "link: http" in output
    assert 'curl -H "Authorization: Bearer ' in output
