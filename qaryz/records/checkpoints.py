"""Signed audit checkpoints: export and independent verification (R-AUD-1)."""

from __future__ import annotations

import json
from typing import Any

from qaryz.records import crypto


def checkpoint_message(seq: int, head_hash: str, ts: int) -> bytes:
    return f"qaryz-audit-checkpoint:v1:{seq}:{head_hash}:{ts}".encode()


def export_checkpoint(checkpoint: Any, public_key_pem: str) -> dict[str, Any]:
    return {
        "type": "qaryz.audit-checkpoint.v1",
        "seq": checkpoint.seq,
        "hash": checkpoint.hash,
        "ts": checkpoint.ts,
        "signed_at": checkpoint.signed_at.isoformat(),
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
        "algorithm": "Ed25519",
        "public_key": public_key_pem,
    }


def load_checkpoint(text: str, *, trusted_public_key_pem: str | None = None) -> dict[str, Any]:
    """Parse an exported checkpoint and check its signature; raises ValueError if it is not
    genuine. Pass the MFO public key obtained independently to not trust the file's own."""
    data = json.loads(text)
    if data.get("type") != "qaryz.audit-checkpoint.v1":
        raise ValueError("not a Qaryz audit checkpoint")
    key = crypto.load_public_key_pem(trusted_public_key_pem or data["public_key"])
    message = checkpoint_message(int(data["seq"]), str(data["hash"]), int(data["ts"]))
    if not crypto.verify_signature(key, message, data["signature"]):
        raise ValueError("checkpoint signature is not valid")
    return data
