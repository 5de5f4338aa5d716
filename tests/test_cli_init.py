"""`firma init` creates an instance whose seal chains to a root people can trust once."""
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12

from firma import create_app
from firma.extensions import db
from firma.sealing import finalise


def test_init_writes_the_seal_and_its_root_and_keeps_them_on_a_rerun(tmp_path):
    instance = tmp_path / "instance"
    app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "k" * 40, "SEAL_CHECK_AT_START": False,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'init.sqlite3'}"}, instance_path=str(instance))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    root = x509.load_pem_x509_certificate((instance / "seal-root.pem").read_bytes())
    passphrase = (instance / "seal.pass").read_text().encode()
    _, leaf, extra = pkcs12.load_key_and_certificates((instance / "seal.p12").read_bytes(), passphrase)
    leaf.verify_directly_issued_by(root)
    assert extra == [root]
    assert str(instance / "seal-root.pem") in result.output
    before = (instance / "seal-root.pem").read_bytes(), (instance / "seal.p12").read_bytes()
    assert runner.invoke(args=["init"]).exit_code == 0
    assert ((instance / "seal-root.pem").read_bytes(), (instance / "seal.p12").read_bytes()) == before
    with app.app_context():
        assert finalise.sealer(app).certificate.issuer.native["common_name"] == root.subject.get_attributes_for_oid(
            x509.NameOID.COMMON_NAME)[0].value
        db.engine.dispose()
