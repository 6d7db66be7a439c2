#!/usr/bin/env python3
"""An independent RFC 6962 / RFC 9162 checker, sharing no code with Attest.

Reads a JSON document on stdin:
  {"leaves": ["<hex leaf hash>", ...],                       # level-0 hashes, leaf index order
   "inclusion": [{"index": i, "treeSize": n, "path": [...], "root": "<hex>"}, ...],
   "consistency": [{"from": m, "to": n, "proof": [...], "fromRoot": "<hex>", "toRoot": "<hex>"}, ...]}
recomputes every root from the leaves with the textbook MTH recursion, checks every proof with the
RFC 9162 verification algorithms, and prints {"ok": true} or the first failure; exit 1 on failure.
"""
import hashlib
import json
import sys


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves):
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))


def verify_inclusion(index, size, leaf, path, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = node(p, r)
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_root, second_root, proof):
    if first == second:
        return not proof and first_root == second_root
    if first == 0 or first > second:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr = node(c, fr)
            sr = node(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


def main():
    doc = json.load(sys.stdin)
    leaves = [bytes.fromhex(h) for h in doc["leaves"]]
    for item in doc.get("inclusion", []):
        size, index = item["treeSize"], item["index"]
        expected_root = mth(leaves[:size])
        if expected_root.hex() != item["root"]:
            print(json.dumps({"ok": False, "why": f"root of {size} leaves differs", "item": item}))
            return 1
        path = [bytes.fromhex(h) for h in item["path"]]
        if not verify_inclusion(index, size, leaves[index], path, expected_root):
            print(json.dumps({"ok": False, "why": f"inclusion of leaf {index} in {size} fails", "item": item}))
            return 1
    for item in doc.get("consistency", []):
        first_root, second_root = mth(leaves[: item["from"]]), mth(leaves[: item["to"]])
        if first_root.hex() != item["fromRoot"] or second_root.hex() != item["toRoot"]:
            print(json.dumps({"ok": False, "why": "roots differ", "item": item}))
            return 1
        proof = [bytes.fromhex(h) for h in item["proof"]]
        if not verify_consistency(item["from"], item["to"], first_root, second_root, proof):
            print(json.dumps({"ok": False, "why": f"consistency {item['from']} -> {item['to']} fails", "item": item}))
            return 1
    print(json.dumps({"ok": True, "leaves": len(leaves)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
