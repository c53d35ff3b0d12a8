"""Seal a secret letter's content in its holder's own rows: the cryptography, no database.

The envelope format (exchange/envelope/encryption.py) needs a numbered, dated letter and one
key per envelope; a draft has neither a number nor a final content, and it changes. The copy an
agency keeps of its own secret letter is therefore sealed in a simpler form:

* a **box** holds the letter's content (a small JSON document): AES-256-GCM under a fresh
  256-bit key used for that box only, the key wrapped with RSA-OAEP (SHA-256, MGF1-SHA-256) to
  the holder agency's encryption certificate; every change seals a new box with a new key;
* each **file** is AES-256-GCM under a key of its own, streamed chunk by chunk as it is
  stored (nothing in the clear ever reaches the storage); the file keys live inside the box;
* a fresh key per box and per file makes a fixed nonce safe (one encryption per key);
* the associated data binds a box to the agency and the letter, and a file to the agency, so a
  box copied to another letter's row does not open.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import IO, Any

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
TAG_BYTES = 16
# One encryption per key (fresh for every box and every file), so a constant nonce is unique.
_NONCE = bytes(12)
_BOX_AAD = b"saraban-hub/sealed-letter/v1"
_FILE_AAD = b"saraban-hub/sealed-file/v1"


class SealUnreadable(Exception):
    """A box or file does not open: altered bytes, another letter's box, or the wrong key."""


@dataclass(frozen=True)
class SealedBox:
    certificate_sha256: str  # of the encryption certificate the key is wrapped to
    wrapped_key: bytes
    ciphertext: bytes


def _oaep() -> padding.OAEP:
    return padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None
    )


def box_associated_data(*, agency_key: str, letter_pk: int) -> bytes:
    return b"|".join([_BOX_AAD, agency_key.encode("utf-8"), str(letter_pk).encode("ascii")])


def file_associated_data(*, agency_key: str) -> bytes:
    return b"|".join([_FILE_AAD, agency_key.encode("utf-8")])


def certificate_fingerprint(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def box_seal(
    plaintext: bytes, *, certificate: x509.Certificate, associated_data: bytes
) -> SealedBox:
    """Encrypt under a fresh key and wrap the key to the certificate's RSA public key."""
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise ValueError("Only an RSA encryption certificate can hold a sealed letter.")
    key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
    return SealedBox(
        certificate_sha256=certificate_fingerprint(certificate),
        wrapped_key=public_key.encrypt(key, _oaep()),
        ciphertext=AESGCM(key).encrypt(_NONCE, plaintext, associated_data),
    )


def box_open(box: SealedBox, *, private_key: rsa.RSAPrivateKey, associated_data: bytes) -> bytes:
    try:
        key = private_key.decrypt(box.wrapped_key, _oaep())
        return AESGCM(key).decrypt(_NONCE, box.ciphertext, associated_data)
    except (ValueError, InvalidTag) as exc:
        raise SealUnreadable() from exc


class FileSealer(io.RawIOBase):
    """A readable stream of the ciphertext of another stream, under a fresh key.

    Storage reads it chunk by chunk like any upload: the plaintext is encrypted as it streams
    and never written anywhere. The 16-byte tag follows the last chunk, so the stored bytes are
    exactly what ``AESGCM.encrypt`` returns and ``file_open`` reads them back in one call.
    """

    def __init__(self, plaintext: IO[bytes], *, associated_data: bytes) -> None:
        super().__init__()
        self.key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        self._plaintext = plaintext
        self._encryptor = Cipher(algorithms.AES(self.key), modes.GCM(_NONCE)).encryptor()
        self._encryptor.authenticate_additional_data(associated_data)
        self._finished = False
        self._pending = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        # GCM's output is as long as its input, but the tag comes at the end: what a caller did
        # not take of the last piece waits in _pending.
        while not self._finished and (size is None or size < 0 or len(self._pending) < size):
            data = self._plaintext.read(size if size and size > 0 else -1)
            if data:
                self._pending += self._encryptor.update(data)
            else:
                self._pending += self._encryptor.finalize() + self._encryptor.tag
                self._finished = True
        if size is None or size < 0:
            size = len(self._pending)
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def file_open(ciphertext: bytes, *, key: bytes, associated_data: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(_NONCE, ciphertext, associated_data)
    except InvalidTag as exc:
        raise SealUnreadable() from exc


def file_seal(plaintext: bytes, *, associated_data: bytes) -> tuple[bytes, bytes]:
    """Encrypt bytes already in memory (a file converted when a draft becomes secret)."""
    key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
    return key, AESGCM(key).encrypt(_NONCE, plaintext, associated_data)


@dataclass(frozen=True)
class SealedFile:
    """What a sealed file's row does not show: its key and real facts (inside the box)."""

    key: bytes
    name: str
    media_type: str
    size: int
    sha256: str  # of the plaintext
    description: str = ""


@dataclass(frozen=True)
class SealedPayload:
    """The plaintext of a box: the letter's content fields, its references' subjects (in the
    order of the reference rows) and its files by storage name."""

    fields: dict[str, str]
    reference_subjects: tuple[str, ...] = ()
    files: dict[str, SealedFile] = field(default_factory=dict)


def payload_to_bytes(payload: SealedPayload) -> bytes:
    document = {
        "v": 1,
        "fields": payload.fields,
        "references": list(payload.reference_subjects),
        "files": {
            storage_name: {
                "key": base64.b64encode(item.key).decode("ascii"),
                "name": item.name,
                "media_type": item.media_type,
                "size": item.size,
                "sha256": item.sha256,
                "description": item.description,
            }
            for storage_name, item in payload.files.items()
        },
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")


def payload_from_bytes(data: bytes) -> SealedPayload:
    try:
        document = json.loads(data.decode("utf-8"))
        if document.get("v") != 1:
            raise SealUnreadable()
        return SealedPayload(
            fields={str(k): str(v) for k, v in document["fields"].items()},
            reference_subjects=tuple(str(s) for s in document["references"]),
            files={
                str(storage_name): SealedFile(
                    key=base64.b64decode(item["key"], validate=True),
                    name=str(item["name"]),
                    media_type=str(item["media_type"]),
                    size=int(item["size"]),
                    sha256=str(item["sha256"]),
                    description=str(item["description"]),
                )
                for storage_name, item in document["files"].items()
            },
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SealUnreadable() from exc
