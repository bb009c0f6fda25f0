#!/usr/bin/env python3
"""Fails when a module under src/ includes a module it may not depend on.

The rules are ARCHITECTURE.md §2's table: a module may include the modules
its row lists and, transitively, what those may include ("everything above"
means every module in an earlier row). The cli may include the api module's
client headers and the store's pure verifiers only. The table is read from
../shared/docs/ARCHITECTURE.md when present; the copy below is the fallback
and must agree with it (the check says so when they differ)."""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT.parent / "shared" / "docs" / "ARCHITECTURE.md"

FALLBACK = [
    ("common", []),
    ("crypto", ["common"]),
    ("attest", ["common", "crypto"]),
    ("store", ["common", "crypto"]),
    ("consensus", ["common", "crypto", "attest", "store"]),
    ("cas", ["common", "crypto"]),
    ("runtime", ["common", "crypto", "store"]),
    ("host", ["runtime", "store", "crypto", "cas"]),
    ("identity", ["common", "crypto", "store"]),
    ("registry", ["common", "crypto", "store", "cas", "runtime"]),
    ("system", ["registry", "identity", "host", "store"]),
    ("api", ["*above"]),
    ("node", ["*all"]),
    ("cli", ["common", "crypto", "attest", "api", "store"]),
]
# What the cli may take from api and store (not the server, not the engine).
CLI_ONLY = {
    "api": {"client.h", "bhttp.h", "ohttp.h"},
    "store": {"receipt.h", "state_tree.h", "ledger_entry.h", "history_tree.h", "digest_json.h"},
}


def table_from_doc(text):
    rows = []
    for line in text.splitlines():
        m = re.match(r"\|\s*`([a-z]+)`\s*\|[^|]*\|\s*([^|]+)\|", line)
        if not m:
            continue
        name, deps = m.group(1), m.group(2).strip()
        if deps.startswith("everything above"):
            rows.append((name, ["*above"]))
        elif deps.startswith("everything"):
            rows.append((name, ["*all"]))
        elif deps.startswith("nothing"):
            rows.append((name, []))
        else:
            parts = [p.strip() for p in deps.split(",")]
            mods = []
            for p in parts:
                w = re.match(r"([a-z]+)", p)
                if not w:
                    continue
                word = w.group(1)
                if word == "the" and "store" in p:
                    word = "store"
                mods.append(word)
            rows.append((name, mods))
    return rows


def allowed_sets(rows):
    names = [n for n, _ in rows]
    direct = {}
    for i, (name, deps) in enumerate(rows):
        if deps == ["*above"]:
            direct[name] = set(names[:i])
        elif deps == ["*all"]:
            direct[name] = set(names) - {name}
        else:
            direct[name] = set(d for d in deps if d in names)
    closed = {}
    for name in names:
        seen, todo = set(), list(direct[name])
        while todo:
            d = todo.pop()
            if d in seen:
                continue
            seen.add(d)
            todo.extend(direct.get(d, ()))
        closed[name] = seen
    return closed


def main():
    rows = FALLBACK
    if DOC.exists():
        doc_rows = table_from_doc(DOC.read_text())
        if doc_rows:
            if [n for n, _ in doc_rows] != [n for n, _ in FALLBACK]:
                print(f"note: {DOC} lists modules {[n for n, _ in doc_rows]}; update the fallback copy in {__file__}")
            rows = doc_rows
    allowed = allowed_sets(rows)
    modules = set(allowed)
    errors = []
    checked = 0
    for path in sorted((ROOT / "src").rglob("*")):
        if path.suffix not in (".h", ".cpp"):
            continue
        module = path.relative_to(ROOT / "src").parts[0]
        if module not in modules:
            errors.append(f"{path.relative_to(ROOT)}: folder src/{module} is not a module of ARCHITECTURE.md §2")
            continue
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = re.match(r'\s*#\s*include\s+"([a-z_]+)/([^"]+)"', line)
            if not m:
                continue
            checked += 1
            target, header = m.group(1), m.group(2)
            if target == module or target not in modules:
                continue
            if target not in allowed[module]:
                errors.append(f"{path.relative_to(ROOT)}:{n}: {module} may not include {target}/{header}")
            elif module == "cli" and target in CLI_ONLY and header not in CLI_ONLY[target]:
                errors.append(f"{path.relative_to(ROOT)}:{n}: the cli may take only {sorted(CLI_ONLY[target])} from {target}")
    for e in errors:
        print(e)
    print(f"layering: {checked} includes checked, {len(errors)} violations")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
