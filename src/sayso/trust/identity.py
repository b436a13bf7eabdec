"""The signing identity behind each video's C2PA manifest.

By default sayso makes its own on first use, in `<data dir>/identity/`: a root CA, an
intermediate CA and a signing certificate (EC P-256, SHA-256). C2PA refuses a signing
certificate that is self-signed, is a CA, or lacks a signing extended key usage, hence
the three levels and the emailProtection EKU. Only the signing key is kept; the two CA
keys are thrown away once used, so nothing on disk can mint another certificate that
chains to this machine's root.

A user with a real certificate sets SAYSO_SIGNING_CERT (PEM chain, signing certificate
first) and SAYSO_SIGNING_KEY (its PEM private key, unencrypted).
"""

from __future__ import annotations

import datetime
import errno
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sayso.errors import BadOptionError, OutputError
from sayso.settings import data_dir

CERT_ENV = "SAYSO_SIGNING_CERT"
KEY_ENV = "SAYSO_SIGNING_KEY"

FOLDER = "identity"
ROOT_FILE = "root.pem"  # the local root certificate: the trust anchor
CHAIN_FILE = "chain.pem"  # signing certificate, then the intermediate
KEY_FILE = "signer.key"  # the signing key, PKCS#8, mode 0600

# Without a timestamp authority (sayso is offline) a manifest is checked against the
# certificate's validity at reading time, so the signing certificate must outlive the
# videos people keep: 10 years, inside CAs that outlive it.
ROOT_YEARS, INTERMEDIATE_YEARS, SIGNER_YEARS = 30, 20, 10
_CLOCK_SKEW = datetime.timedelta(hours=1)  # "not before" an hour ago: tolerate skewed clocks

if TYPE_CHECKING:  # cryptography loads late: `import sayso` stays fast
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

_ALGORITHMS = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}


@dataclass(frozen=True)
class Identity:
    """A certificate chain and its key, as c2pa wants them (PEM)."""

    chain_pem: bytes  # signing certificate first, then intermediates; no root
    key_pem: bytes  # the signing certificate's private key, PKCS#8
    root_pem: bytes | None  # the root the chain ends in, when known
    local: bool  # True: sayso's own generated root; False: configured by the user


def identity() -> Identity:
    """The configured signing identity, else the local one, created on first use.

    Raises BadOptionError for a bad SAYSO_SIGNING_CERT / SAYSO_SIGNING_KEY, OutputError
    when the data folder cannot be written or the local identity is damaged.
    """
    if os.environ.get(CERT_ENV) or os.environ.get(KEY_ENV):
        return _configured()
    folder = data_dir() / FOLDER
    if not (folder / KEY_FILE).exists():
        _create(folder)
    return _load_local(folder)


def trust_anchors() -> bytes:
    """PEM roots whose chains count as "trusted": this machine's local root, if one was
    ever made, and the root at the end of a configured chain, if it includes one.

    Creates nothing: b"" when there is no root yet (then nothing can verify as trusted).
    """
    roots = b""
    try:
        local_root: Path | None = data_dir() / FOLDER / ROOT_FILE
    except OutputError:
        local_root = None  # a data folder that cannot even be created holds no root
    if local_root is not None and local_root.is_file():
        roots += _read_local(local_root)
    if os.environ.get(CERT_ENV) or os.environ.get(KEY_ENV):
        roots += _configured().root_pem or b""
    return roots


def signing_algorithm(ident: Identity) -> str:
    """The C2PA signing algorithm for the identity's key: es256, es384, es512, ps256
    or ed25519 (c2pa names)."""
    return _algorithm(_parse_key(ident.key_pem, "the signing key"))


# ---------------------------------------------------------------------------- local


def _create(folder: Path) -> None:
    """Make a new local identity in a hidden folder, then rename it into place.

    A folder rename is atomic: when two processes start together one rename wins and
    the other finds `folder` already full, throws its own away and loads the winner's.
    """
    parent = folder.parent
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=parent))  # 0700
    except OSError as error:
        raise _unwritable(parent, error) from None
    try:
        _write_identity(staging)
        try:
            os.rename(staging, folder)
        except OSError as error:
            if error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
    except OSError as error:
        raise _unwritable(parent, error) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already when the rename won


def _write_identity(folder: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    root_cert, chain, signer_key = _new_chain()
    key_pem = signer_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pem = serialization.Encoding.PEM
    _write_file(folder / KEY_FILE, key_pem, 0o600)
    _write_file(folder / CHAIN_FILE, b"".join(c.public_bytes(pem) for c in chain), 0o644)
    _write_file(folder / ROOT_FILE, root_cert.public_bytes(pem), 0o644)


def _write_file(path: Path, data: bytes, mode: int) -> None:
    """Create with its final mode from the start (a key is never readable by others,
    not even for a moment) and flush to disk before the folder is renamed."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(handle, data)
        os.fchmod(handle, mode)  # the umask may have narrowed the public files; fine either way
        os.fsync(handle)
    finally:
        os.close(handle)


def _new_chain() -> tuple[x509.Certificate, list[x509.Certificate], ec.EllipticCurvePrivateKey]:
    """Root CA -> intermediate CA -> signing certificate, each with a fresh P-256 key:
    (root, [signer, intermediate], signer's key)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    now = datetime.datetime.now(datetime.timezone.utc)
    root_key, middle_key, signer_key = (ec.generate_private_key(ec.SECP256R1()) for _ in "rms")
    root = _certificate("sayso local root", root_key, None, root_key, now, ROOT_YEARS, 1)
    middle = _certificate(
        "sayso local intermediate", middle_key, root, root_key, now, INTERMEDIATE_YEARS, 0
    )
    signer = _certificate("sayso signer", signer_key, middle, middle_key, now, SIGNER_YEARS, None)
    return root, [signer, middle], signer_key


def _certificate(
    common_name: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: ec.EllipticCurvePrivateKey,
    now: datetime.datetime,
    years: int,
    ca_path_length: int | None,
) -> x509.Certificate:
    """One X.509 v3 certificate; `issuer` None means self-signed; `ca_path_length` None
    means an end-entity (signing) certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sayso (local)"),
    ])  # fmt: skip
    is_ca = ca_path_length is not None
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CLOCK_SKEW)
        .not_valid_after(now + datetime.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=ca_path_length), critical=True)
        .add_extension(_key_usage(is_ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if not is_ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _key_usage(is_ca: bool) -> x509.KeyUsage:
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=not is_ca, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=is_ca, crl_sign=is_ca,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip


def _load_local(folder: Path) -> Identity:
    chain_pem = _read_local(folder / CHAIN_FILE)
    key_pem = _read_local(folder / KEY_FILE)
    root_pem = _read_local(folder / ROOT_FILE)
    try:
        chain = _parse_chain(chain_pem, "the local chain")
        _check_pair(chain[0], _parse_key(key_pem, "the local key"), "the local identity")
    except BadOptionError as error:
        raise OutputError(
            f"sayso's signing identity in {folder} is damaged ({error}); "
            "delete that folder and sayso will make a new one"
        ) from None
    return Identity(chain_pem=chain_pem, key_pem=key_pem, root_pem=root_pem, local=True)


def _read_local(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise OutputError(
            f"cannot read sayso's signing identity {path}: {error.strerror}; "
            f"fix its permissions, or delete {path.parent} and sayso will make a new one"
        ) from None


def _unwritable(folder: Path, error: OSError) -> OutputError:
    return OutputError(
        f"cannot create sayso's signing identity in {folder}: {error.strerror or error}; "
        "set SAYSO_DATA_DIR to a folder you can write"
    )


# ---------------------------------------------------------------------------- configured


def _configured() -> Identity:
    """Load and check the user's SAYSO_SIGNING_CERT / SAYSO_SIGNING_KEY pair."""
    from cryptography.hazmat.primitives import serialization

    cert_path, key_path = os.environ.get(CERT_ENV), os.environ.get(KEY_ENV)
    if not cert_path or not key_path:
        missing = KEY_ENV if cert_path else CERT_ENV
        raise BadOptionError(
            f"{CERT_ENV} and {KEY_ENV} go together: set {missing} too, or unset both "
            "to use sayso's local identity"
        )
    chain = _parse_chain(_read_configured(cert_path, CERT_ENV), f"{CERT_ENV} {cert_path}")
    key = _parse_key(_read_configured(key_path, KEY_ENV), f"{KEY_ENV} {key_path}")
    _check_pair(chain[0], key, f"{CERT_ENV} {cert_path}")
    _algorithm(key)  # refuse an unsupported key now, not halfway through a render
    root = chain[-1] if len(chain) > 1 and chain[-1].issuer == chain[-1].subject else None
    pem = serialization.Encoding.PEM
    return Identity(
        chain_pem=b"".join(c.public_bytes(pem) for c in (chain[:-1] if root else chain)),
        key_pem=key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        root_pem=root.public_bytes(pem) if root else None,
        local=False,
    )


def _read_configured(path: str, variable: str) -> bytes:
    try:
        return Path(path).expanduser().read_bytes()
    except OSError as error:
        raise BadOptionError(
            f"cannot read {variable} {path}: {error.strerror or error}; "
            "point it at a readable PEM file"
        ) from None


def _parse_chain(data: bytes, what: str) -> list[x509.Certificate]:
    from cryptography import x509

    try:
        chain = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise BadOptionError(
            f"{what} holds no PEM certificate: give a PEM chain, signing certificate first"
        ) from None
    now = datetime.datetime.now(datetime.timezone.utc)
    signer = chain[0]
    start, end = signer.not_valid_before_utc, signer.not_valid_after_utc
    if not start <= now <= end:
        raise BadOptionError(
            f"{what}: the signing certificate is valid only from {start:%Y-%m-%d} "
            f"to {end:%Y-%m-%d}; use a current certificate"
        )
    return chain


def _parse_key(data: bytes, what: str) -> PrivateKeyTypes:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    try:
        return serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):  # garbage, encrypted, unknown
        raise BadOptionError(
            f"{what} is not an unencrypted PEM private key: give the signing "
            "certificate's key (decrypt it first with openssl pkey)"
        ) from None


def _check_pair(certificate: x509.Certificate, key: PrivateKeyTypes, what: str) -> None:
    from cryptography.hazmat.primitives import serialization

    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if certificate.public_key().public_bytes(*spki) != key.public_key().public_bytes(*spki):
        raise BadOptionError(
            f"{what}: the private key does not belong to the first certificate; "
            "put the signing certificate first and give its own key"
        )


def _algorithm(key: PrivateKeyTypes) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name in _ALGORITHMS:
        return _ALGORITHMS[key.curve.name]
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"  # C2PA allows RSA only with PSS padding
    raise BadOptionError(
        f"{KEY_ENV}: a {type(key).__name__} key cannot sign C2PA manifests; "
        "use an EC P-256/P-384/P-521, Ed25519 or RSA key"
    )
