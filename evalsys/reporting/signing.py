"""PAdES signatures on issued reports with pyHanko: bytes in, signed bytes out; a self-signed issuer
certificate for the demo; validation against a given trust root (tests, verification tools)."""
from __future__ import annotations

import datetime as dt
import io
import os
import threading
from dataclasses import dataclass
from pathlib import Path

KEY_FILE = "issuer-key.pem"
CERT_FILE = "issuer-cert.pem"


class SigningUnavailable(RuntimeError):
    """No usable signing key/certificate: the message names the settings that fix it."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"无法签署报告：{detail}。请在设置 EVALSYS_SIGNING_KEY_PATH、EVALSYS_SIGNING_CERT_PATH "
            f"（及 EVALSYS_SIGNING_KEY_PASSPHRASE）中配置出具单位的私钥和证书（PEM）。 "
            f"Cannot sign reports: {detail}. Configure SIGNING_KEY_PATH, SIGNING_CERT_PATH "
            f"(and SIGNING_KEY_PASSPHRASE) with the issuer's PEM key and certificate."
        )


@dataclass(frozen=True)
class SigningMaterial:
    key_path: str
    cert_path: str
    passphrase: bytes | None = None


def create_self_signed(directory: str | os.PathLike[str], common_name: str = "evalsys 演示签章（自签名）",
                       organisation: str = "商务部电子商务和信息化司（演示）") -> SigningMaterial:
    """Create (once) an RSA-2048 key and a self-signed certificate valid 10 years under `directory`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    folder = Path(directory)
    key_path, cert_path = folder / KEY_FILE, folder / CERT_FILE
    if key_path.exists() and cert_path.exists():
        return SigningMaterial(str(key_path), str(cert_path))
    folder.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    key_bytes = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # the key is readable by us only
    with os.fdopen(fd, "wb") as fh:
        fh.write(key_bytes)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return SigningMaterial(str(key_path), str(cert_path))


_lock = threading.Lock()
_signers: dict[tuple[str, str, float, float], tuple[object, int]] = {}


def _fast_signer(loaded):
    """The loaded SimpleSigner with its private key parsed once: pyHanko's own sign_raw parses
    (and re-validates) the key on every signature, which cost more than the rest of signing."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from pyhanko.sign.general import get_pyca_cryptography_hash
    from pyhanko.sign.signers import SimpleSigner

    class CachedKeySigner(SimpleSigner):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._pyca_key = serialization.load_der_private_key(self.signing_key.dump(), password=None)

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            try:
                algo = mechanism.signature_algo
            except ValueError:
                algo = mechanism["algorithm"].native
            key = self._pyca_key
            if algo == "rsassa_pkcs1v15" and isinstance(key, RSAPrivateKey):
                return key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
            if algo == "ecdsa" and isinstance(key, EllipticCurvePrivateKey):
                return key.sign(data, ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
            return super().sign_raw(data, digest_algorithm)  # PSS and others: pyHanko's own path

    return CachedKeySigner(signing_cert=loaded.signing_cert, signing_key=loaded.signing_key,
                           cert_registry=loaded.cert_registry, signature_mechanism=loaded.signature_mechanism,
                           prefer_pss=loaded.prefer_pss)


def _reserved_bytes(signer) -> int:
    """Room for the CMS container (hex doubles it): certificates, signed attributes and a signature
    of up to 8192 bits, with margin. Fixed per signer, so pyHanko skips its dry-run estimate."""
    certs = [signer.signing_cert, *list(signer.cert_registry)]
    return 2 * (sum(len(c.dump()) for c in certs) + 4096)


def _signer(material: SigningMaterial):
    """(signer, bytes to reserve) for the material, loaded once per file version."""
    from pyhanko.sign import signers

    for p in (material.key_path, material.cert_path):
        if not os.path.isfile(p):
            raise SigningUnavailable(f"找不到文件 / file not found: {p}")
    key = (material.key_path, material.cert_path, os.path.getmtime(material.key_path),
           os.path.getmtime(material.cert_path))
    with _lock:
        cached = _signers.get(key)
        if cached is None:
            loaded = signers.SimpleSigner.load(material.key_path, material.cert_path,
                                               key_passphrase=material.passphrase)
            if loaded is None:
                raise SigningUnavailable("私钥或证书无法读取（口令错误或格式不是PEM）")
            signer = _fast_signer(loaded)
            cached = _signers[key] = (signer, _reserved_bytes(signer))
    return cached


def sign_pdf(data: bytes, material: SigningMaterial, *, reason: str = "绩效评价报告出具",
             location: str = "北京") -> bytes:
    """A PAdES (B-B) signature over the whole file, in an invisible field (no unembedded
    appearance font), appended as an incremental update: the unsigned bytes stay a prefix."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    meta = signers.PdfSignatureMetadata(field_name="EvalsysIssuerSignature", md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES, reason=reason, location=location)
    signer, reserved = _signer(material)
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    out = io.BytesIO()
    signers.sign_pdf(writer, meta, signer=signer, output=out, bytes_reserved=reserved)
    return out.getvalue()


@dataclass(frozen=True)
class SignatureCheck:
    """The outcome of validating a signed report against a trust root."""

    valid: bool  # signature intact, covers the whole file, certificate trusted
    intact: bool
    trusted: bool
    whole_file: bool
    signer: str


def validate_signed(data: bytes, trust_cert_pem: bytes) -> SignatureCheck:
    """Validate the first signature of `data` with `trust_cert_pem` as the only trust root."""
    from asn1crypto import pem, x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    _, _, der = pem.unarmor(trust_cert_pem)
    root = asn1_x509.Certificate.load(der)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        sigs = reader.embedded_signatures
    except Exception:  # a damaged file is simply not valid
        return SignatureCheck(False, False, False, False, "")
    if not sigs:
        return SignatureCheck(False, False, False, False, "")
    try:
        status = validate_pdf_signature(sigs[0], ValidationContext(trust_roots=[root], allow_fetching=False))
    except Exception:
        return SignatureCheck(False, False, False, False, "")
    whole = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
    signer = status.signing_cert.subject.human_friendly if status.signing_cert else ""
    return SignatureCheck(bool(status.bottom_line and whole), bool(status.intact and status.valid),
                          bool(status.trusted), whole, signer)
