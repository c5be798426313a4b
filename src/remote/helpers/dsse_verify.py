#!/usr/bin/env python3
"""Wheelhouse on-target bundle signature verifier (stdlib only).

Runs on z/OS UNIX under IBM's Python, where third-party crypto may be missing, so Ed25519
(RFC 8032) and ECDSA P-256/SHA-256 (FIPS 186-4) verification are implemented here in pure
Python. Only *verification* with *public* keys is done: no secret ever touches this code, so
constant-time arithmetic is not needed.

    python3 dsse_verify.py [--envelope manifest.dsse.json] --statement manifest.intoto.json \
        --trust trust.json [--channel C] \
        [--ssh-signatures N] [--ssh-verified PRINCIPAL ...] [--ssh-failed PRINCIPAL ...]

SSHSIG signatures (manifest.intoto.json.sig) are checked on the target by `ssh-keygen -Y verify`
against the allowed_signers file that `zwh target trust` writes from the same trust file; the
deploy passes the outcome here: --ssh-signatures how many the bundle carries, --ssh-verified
each principal whose signature ssh-keygen accepted, --ssh-failed each principal of a trusted key
whose signature it did not. Principals map to trust keys by ssh_principal() (the key's name, or
its keyid when the name is not a plain token). A key counts once, whichever carriers it signed.

Prints ONE JSON line:
    {"ok": true|false, "verifiedKeyIds": [...], "threshold": t, "channel": c,
     "signers": [{"keyid", "name"}], "error": null | {"code", "message"}}
Exit status: 0 threshold met, 3 refused (signature problem), 1 error (usage, unreadable or
invalid trust file). The checks and codes mirror src/bundle/signing/verify.ts:
    ZWH-SIG-MISSING -> ZWH-SIG-INVALID (payload must equal the statement bytes) ->
    ZWH-SIG-UNTRUSTED / ZWH-SIG-INVALID -> ZWH-SIG-THRESHOLD -> ZWH-SIG-CHANNEL.

Key ids are "sha256:" + hex SHA-256 of the canonical SubjectPublicKeyInfo DER (Ed25519 per
RFC 8410; P-256 as id-ecPublicKey/prime256v1 with an uncompressed point), as in keys.ts.
Files are read in binary mode and output is ASCII-only JSON, so no EBCDIC conversion of
file contents can change what is verified.
"""

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys

INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
EXIT_OK, EXIT_ERROR, EXIT_REFUSED = 0, 1, 3


class Refused(Exception):
    """A verification refusal (exit 3)."""

    def __init__(self, code, message):
        Exception.__init__(self, message)
        self.code = code
        self.message = message


class Failed(Exception):
    """An error that is not about the signatures themselves (exit 1)."""

    def __init__(self, code, message):
        Exception.__init__(self, message)
        self.code = code
        self.message = message


# --------------------------------------------------------------------------------------------
# Encodings

_B64_RE = re.compile(r"^[A-Za-z0-9+/_-]*={0,2}$")


def b64decode_any(s, what):
    """Standard or URL-safe base64, padded or not (the DSSE spec requires both)."""
    if not isinstance(s, str) or not _B64_RE.match(s):
        raise Refused("ZWH-SIG-INVALID", "%s is not valid base64" % what)
    core = s.rstrip("=")
    if len(core) % 4 == 1 or ("=" in s and len(s) % 4 != 0):
        raise Refused("ZWH-SIG-INVALID", "%s is not valid base64" % what)
    core = core.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(core + "=" * (-len(core) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise Refused("ZWH-SIG-INVALID", "%s is not valid base64" % what)


def pae(payload_type, body):
    """DSSE v1 Pre-Authentication Encoding; lengths are byte lengths in ASCII decimal."""
    t = payload_type.encode("utf-8")
    return b"DSSEv1 " + str(len(t)).encode("ascii") + b" " + t + b" " + str(len(body)).encode("ascii") + b" " + body


def der_read(buf, pos):
    """Read one DER TLV at pos -> (tag, value, next_pos). Definite lengths only."""
    if pos + 2 > len(buf):
        raise ValueError("truncated DER")
    tag = buf[pos]
    ln = buf[pos + 1]
    pos += 2
    if ln & 0x80:
        n = ln & 0x7F
        if n == 0 or n > 4 or pos + n > len(buf):
            raise ValueError("bad DER length")
        ln = int.from_bytes(buf[pos:pos + n], "big")
        if ln < 0x80 or buf[pos] == 0:
            raise ValueError("non-minimal DER length")
        pos += n
    if pos + ln > len(buf):
        raise ValueError("truncated DER value")
    return tag, buf[pos:pos + ln], pos + ln


# --------------------------------------------------------------------------------------------
# a*P + b*Q with Shamir's trick: one shared doubling chain for both scalars (used by both curves).

def _double_scalar_mul(a, P, b, Q, identity, add, double):
    both = add(P, Q)
    acc = identity
    for i in range(max(a.bit_length(), b.bit_length()) - 1, -1, -1):
        acc = double(acc)
        ab, bb = (a >> i) & 1, (b >> i) & 1
        if ab and bb:
            acc = add(acc, both)
        elif ab:
            acc = add(acc, P)
        elif bb:
            acc = add(acc, Q)
    return acc


# --------------------------------------------------------------------------------------------
# Ed25519 (RFC 8032 section 5.1.7), extended twisted Edwards coordinates (X:Y:Z:T), x=X/Z,
# y=Y/Z, x*y=T/Z: additions and doublings need no field inversion.

ED_P = 2 ** 255 - 19
ED_L = 2 ** 252 + 27742317777372353535851937790883648493
ED_D = (-121665 * pow(121666, ED_P - 2, ED_P)) % ED_P
ED_D2 = (2 * ED_D) % ED_P
ED_SQRT_M1 = pow(2, (ED_P - 1) // 4, ED_P)


def _ed_add(P, Q):
    # "add-2008-hwcd-3" for a = -1.
    X1, Y1, Z1, T1 = P
    X2, Y2, Z2, T2 = Q
    p = ED_P
    A = (Y1 - X1) * (Y2 - X2) % p
    B = (Y1 + X1) * (Y2 + X2) % p
    C = T1 * ED_D2 % p * T2 % p
    D = 2 * Z1 * Z2 % p
    E, F, G, H = B - A, D - C, D + C, B + A
    return (E * F % p, G * H % p, F * G % p, E * H % p)


def _ed_double(P):
    # "dbl-2008-hwcd" for a = -1.
    X1, Y1, Z1, _ = P
    p = ED_P
    A = X1 * X1 % p
    B = Y1 * Y1 % p
    C = 2 * Z1 * Z1 % p
    H = A + B
    E = H - (X1 + Y1) * (X1 + Y1)
    G = A - B
    F = C + G
    return (E * F % p, G * H % p, F * G % p, E * H % p)


def _ed_decode(s):
    """Decode a 32-byte point; None if not a canonical encoding of a curve point."""
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= ED_P:
        return None
    p = ED_P
    u = (y * y - 1) % p
    v = (ED_D * y * y + 1) % p
    # x = sqrt(u/v) via x = u v^3 (u v^7)^((p-5)/8)  (RFC 8032 5.1.3)
    x = u * pow(v, 3, p) * pow(u * pow(v, 7, p), (p - 5) // 8, p) % p
    vx2 = v * x * x % p
    if vx2 == u:
        pass
    elif vx2 == (-u) % p:
        x = x * ED_SQRT_M1 % p
    else:
        return None
    if x == 0 and sign == 1:
        return None
    if (x & 1) != sign:
        x = p - x
    return (x, y, 1, x * y % p)


def _ed_encode(P):
    X, Y, Z, _ = P
    zi = pow(Z, ED_P - 2, ED_P)
    x, y = X * zi % ED_P, Y * zi % ED_P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


_ED_BY = 4 * pow(5, ED_P - 2, ED_P) % ED_P
ED_BASE = _ed_decode(_ED_BY.to_bytes(32, "little"))


def ed25519_verify(public_key, message, signature):
    """Cofactorless check encode([S]B - [k]A) == R, with S < L (as OpenSSL does)."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    A = _ed_decode(public_key)
    if A is None:
        return False
    r_bytes = signature[:32]
    S = int.from_bytes(signature[32:], "little")
    if S >= ED_L:
        return False
    k = int.from_bytes(hashlib.sha512(r_bytes + public_key + message).digest(), "little") % ED_L
    neg_a = ((-A[0]) % ED_P, A[1], A[2], (-A[3]) % ED_P)
    acc = _double_scalar_mul(S, ED_BASE, k, neg_a, (0, 1, 1, 0), _ed_add, _ed_double)
    return _ed_encode(acc) == r_bytes


# --------------------------------------------------------------------------------------------
# ECDSA P-256 / SHA-256 (FIPS 186-4, SEC 1 4.1.4). Jacobian coordinates (X:Y:Z), x=X/Z^2.

P256_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
P256_A = P256_P - 3
P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P256_G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
          0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)


def _p256_on_curve(x, y):
    return 0 <= x < P256_P and 0 <= y < P256_P and (y * y - (x * x * x + P256_A * x + P256_B)) % P256_P == 0


def _jac_double(P):
    X1, Y1, Z1 = P
    if Z1 == 0 or Y1 == 0:
        return (1, 1, 0)
    p = P256_P
    # a = -3: M = 3 (X - Z^2)(X + Z^2)
    z2 = Z1 * Z1 % p
    M = 3 * (X1 - z2) * (X1 + z2) % p
    y2 = Y1 * Y1 % p
    S = 4 * X1 * y2 % p
    X3 = (M * M - 2 * S) % p
    Y3 = (M * (S - X3) - 8 * y2 * y2) % p
    Z3 = 2 * Y1 * Z1 % p
    return (X3, Y3, Z3)


def _jac_add(P, Q):
    X1, Y1, Z1 = P
    X2, Y2, Z2 = Q
    if Z1 == 0:
        return Q
    if Z2 == 0:
        return P
    p = P256_P
    z1z1 = Z1 * Z1 % p
    z2z2 = Z2 * Z2 % p
    U1 = X1 * z2z2 % p
    U2 = X2 * z1z1 % p
    S1 = Y1 * Z2 % p * z2z2 % p
    S2 = Y2 * Z1 % p * z1z1 % p
    if U1 == U2:
        if S1 != S2:
            return (1, 1, 0)
        return _jac_double(P)
    H = (U2 - U1) % p
    R = (S2 - S1) % p
    H2 = H * H % p
    H3 = H * H2 % p
    U1H2 = U1 * H2 % p
    X3 = (R * R - H3 - 2 * U1H2) % p
    Y3 = (R * (U1H2 - X3) - S1 * H3) % p
    Z3 = H * Z1 * Z2 % p
    return (X3, Y3, Z3)


def _parse_ecdsa_der(sig):
    """SEQUENCE { INTEGER r, INTEGER s }, strict DER; None if not that."""
    try:
        tag, body, end = der_read(sig, 0)
        if tag != 0x30 or end != len(sig):
            return None
        out = []
        pos = 0
        for _ in range(2):
            tag, v, pos = der_read(body, pos)
            if tag != 0x02 or len(v) == 0 or v[0] & 0x80:
                return None
            if len(v) > 1 and v[0] == 0 and not (v[1] & 0x80):
                return None  # non-minimal integer
            out.append(int.from_bytes(v, "big"))
        if pos != len(body):
            return None
        return out[0], out[1]
    except ValueError:
        return None


def p256_verify(point, message, signature):
    """point = 65-byte uncompressed 04||X||Y. Signature DER, or raw r||s (64 bytes)."""
    rs = _parse_ecdsa_der(signature)
    if rs is None and len(signature) == 64:
        rs = (int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    if rs is None:
        return False
    r, s = rs
    if not (1 <= r < P256_N and 1 <= s < P256_N):
        return False
    if len(point) != 65 or point[0] != 4:
        return False
    qx, qy = int.from_bytes(point[1:33], "big"), int.from_bytes(point[33:], "big")
    if not _p256_on_curve(qx, qy):
        return False
    e = int.from_bytes(hashlib.sha256(message).digest(), "big")
    w = pow(s, -1, P256_N)
    u1, u2 = e * w % P256_N, r * w % P256_N
    G = (P256_G[0], P256_G[1], 1)
    Q = (qx, qy, 1)
    X, _, Z = _double_scalar_mul(u1, G, u2, Q, (1, 1, 0), _jac_add, _jac_double)
    if Z == 0:
        return False
    x = X * pow(Z * Z % P256_P, P256_P - 2, P256_P) % P256_P
    return x % P256_N == r


# --------------------------------------------------------------------------------------------
# Public keys

ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
P256_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")
OID_ED25519 = bytes.fromhex("2b6570")
OID_EC_PUBLIC_KEY = bytes.fromhex("2a8648ce3d0201")
OID_PRIME256V1 = bytes.fromhex("2a8648ce3d030107")
OID_RSA = bytes.fromhex("2a864886f70d010101")


class PublicKey(object):
    def __init__(self, alg, raw):
        self.alg = alg  # "ed25519" | "ecdsa-p256"
        self.raw = raw  # 32-byte Ed25519 key, or 65-byte uncompressed point

    def spki(self):
        return (ED25519_SPKI_PREFIX if self.alg == "ed25519" else P256_SPKI_PREFIX) + self.raw

    def keyid(self):
        return "sha256:" + hashlib.sha256(self.spki()).hexdigest()

    def verify(self, message, signature):
        if self.alg == "ed25519":
            return ed25519_verify(self.raw, message, signature)
        return p256_verify(self.raw, message, signature)


class Unsupported(Exception):
    """A key type this verifier skips (RSA keys can only sign via SSHSIG)."""


def _parse_spki_der(der):
    tag, body, end = der_read(der, 0)
    if tag != 0x30 or end != len(der):
        raise ValueError("not a SubjectPublicKeyInfo")
    tag, alg, pos = der_read(body, 0)
    if tag != 0x30:
        raise ValueError("bad AlgorithmIdentifier")
    tag, bits, pos = der_read(body, pos)
    if tag != 0x03 or pos != len(body) or len(bits) < 1 or bits[0] != 0:
        raise ValueError("bad subjectPublicKey")
    key = bits[1:]
    tag, oid, apos = der_read(alg, 0)
    if tag != 0x06:
        raise ValueError("bad algorithm OID")
    if oid == OID_ED25519:
        if apos != len(alg) or len(key) != 32:
            raise ValueError("bad Ed25519 key")
        return PublicKey("ed25519", key)
    if oid == OID_EC_PUBLIC_KEY:
        tag, curve, apos = der_read(alg, apos)
        if tag != 0x06 or curve != OID_PRIME256V1:
            raise Unsupported("EC curve other than P-256")
        if len(key) != 65 or key[0] != 4:
            raise ValueError("P-256 key is not an uncompressed point")
        return PublicKey("ecdsa-p256", key)
    if oid == OID_RSA:
        raise Unsupported("RSA")
    raise Unsupported("unknown algorithm")


def _ssh_string(buf, pos):
    if pos + 4 > len(buf):
        raise ValueError("truncated SSH key")
    n = int.from_bytes(buf[pos:pos + 4], "big")
    if pos + 4 + n > len(buf):
        raise ValueError("truncated SSH key")
    return buf[pos + 4:pos + 4 + n], pos + 4 + n


def parse_public_key(text):
    """SPKI PEM or an OpenSSH public key line -> PublicKey (raises ValueError/Unsupported)."""
    text = text.strip()
    m = re.search(r"-----BEGIN PUBLIC KEY-----(.*?)-----END PUBLIC KEY-----", text, re.S)
    if m:
        der = base64.b64decode("".join(m.group(1).split()), validate=True)
        return _parse_spki_der(der)
    parts = text.split()
    if len(parts) >= 2 and parts[0] in ("ssh-ed25519", "ecdsa-sha2-nistp256"):
        blob = base64.b64decode(parts[1], validate=True)
        name, pos = _ssh_string(blob, 0)
        if name.decode("ascii", "replace") != parts[0]:
            raise ValueError("OpenSSH key type mismatch")
        if parts[0] == "ssh-ed25519":
            raw, pos = _ssh_string(blob, pos)
            if len(raw) != 32 or pos != len(blob):
                raise ValueError("bad ssh-ed25519 key")
            return PublicKey("ed25519", raw)
        curve, pos = _ssh_string(blob, pos)
        q, pos = _ssh_string(blob, pos)
        if curve != b"nistp256" or len(q) != 65 or q[0] != 4 or pos != len(blob):
            raise ValueError("bad ecdsa-sha2-nistp256 key")
        return PublicKey("ecdsa-p256", q)
    if len(parts) >= 2 and parts[0] == "ssh-rsa":
        raise Unsupported("RSA")
    raise ValueError("not an SPKI PEM or OpenSSH public key")


# --------------------------------------------------------------------------------------------
# Trust file (see src/bundle/signing/trust.ts for the schema)

class TrustedKey(object):
    def __init__(self, keyid, name, key, channels):
        self.keyid = keyid
        self.name = name
        self.key = key  # None: a key this verifier cannot use for DSSE (RSA); it can count via SSHSIG
        self.channels = channels  # None = all channels of the trust file


_PLAIN_PRINCIPAL = re.compile(r"^[A-Za-z0-9._@+:-]{1,256}$")


def ssh_principal(k):
    """The allowed_signers principal of a trusted key (same rule as src/deploy/trust.ts sshPrincipal)."""
    return k.name if _PLAIN_PRINCIPAL.match(k.name) else k.keyid


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def load_trust(data, source):
    def bad(msg):
        return Failed("ZWH-TRUST-INVALID", "%s: %s" % (source, msg))

    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise Failed("ZWH-TRUST-READ", "%s: not valid JSON (%s)" % (source, e))
    if not isinstance(doc, dict):
        raise bad("the trust file must be a JSON object")
    if doc.get("formatVersion") != 1 or not _is_int(doc.get("formatVersion")):
        raise Failed("ZWH-TRUST-FORMAT", "%s: unknown trust file formatVersion %r" % (source, doc.get("formatVersion")))
    threshold = doc.get("threshold")
    if not _is_int(threshold) or threshold < 1:
        raise Failed("ZWH-TRUST-THRESHOLD", "%s: threshold must be an integer >= 1" % source)
    channels = doc.get("channels")
    if not isinstance(channels, list) or not channels or not all(isinstance(c, str) and c for c in channels):
        raise bad("channels must be a non-empty list of names")
    keys_in = doc.get("keys")
    if not isinstance(keys_in, list):
        raise bad("keys must be a list")
    keys = []  # usable for DSSE
    ssh_only = []  # e.g. RSA: cannot sign DSSE, can only count through a verified SSHSIG
    for i, k in enumerate(keys_in):
        if not isinstance(k, dict) or not isinstance(k.get("publicKey"), str) or not isinstance(k.get("name"), str):
            raise bad("keys[%d] needs publicKey and name" % i)
        kc = k.get("channels")
        if kc is not None and (not isinstance(kc, list) or not all(isinstance(c, str) for c in kc)):
            raise bad("keys[%d].channels must be a list of names" % i)
        try:
            key = parse_public_key(k["publicKey"])
        except Unsupported:
            if isinstance(k.get("keyid"), str) and k["keyid"].startswith("sha256:"):
                ssh_only.append(TrustedKey(k["keyid"], k["name"], None, kc))
            continue
        except (ValueError, binascii.Error) as e:
            raise Failed("ZWH-TRUST-FORMAT", "%s: keys[%d] (%s): %s" % (source, i, k["name"], e))
        if k.get("keyid") != key.keyid():
            raise Failed("ZWH-TRUST-KEYID-MISMATCH", "%s: keys[%d] (%s): keyid %r does not match the public key (%s)"
                         % (source, i, k["name"], k.get("keyid"), key.keyid()))
        if any(x.keyid == key.keyid() for x in keys):
            raise Failed("ZWH-TRUST-DUPLICATE-KEY", "%s: key %s is listed twice" % (source, key.keyid()))
        keys.append(TrustedKey(key.keyid(), k["name"], key, kc))
    return {"threshold": threshold, "channels": channels, "keys": keys, "ssh_only": ssh_only}


# --------------------------------------------------------------------------------------------
# Verification (same order and codes as verify.ts)

def verify(envelope_bytes, statement_bytes, trust, channel, envelope_name, statement_name, result, ssh=None):
    """Fill result (verifiedKeyIds, signers) as far as verification gets; raise Refused on failure.

    envelope_bytes None = no DSSE envelope. ssh = {"signatures": n, "verified": [principal],
    "failed": [principal]}: the outcome of `ssh-keygen -Y verify` on this host (see the module doc).
    """
    ssh = ssh or {"signatures": 0, "verified": [], "failed": []}
    result["threshold"] = trust["threshold"]
    result["channel"] = channel
    verified = []  # unique TrustedKey, first-verified order
    bad_by_trusted = False
    if envelope_bytes is None:
        if ssh["signatures"] == 0:
            raise Refused("ZWH-SIG-MISSING", "no signature found for %s (no DSSE envelope, no SSH signature)" % statement_name)
    else:
        bad_by_trusted = _verify_dsse(envelope_bytes, statement_bytes, trust, envelope_name, statement_name, verified, ssh["signatures"])
    by_principal = {}
    for k in trust["keys"] + trust.get("ssh_only", []):
        by_principal.setdefault(ssh_principal(k), k)
    for p in ssh["verified"]:
        k = by_principal.get(p)
        if k is not None and all(v.keyid != k.keyid for v in verified):
            verified.append(k)
    if any(p in by_principal for p in ssh["failed"]):
        bad_by_trusted = True
    _check_threshold_and_channel(verified, bad_by_trusted, statement_bytes, trust, channel, statement_name, result)


def _verify_dsse(envelope_bytes, statement_bytes, trust, envelope_name, statement_name, verified, ssh_signatures):
    """DSSE part of verify(): appends verified keys; returns whether a trusted key's signature was bad."""
    try:
        env = json.loads(envelope_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Refused("ZWH-SIG-INVALID", "%s is not valid JSON" % envelope_name)
    if (not isinstance(env, dict) or not isinstance(env.get("payloadType"), str) or not isinstance(env.get("payload"), str)
            or not isinstance(env.get("signatures"), list)):
        raise Refused("ZWH-SIG-INVALID", "%s is not a DSSE envelope" % envelope_name)
    sigs = env["signatures"]
    if not sigs and ssh_signatures == 0:
        raise Refused("ZWH-SIG-MISSING", "%s contains no signatures" % envelope_name)
    if env["payloadType"] != INTOTO_PAYLOAD_TYPE:
        raise Refused("ZWH-SIG-INVALID", "%s has payloadType %r, expected %r" % (envelope_name, env["payloadType"], INTOTO_PAYLOAD_TYPE))
    payload = b64decode_any(env["payload"], envelope_name + " payload")
    if payload != statement_bytes:
        raise Refused("ZWH-SIG-INVALID", "the payload signed in %s is not byte-identical to %s" % (envelope_name, statement_name))

    message = pae(env["payloadType"], payload)
    bad_by_trusted = False
    for i, s in enumerate(sigs):
        if not isinstance(s, dict) or not isinstance(s.get("sig"), str):
            raise Refused("ZWH-SIG-INVALID", "%s signatures[%d] is malformed" % (envelope_name, i))
        hint = s.get("keyid")
        try:
            sig = b64decode_any(s["sig"], "%s signatures[%d]" % (envelope_name, i))
        except Refused:
            bad_by_trusted = True
            continue
        # keyid is an unauthenticated hint: try the named key first, then all others.
        ordered = [k for k in trust["keys"] if k.keyid == hint] + [k for k in trust["keys"] if k.keyid != hint]
        hit = None
        for k in ordered:
            if k.key.verify(message, sig):
                hit = k
                break
        if hit is not None:
            if all(v.keyid != hit.keyid for v in verified):
                verified.append(hit)
        elif any(k.keyid == hint for k in trust["keys"]):
            bad_by_trusted = True
    return bad_by_trusted


def _check_threshold_and_channel(verified, bad_by_trusted, statement_bytes, trust, channel, statement_name, result):
    result["signers"] = [{"keyid": k.keyid, "name": k.name} for k in verified]
    result["verifiedKeyIds"] = [k.keyid for k in verified]
    if not verified:
        if bad_by_trusted:
            raise Refused("ZWH-SIG-INVALID", "no signature over %s verifies: the manifest or its signatures were modified" % statement_name)
        raise Refused("ZWH-SIG-UNTRUSTED", "%s is signed only by keys that are not in the trust file" % statement_name)
    t = trust["threshold"]
    if len(verified) < t:
        raise Refused("ZWH-SIG-THRESHOLD", "%d of the required %d trusted signatures verify (signed by: %s)"
                      % (len(verified), t, ", ".join(k.name for k in verified)))
    if channel not in trust["channels"]:
        raise Refused("ZWH-SIG-CHANNEL", "channel %r is not allowed by the trust file (allowed: %s)" % (channel, ", ".join(trust["channels"])))
    own = statement_channel(statement_bytes)
    if own is not None and own != channel:
        raise Refused("ZWH-SIG-CHANNEL", "%s was signed for channel %r, not %r" % (statement_name, own, channel))
    counted = [k for k in verified if k.channels is None or channel in k.channels]
    result["signers"] = [{"keyid": k.keyid, "name": k.name} for k in counted]
    result["verifiedKeyIds"] = [k.keyid for k in counted]
    if len(counted) < t:
        excluded = [k.name for k in verified if k not in counted]
        raise Refused("ZWH-SIG-CHANNEL", "only %d of the required %d signers may sign channel %r; not allowed for it: %s"
                      % (len(counted), t, channel, ", ".join(excluded)))


def statement_channel(statement_bytes):
    try:
        s = json.loads(statement_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    pred = s.get("predicate") if isinstance(s, dict) else None
    ch = pred.get("channel") if isinstance(pred, dict) else None
    return ch if isinstance(ch, str) else None


# --------------------------------------------------------------------------------------------
# CLI

class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise Failed("ZWH-USAGE", message)


def _read(path, code):
    try:
        with open(path, "rb") as f:
            return f.read()
    except (IOError, OSError) as e:
        raise Failed(code, "cannot read %s: %s" % (path, e.strerror or e))


def main(argv=None):
    out = {"ok": False, "verifiedKeyIds": [], "threshold": None, "channel": None, "signers": [], "error": None}
    status = EXIT_ERROR
    try:
        ap = _Parser(prog="dsse_verify.py", description="Verify a Wheelhouse bundle's DSSE signatures (stdlib only).")
        ap.add_argument("--envelope", help="manifest.dsse.json (optional when SSH signatures are given)")
        ap.add_argument("--statement", required=True, help="manifest.intoto.json (exact signed bytes)")
        ap.add_argument("--trust", required=True, help="trust.json")
        ap.add_argument("--channel", help="bundle channel (default: the statement's predicate.channel)")
        ap.add_argument("--ssh-signatures", type=int, default=0, help="number of SSHSIG signatures the bundle carries")
        ap.add_argument("--ssh-verified", action="append", default=[], help="principal whose SSHSIG ssh-keygen verified here")
        ap.add_argument("--ssh-failed", action="append", default=[], help="principal whose SSHSIG ssh-keygen refused here")
        args = ap.parse_args(argv)
        trust = load_trust(_read(args.trust, "ZWH-TRUST-READ"), args.trust)
        out["threshold"] = trust["threshold"]
        statement = _read(args.statement, "ZWH-SIG-MISSING")
        envelope = _read(args.envelope, "ZWH-SIG-MISSING") if args.envelope is not None else None
        channel = args.channel if args.channel is not None else statement_channel(statement)
        if channel is None:
            raise Failed("ZWH-USAGE", "no --channel given and the statement has no predicate.channel")
        out["channel"] = channel
        ssh = {"signatures": args.ssh_signatures, "verified": args.ssh_verified, "failed": args.ssh_failed}
        verify(envelope, statement, trust, channel, args.envelope or "manifest.dsse.json", args.statement, out, ssh)
        out["ok"] = True
        status = EXIT_OK
    except Refused as e:
        out["error"] = {"code": e.code, "message": e.message}
        status = EXIT_REFUSED
    except Failed as e:
        # A missing signature/statement file is a refusal, not a tool error.
        out["error"] = {"code": e.code, "message": e.message}
        status = EXIT_REFUSED if e.code.startswith("ZWH-SIG-") else EXIT_ERROR
    except Exception as e:  # never a traceback instead of the one JSON line
        out["error"] = {"code": "ZWH-INTERNAL", "message": "%s: %s" % (type(e).__name__, e)}
        status = EXIT_ERROR
    sys.stdout.write(json.dumps(out, sort_keys=True, ensure_ascii=True) + "\n")
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
