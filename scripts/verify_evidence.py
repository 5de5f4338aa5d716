#!/usr/bin/env python3
"""Check a Firma PDF from the file alone: the event hash chain and every attached original, against evidence.json.

Needs only the standard library and pypdf (pip install pypdf). Usage: python verify_evidence.py FILE.pdf
Exit 0 when everything matches, 1 otherwise. The PAdES seal itself is checked with pdfsig or pyHanko.
"""
import hashlib
import json
import sys
from datetime import datetime

from pypdf import PdfReader

GENESIS = "0" * 64


def chain_problems(evidence: dict) -> list[str]:
    """Recompute every event's hash as evidence.json's canonical_form describes it."""
    problems, prev = [], GENESIS
    for number, event in enumerate(evidence["events"], start=1):
        body = {
            "envelope_id": evidence["envelope"]["envelope_id"], "seq": event["seq"], "signer_id": event["signer_id"],
            "type": event["type"], "ip": event["ip"], "user_agent": event["user_agent"], "data": event["data"],
            "created_at": datetime.fromisoformat(event["time"]).isoformat(timespec="microseconds"),
        }
        if event.get("port") is not None:
            body["port"] = event["port"]
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        digest = hashlib.sha256(prev.encode("ascii") + canonical).hexdigest()
        if event["seq"] != number:
            problems.append(f"event {number} missing (found seq {event['seq']})")
        if event["prev_hash"] != prev or event["hash"] != digest:
            problems.append(f"event {event['seq']} ({event['type']}) does not match the hash chain")
        prev = event["hash"]
    return problems


def attachment_problems(reader: PdfReader, evidence: dict) -> list[str]:
    """Every embedded file but evidence.json must be listed with its SHA-256 and size, and every listed one embedded."""
    embedded = {name: contents[0] for name, contents in reader.attachments.items()}
    embedded.pop("evidence.json", None)
    listed = {item["name"]: item for item in evidence["attachments"]}
    problems = [f"{name}: embedded but not listed in evidence.json" for name in sorted(set(embedded) - set(listed))]
    problems += [f"{name}: listed in evidence.json but not embedded" for name in sorted(set(listed) - set(embedded))]
    for name in sorted(set(embedded) & set(listed)):
        content, item = embedded[name], listed[name]
        if hashlib.sha256(content).hexdigest() != item["sha256"] or len(content) != item["size"]:
            problems.append(f"{name}: SHA-256 or size differs from evidence.json")
    return problems


def main(path: str) -> int:
    """Print what was checked and every problem found."""
    reader = PdfReader(path)
    found = reader.attachments.get("evidence.json")
    if not found:
        print("evidence.json is not attached: not a Firma evidence PDF")
        return 1
    evidence = json.loads(found[0])
    problems = chain_problems(evidence) + attachment_problems(reader, evidence)
    for problem in problems:
        print("FAIL", problem)
    if not problems:
        head = evidence["events"][-1]["hash"] if evidence["events"] else "-"
        print(f"OK: {len(evidence['events'])} events chained, head {head}")
        print(f"OK: {len(evidence['attachments'])} attachments match evidence.json")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
