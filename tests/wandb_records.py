"""A reader for wandb's run-*.wandb files (wandb 0.31 ships none in Python).

The file is a LevelDB-style log: a 7-byte header (":W&B", magic 0xBEE1, version), then 32 KiB
blocks of chunks, each with a 7-byte header (CRC32C, length, type: FULL, FIRST, MIDDLE, LAST).
A block's tail shorter than a chunk header is zero padding. Joined chunks are serialized
``wandb_internal_pb2.Record`` protobufs.
"""
from __future__ import annotations

import json
import struct
from pathlib import Path

BLOCK = 32 * 1024
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def read_records(path: Path) -> list:
    from wandb.proto import wandb_internal_pb2

    data = Path(path).read_bytes()
    ident, magic, version = struct.unpack("<4sHB", data[:7])
    assert ident == b":W&B" and magic == 0xBEE1, f"{path} is not a wandb log ({ident!r}, {magic:#x})"
    records, pos, parts = [], 7, []
    while pos + 7 <= len(data):
        left = BLOCK - pos % BLOCK
        if left < 7:
            pos += left
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos:pos + 7])
        if kind == 0:  # zero padding at the end of a block or of the file
            pos += left
            continue
        payload = data[pos + 7:pos + 7 + length]
        pos += 7 + length
        if kind == FULL:
            parts = [payload]
        elif kind == FIRST:
            parts = [payload]
            continue
        elif kind == MIDDLE:
            parts.append(payload)
            continue
        else:
            parts.append(payload)
        record = wandb_internal_pb2.Record()
        record.ParseFromString(b"".join(parts))
        records.append(record)
    return records


def _key(item) -> str:
    return "/".join(item.nested_key) if item.nested_key else item.key


def history(records: list) -> list[dict]:
    """The logged rows, as {key: value} with values decoded from their JSON."""
    return [{_key(i): json.loads(i.value_json) for i in r.history.item}
            for r in records if r.WhichOneof("record_type") == "history"]


def config(records: list) -> dict:
    """The run config: sent with the run record, then in config records; values come as {"value": v}."""
    out = {}
    for r in records:
        kind = r.WhichOneof("record_type")
        updates = r.run.config.update if kind == "run" else r.config.update if kind == "config" else []
        for i in updates:
            value = json.loads(i.value_json)
            out[_key(i)] = value.get("value", value) if isinstance(value, dict) else value
    return out


def summary(records: list) -> dict:
    out = {}
    for r in records:
        if r.WhichOneof("record_type") == "summary":
            out.update({_key(i): json.loads(i.value_json) for i in r.summary.update})
    return out


def run_info(records: list):
    return next(r.run for r in records if r.WhichOneof("record_type") == "run")
