#!/usr/bin/env python3
"""Prints one table of every benchmark figure in <dir>/*.json, with the
TARGETS.md target where one exists. Reads Google Benchmark JSON and the load
generator's {"name","requests","seconds","throughput_rps","p50_ms","p99_ms","errors"}."""
import json, pathlib, sys

# name → (metric, comparison, target, unit); metric: "time" (per iteration),
# a counter name, or "bytes_per_second".
TARGETS = {
    "BM_MlKem768_Encaps": [("time", "<=", 30.0, "us")],
    "BM_MlKem768_Decaps": [("time", "<=", 30.0, "us")],
    "BM_XWing_Over_X25519_Ratio": [("ratio", "<=", 2.5, "")],
    "BM_Hpke_XWing_SealOpen_1KiB": [("time", "<=", 150.0, "us")],
    "BM_Aes256Gcm_Seal/16384": [("bytes_per_second", ">=", 1e9, "B/s")],
    "BM_Store_vs_RocksDB_1KeyWriteTx/min_time:3.000": [("store_tx_per_s", ">=", 50000.0, "tx/s"),
                                                        ("rocksdb_tx_per_s", None, None, "tx/s"),
                                                        ("ratio", ">=", 0.25, "")],
    "BM_StateProof_Generate": [("time", "<=", 20.0, "us")],
    "BM_TdxFullVerification/cached:1": [("time", "<=", 2000.0, "us")],
    "BM_TdxFullVerification/cached:0": [("time", None, None, "us")],
    "BM_SnpVerification/cached:0": [("time", None, None, "us")],
    "BM_SnpVerification/cached:1": [("time", None, None, "us")],
    "BM_NitroVerification/cached:0": [("time", None, None, "us")],
    "BM_NitroVerification/cached:1": [("time", None, None, "us")],
    "BM_SimulatedTdxQuote": [("time", None, None, "us")],
    "BM_InstantiateAndCallNoop": [("p50_us", "<=", 50.0, "us"), ("p99_us", None, None, "us")],
    "BM_KvGetRoundTrip": [("per_get_us", "<=", 2.0, "us")],
    "BM_CachedComponentLoad/0": [("time", "<=", 2000.0, "us")],
    "BM_StateProof_Verify": [("time", "<=", 20.0, "us")],
    "BM_HttpCallHostOverhead": [("host_overhead_us", "<=", 50.0, "us"), ("http_call_us", None, None, "us"),
                                ("raw_libcurl_us", None, None, "us")],
    "BM_OutboxEnqueue": [("enqueue_us", None, None, "us")],
}
SCALE = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}


def fmt(v, unit):
    if unit == "B/s":
        return f"{v / 1e9:.2f} GB/s"
    if unit == "us":
        return f"{v:.2f} µs"
    if unit == "tx/s":
        return f"{v:,.0f} tx/s"
    return f"{v:.3g}"


def main(d):
    rows = []
    for f in sorted(pathlib.Path(d).glob("*.json")):
        data = json.loads(f.read_text())
        if "benchmarks" in data:
            for b in data["benchmarks"]:
                if b.get("run_type") == "aggregate":
                    continue
                name = b["name"]
                t_us = b["real_time"] * SCALE.get(b.get("time_unit", "ns"), 1e-3)
                for metric, cmp, target, unit in TARGETS.get(name, [("time", None, None, "us")]):
                    value = t_us if metric == "time" else b.get(metric, t_us)
                    extra = ""
                    for k in ("xwing_us", "x25519_us"):
                        if k in b and metric == "ratio":
                            extra += f" {k}={b[k]:.1f}"
                    verdict = ""
                    if cmp:
                        ok = value <= target if cmp == "<=" else value >= target
                        verdict = ("meets" if ok else "MISSES") + f" {cmp} {fmt(target, unit)}"
                    label = name if metric in ("time", "bytes_per_second") else f"{name} [{metric}]"
                    rows.append((f.stem, label, fmt(value, unit) + extra, verdict))
        elif "node_cpu_added_fraction" in data:
            added = data["node_cpu_added_fraction"]
            on, off = data["on"], data["off"]
            label = {"load-audit": "audit on vs off", "load-metering": "metering on vs off",
                     "load-audit-metering": "audit + metering vs neither"}.get(f.stem, f.stem)
            rounds = data.get("round_added_fractions", [])
            spread = f", rounds {min(rounds) * 100:+.1f} .. {max(rounds) * 100:+.1f} %" if rounds else ""
            verdict = ""
            if "target_added_fraction" in data:
                verdict = ("meets" if added <= data["target_added_fraction"] else "MISSES") + " <= +10 % (median round)"
            rows.append((f.stem, label + " (node CPU per call)",
                         f'{off["node_cpu_us_per_call"]:.0f} -> {on["node_cpu_us_per_call"]:.0f} us/call ({added * 100:+.1f} %{spread}), '
                         f'errors {off["errors"]}/{on["errors"]}', verdict))
        elif f.stem == "cluster":
            t = data["t3n"]
            text = f'API {t["tx_per_s"]:.0f} tx/s p50 {t["p50_ms"]:.2f} ms p99 {t["p99_ms"]:.2f} ms'
            if "cpu_us_per_tx" in t:
                text += f', {t["cpu_us_per_tx"]:.0f} us CPU/tx'
            if data.get("t3n_store"):
                text += f'; store level {data["t3n_store"]["tx_per_s"]:.0f} tx/s'
            verdict = "etcd not run"
            if data.get("etcd"):
                e = data["etcd"]
                text += f'; etcd {e["tx_per_s"]:.0f} tx/s p50 {e["p50_ms"]:.2f} ms'
                if "cpu_us_per_tx" in e:
                    text += f', {e["cpu_us_per_tx"]:.0f} us CPU/tx'
                text += f'; ratio {data["ratio"]:.2f}'
                if "store_ratio" in data:
                    text += f' (store level {data["store_ratio"]:.2f})'
                verdict = ("meets" if data["ratio"] >= 1.0 else "MISSES") + " >= 1.0x etcd through the public API"
            rows.append((f.stem, "3 replicated members, 1-key-write transactions through the public API (T3N sessions, contract calls) vs etcd puts", text, verdict))
        elif "throughput_rps" in data:
            verdict = ""
            if f.stem == "load-ohttp":
                ok = data["throughput_rps"] >= 3000
                verdict = ("meets" if ok else "MISSES") + " >= 3,000 calls/s"
            if f.stem == "load-session" and "node_cpu_ratio_to_ohttp" in data:
                r = data["node_cpu_ratio_to_ohttp"]
                cpu = data.get("node_cpu_us_per_call", 0)
                verdict = (("meets" if r <= 0.6 else "MISSES") + f" node CPU <= 0.6x OHTTP ({r:.2f}); "
                           + ("meets" if cpu <= 100 else "MISSES") + " <= 100 us/call")
            cpu = f' node CPU {data["node_cpu_us_per_call"]:.0f} us/call' if "node_cpu_us_per_call" in data else ""
            rows.append((f.stem, data["name"], f'{data["throughput_rps"]:.0f} calls/s p50 {data["p50_ms"]:.2f} ms '
                         f'p99 {data["p99_ms"]:.2f} ms errors {data["errors"]}{cpu}', verdict))
    w = [max(len(r[i]) for r in rows) if rows else 0 for i in range(4)]
    for r in rows:
        print("  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/bench")
