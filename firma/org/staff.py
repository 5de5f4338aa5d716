"""Staff accounts: sign-in, users and roles, the one permission check, personal API tokens and stored signatures."""
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.exceptions import Forbidden
from werkzeug.security import check_password_hash, generate_password_hash

from firma.br.emails import normalise_email
from firma.br.identifiers import normalise_cpf
from firma.extensions import db
from firma.models import PERMISSIONS, StaffRole, User, utcnow
from firma.platform.errors import Refusal, friendly, normalised, optional_normalised
from firma.platform.tokens import hash_token, new_token
from firma.signing import signature_image

MIN_PASSWORD = 10
# A constant hash to compare against when the e-mail is unknown, so timing does not reveal accounts.
_DUMMY_HASH = generate_password_hash("firma-dummy-password")
# One answer whether the e-mail is taken here or in another organization, so it never tells that an address
# has an account elsewhere (nor which).
EMAIL_UNAVAILABLE = "Não foi possível usar este e-mail; escolha outro."


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None; records the login time."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    user.last_login_at = utcnow()
    return user


def check(user: User | None, permission: str | None, refused: Refusal | None = None) -> None:
    """The single permission check: a pt-BR 403 when the user may not, or `refused` when a service passes one.

    A service refuses with a Refusal when only one choice of a form needs the permission (sending on
    save), so the person sees the form again with the message beside that choice.
    """
    if user is None or not user.active:
        raise friendly(Forbidden, "Entre com sua conta para continuar.")
    if permission is not None and not user.can(permission):
        raise refused or friendly(Forbidden, f"Você não tem permissão para esta ação ({PERMISSIONS[permission]}).")


def save_user(user: User | None, *, name: str, email: str, role: str, extra_permissions: list[str],
              active: bool = True, cpf: str = "", password: str = "") -> User:
    """Create or update a staff user; the password is only changed when one is given."""
    if role not in tuple(StaffRole):
        raise Refusal("Perfil inválido.", "role")
    unknown = set(extra_permissions) - set(PERMISSIONS)
    if unknown:
        raise Refusal("Permissão desconhecida: " + ", ".join(sorted(unknown)), "extra_permissions")
    email = normalised(normalise_email, email, "email")
    cpf = optional_normalised(normalise_cpf, cpf, "cpf")
    # E-mails sign in without naming the provider, so they are unique across organizations.
    other = db.session.scalar(select(User).where(func.lower(User.email) == email.lower())
                              .execution_options(unscoped=True))
    if other is not None and other is not user:
        raise Refusal(EMAIL_UNAVAILABLE, "email")
    if user is None:
        if not password:
            raise Refusal("Defina uma senha para o novo usuário.", "password")
        user = User(password_hash="")
        db.session.add(user)
    user.name, user.email, user.role = name.strip(), email, role
    user.extra_permissions = sorted(set(extra_permissions))
    if user.active and not active and user.id is not None:
        end_sessions(user)  # a deactivated user's open sessions stop at their next request
    user.active = active
    user.cpf = cpf
    if password:
        set_password(user, password)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Hash and store a new password of at least MIN_PASSWORD characters."""
    if len(password) < MIN_PASSWORD:
        raise Refusal(f"A senha precisa de pelo menos {MIN_PASSWORD} caracteres.", "password")
    user.password_hash = generate_password_hash(password)
    if user.id is not None:
        end_sessions(user)


def end_sessions(user: User) -> None:
    """Invalidate every session cookie of this user (logout, password change, deactivation), in SQL."""
    value = db.session.execute(
        update(User).where(User.id == user.id).values(session_version=User.session_version + 1)
        .returning(User.session_version).execution_options(synchronize_session=False)).scalar_one()
    set_committed_value(user, "session_version", value)


def issue_api_token(user: User) -> str:
    """A new personal API token (shown once); the previous one stops working."""
    token = new_token()
    user.api_token_hash, user.api_token_created_at = hash_token(token), utcnow()
    return token


def revoke_api_token(user: User) -> None:
    """Revoke the user's personal API token (automatic signing stops)."""
    user.api_token_hash = user.api_token_created_at = None


def save_signature(user: User, data_url: str) -> User:
    """Store the user's drawn signature (signature_pad PNG) for automatic signing."""
    user.signature_png = signature_image.clean_png(data_url)
    return user
