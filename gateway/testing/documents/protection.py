"""Password-protected office files: telling them apart from damaged ones, and making some for tests.

A conversion service answers a protected file with "password required" (Document Server error -5),
not "conversion error" (-3), and it decides by the file's content, whatever its extension says:
- an encrypted OOXML file is an OLE2 compound file holding `EncryptionInfo` and `EncryptedPackage`
  ([MS-OFFCRYPTO] 2.3.4); rights-managed (IRM) ones hold `EncryptedPackage` and `\\x06DataSpaces`;
- an encrypted ODF package lists `manifest:encryption-data` in META-INF/manifest.xml;
- Word 97 files set fEncrypted in the FIB; Excel 97 files carry a FILEPASS record in the globals;
  PowerPoint 97 files change the Current User header token and add an EncryptedSummary stream.
The makers build such files from our own valid ones; their "encrypted" bytes are a keyed
scramble, not real cryptography: nothing here decrypts, so a password cannot be checked.
"""

from __future__ import annotations

import hashlib
import re
import struct
import xml.etree.ElementTree as ET
from base64 import b64encode
from collections.abc import Callable

from .cfb import SIGNATURE, read_cfb, write_cfb
from .errors import DocumentError
from .formats import make_document
from .zips import read_zip, write_zip

__all__ = ["PROTECTABLE_EXTENSIONS", "make_protected", "protection_of"]

_MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
_FILEPASS, _BOF, _EOF, _BOUNDSHEET = 0x002F, 0x0809, 0x000A, 0x0085
_FIB_ENCRYPTED = 1 << 8
_PPT_ENCRYPTED_TOKEN = 0xF3D1C4DF
_ZIP_MAGIC = b"PK\x03\x04"


def _word_encrypted(word: bytes) -> bool:
    return (
        len(word) >= 12
        and struct.unpack_from("<H", word, 0)[0] == 0xA5EC
        and bool(struct.unpack_from("<H", word, 10)[0] & _FIB_ENCRYPTED)
    )


def _workbook_encrypted(workbook: bytes) -> bool:
    """FILEPASS comes right after the globals' BOF when a workbook is encrypted ([MS-XLS] 2.4.117)."""
    at = 0
    while at + 4 <= len(workbook):
        kind, size = struct.unpack_from("<HH", workbook, at)
        if kind == _FILEPASS:
            return True
        if kind == _EOF or (kind == _BOF and at):
            return False
        at += 4 + size
    return False


def _cfb_protection(data: bytes) -> str | None:
    try:
        streams = read_cfb(data)
    except DocumentError:
        return None  # a damaged container: the format's reader reports that
    data_spaces = any(name.startswith("\x06DataSpaces/") for name in streams)
    if "EncryptionInfo" in streams:
        return "an encrypted Office Open XML file"
    if "EncryptedPackage" in streams and data_spaces:
        return "a rights-managed (IRM) Office file"
    if _word_encrypted(streams.get("WordDocument", b"")):
        return "an encrypted Word 97-2003 document"
    workbook = streams.get("Workbook", streams.get("Book"))
    if workbook is not None and _workbook_encrypted(workbook):
        return "an encrypted Excel 97-2003 workbook"
    user = streams.get("Current User", b"")
    if "EncryptedSummary" in streams or (
        len(user) >= 16 and struct.unpack_from("<I", user, 12)[0] == _PPT_ENCRYPTED_TOKEN
    ):
        return "an encrypted PowerPoint 97-2003 presentation"
    return None


def _odf_protection(data: bytes) -> str | None:
    try:
        manifest = read_zip(data, "zip").get("META-INF/manifest.xml")
    except DocumentError:
        return None
    if manifest is None or b"<!DOCTYPE" in manifest[:4096] or b"<!ENTITY" in manifest[:4096]:
        return None
    try:
        root = ET.fromstring(manifest)
    except ET.ParseError:
        return None
    if root.find(f".//{{{_MANIFEST}}}encryption-data") is not None:
        return "an encrypted OpenDocument file"
    return None


def protection_of(data: bytes) -> str | None:
    """What kind of password-protected file `data` is, or None when it is not one (or unreadable)."""
    if data.startswith(SIGNATURE):
        return _cfb_protection(data)
    if data.startswith(_ZIP_MAGIC):
        return _odf_protection(data)
    return None


# -- makers (tests and demos) ---------------------------------------------------------------------
def _scramble(data: bytes, label: str) -> bytes:
    """Deterministic bytes that read as nothing (a stand-in for ciphertext)."""
    stream = bytearray()
    counter = 0
    while len(stream) < len(data):
        stream += hashlib.sha256(f"{label}:{counter}".encode()).digest()
        counter += 1
    return bytes(a ^ b for a, b in zip(data, stream, strict=False))


def _agile_encryption_info() -> bytes:
    salt = b64encode(hashlib.sha256(b"salt").digest()[:16]).decode()
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        '<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption"'
        ' xmlns:p="http://schemas.microsoft.com/office/2006/keyEncryptor/password">'
        f'<keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES"'
        f' cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" saltValue="{salt}"/>'
        '<keyEncryptors><keyEncryptor uri="http://schemas.microsoft.com/office/2006/keyEncryptor/password">'
        f'<p:encryptedKey spinCount="100000" saltSize="16" blockSize="16" keyBits="256" hashSize="64"'
        f' cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" saltValue="{salt}"/>'
        "</keyEncryptor></keyEncryptors></encryption>"
    )
    return struct.pack("<HHI", 4, 4, 0x40) + xml.encode("utf-8")  # agile: version 4.4, reserved 0x40


def _ooxml(ext: str, text: str) -> bytes:
    package = make_document(ext, text)
    padded = package.ljust(-(-len(package) // 16) * 16, b"\x00")
    return write_cfb(
        {
            "EncryptionInfo": _agile_encryption_info(),
            "EncryptedPackage": struct.pack("<Q", len(package)) + _scramble(padded, "package"),
        }
    )


def _odf(ext: str, text: str) -> bytes:
    parts = read_zip(make_document(ext, text), ext)
    content_size = len(parts["content.xml"])
    parts["content.xml"] = _scramble(parts["content.xml"], "content")
    iv = b64encode(bytes(16)).decode()
    encryption = (
        f'<manifest:encryption-data manifest:checksum-type="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k"'
        f' manifest:checksum="{b64encode(hashlib.sha256(b"c").digest()).decode()}">'
        '<manifest:algorithm manifest:algorithm-name="http://www.w3.org/2001/04/xmlenc#aes256-cbc"'
        f' manifest:initialisation-vector="{iv}"/>'
        '<manifest:start-key-generation manifest:start-key-generation-name="http://www.w3.org/2000/09/xmldsig#sha256"'
        ' manifest:key-size="32"/>'
        '<manifest:key-derivation manifest:key-derivation-name="PBKDF2" manifest:key-size="32"'
        f' manifest:iteration-count="100000" manifest:salt="{iv}"/></manifest:encryption-data>'
    )
    manifest = parts["META-INF/manifest.xml"].decode("utf-8")
    manifest, count = re.subn(
        r'<manifest:file-entry manifest:full-path="content.xml"([^>]*?)/>',
        lambda m: (
            f'<manifest:file-entry manifest:full-path="content.xml"{m.group(1)}'
            f' manifest:size="{content_size}">{encryption}</manifest:file-entry>'
        ),
        manifest,
    )
    if count != 1:
        raise DocumentError("protection: the ODF manifest has no content.xml entry")
    parts["META-INF/manifest.xml"] = manifest.encode("utf-8")
    return write_zip(parts, stored=frozenset({"mimetype"}))


def _doc(text: str) -> bytes:
    streams = read_cfb(make_document("doc", text))
    word = bytearray(streams["WordDocument"])
    header = struct.pack("<HH", 1, 1) + _scramble(bytes(48), "rc4")  # RC4 EncryptionHeader 1.1
    flags = struct.unpack_from("<H", word, 10)[0] | _FIB_ENCRYPTED
    struct.pack_into("<H", word, 10, flags)
    struct.pack_into("<I", word, 14, len(header))  # lKey: the size of the encryption header
    word[68:] = _scramble(bytes(word[68:]), "word")  # everything after FibBase is ciphertext
    streams["WordDocument"] = bytes(word)
    streams["1Table"] = header + _scramble(streams["1Table"][len(header) :], "table")
    return write_cfb(streams)


def _xls(text: str) -> bytes:
    streams = read_cfb(make_document("xls", text))
    workbook = streams["Workbook"]
    (first_size,) = struct.unpack_from("<H", workbook, 2)
    filepass_body = struct.pack("<HHH", 1, 1, 1) + _scramble(bytes(48), "rc4")  # RC4, header 1.1
    filepass = struct.pack("<HH", _FILEPASS, len(filepass_body)) + filepass_body
    head = workbook[: 4 + first_size]
    out = bytearray(head + filepass)
    at = len(head)
    while at + 4 <= len(workbook):
        kind, size = struct.unpack_from("<HH", workbook, at)
        body = bytearray(workbook[at + 4 : at + 4 + size])
        if kind == _BOUNDSHEET:  # the sheet's stream position is never encrypted, and it moved
            struct.pack_into("<I", body, 0, struct.unpack_from("<I", body, 0)[0] + len(filepass))
            body[4:] = _scramble(bytes(body[4:]), f"record{at}")
        elif kind not in (_BOF, _EOF):
            body = bytearray(_scramble(bytes(body), f"record{at}"))
        out += struct.pack("<HH", kind, size) + body
        at += 4 + size
    streams["Workbook"] = bytes(out)
    return write_cfb(streams)


def _ppt(text: str) -> bytes:
    streams = read_cfb(make_document("ppt", text))
    user = bytearray(streams["Current User"])
    struct.pack_into("<I", user, 12, _PPT_ENCRYPTED_TOKEN)
    streams["Current User"] = bytes(user)
    streams["EncryptedSummary"] = _scramble(bytes(64), "summary")
    return write_cfb(streams)


_MAKERS: dict[str, Callable[[str], bytes]] = {
    "docx": lambda text: _ooxml("docx", text),
    "xlsx": lambda text: _ooxml("xlsx", text),
    "pptx": lambda text: _ooxml("pptx", text),
    "odt": lambda text: _odf("odt", text),
    "ods": lambda text: _odf("ods", text),
    "odp": lambda text: _odf("odp", text),
    "doc": _doc,
    "xls": _xls,
    "ppt": _ppt,
}
PROTECTABLE_EXTENSIONS: frozenset[str] = frozenset(_MAKERS)


def make_protected(ext: str, text: str) -> bytes:
    """A file as an office application saves `text` with "encrypt with password" (see the module doc)."""
    try:
        maker = _MAKERS[ext.lower().lstrip(".")]
    except KeyError:
        raise DocumentError(f"protection: cannot make a protected {ext!r} file") from None
    return maker(text)
