"""Detail sections of the benchmark report: step tables, the idle bot, overdue, the views."""

from benchmarks.stats import critical_path, summary_ms

# Before issue 14 (benchmarks/REPORT.md of 2026-11-21 and the issue's own measurements).
IDLE_BEFORE = {
    1_000: "0.13 s/min at 2,000",
    10_000: "1.14 s/min (1.33 in the report)",
    100_000: "9.44 s/min at 30,000",
}


def link_steps(
    steps: list[dict[str, float]], totals: list[float], pbkdf2: list[float], where: str
) -> list[str]:
    """Approve click → DM link, by step."""
    if not steps:
        return []
    lines = [
        f"## Approve click → DM link, by step, {where}",
        "",
        "Medians over the sequential grants. `db_user` ensures the database user through "
        "the admin connection (secret, connect, role check); `iam` writes the policy "
        "(list, size check, put); `mint` is STS AssumeRole plus signing the token; `share` "
        "is PBKDF2 + AES-GCM (off the event loop) plus the PrivateBin POST; `slack` is the "
        "link DM; `verify` is the first login with the new token (issue 13). The critical "
        "path counts `db_user`(+`statement_log`), `role`+`iam` and `mint`+`share` side by "
        "side (they are independent), then `verify` and `slack`; the rest of the total is "
        "the state store, the card updates and DMs sent before the link, and bolt.",
        "",
        "| step | p50 ms | p99 ms |",
        "|---|---|---|",
    ]
    for name in sorted({k for step in steps for k in step}):
        s = summary_ms([step[name] for step in steps if name in step])
        lines.append(f"| {name} | {s['p50']:.1f} | {s['p99']:.1f} |")
    path = summary_ms([critical_path(step) for step in steps])
    rest = summary_ms([t - critical_path(s) for t, s in zip(totals, steps, strict=True)])
    total = summary_ms(totals)
    lines += [
        f"| critical path | {path['p50']:.1f} | {path['p99']:.1f} |",
        f"| the rest | {rest['p50']:.1f} | {rest['p99']:.1f} |",
        f"| total, click → link | {total['p50']:.1f} | {total['p99']:.1f} |",
    ]
    sequential = summary_ms([sum(s.values()) for s in steps])
    lines += ["", f"The steps one after another would take p50 {sequential['p50']:.0f} ms."]
    if pbkdf2:
        p = summary_ms(pbkdf2)
        lines.append(
            f"PBKDF2 + encryption alone: p50 {p['p50']:.1f} ms, p99 {p['p99']:.1f} ms "
            f"(n={p['n']}), so the PrivateBin round trip is the rest of `share`."
        )
    return [*lines, ""]


def idle_rows(footprints: list[dict[str, float]]) -> list[str]:
    """Summary rows: idle CPU per size, IAM calls per pass, memory at the largest size."""
    rows = []
    for f in footprints:
        grants = int(f["grants"])
        rows.append(
            f"| idle CPU, {grants:,} active grants (one reconcile interval of "
            f"{f['interval_s']:.0f} s, pass included) | {f['cpu_s_per_min']:.2f} s/min | "
            f"< 0.2 s/min, flat — {_verdict(f['cpu_s_per_min'] < 0.2)} | "
            f"{IDLE_BEFORE.get(grants, '—')} |"
        )
    for f in footprints:
        if f["principals"] >= 5_000:
            rows.append(
                f"| IAM calls per reconcile pass, {f['principals']:,.0f} principals | "
                f"{f['iam_calls']:.0f} ({f['iam_detail_calls']:.0f} "
                f"GetAccountAuthorizationDetails of 100) | ≤ 60 — "
                f"{_verdict(f['iam_calls'] <= 60)} | 5,000 ListRolePolicies |"
            )
    if footprints:
        f = max(footprints, key=lambda x: x["grants"])
        rows.append(
            f"| RSS, {f['grants']:,.0f} active grants, {f['audit_rows']:,.0f} audit rows | "
            f"{f['rss_mb']:.0f} MB (peak {f['peak_mb']:.0f}) | < 150 MB — "
            f"{_verdict(f['peak_mb'] < 150)} | 162 MB at 30,000 grants |"
        )
    return rows


def idle(footprints: list[dict[str, float]]) -> list[str]:
    """The idle bot at each size."""
    if not footprints:
        return []
    lines = [
        "## The idle bot, by size",
        "",
        "A real `db-access-bot run` over N active grants (20 a role) whose policies are in "
        "IAM (moto, paged like IAM). CPU is read from /proc over one reconcile interval, "
        "from the end of one pass to the end of the next; the pass spreads its pages over "
        "half the interval.",
        "",
        "| grants | principals | audit rows | ready | RSS (peak) | CPU | pass | pages | "
        "IAM calls in the interval |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for f in footprints:
        lines.append(
            f"| {f['grants']:,.0f} | {f['principals']:,.0f} | {f['audit_rows']:,.0f} | "
            f"{f['ready_s']:.1f} s | {f['rss_mb']:.0f} MB ({f['peak_mb']:.0f}) | "
            f"{f['cpu_s_per_min']:.2f} s/min | {f['pass_s']:.1f} s | "
            f"{f['pages']:.0f} | {f['iam_calls']:.0f} |"
        )
    return [*lines, ""]


def overdue(found: dict[str, float]) -> list[str]:
    """The overdue-at-start run."""
    if not found:
        return []
    rate = found["revoked"] / found["total_s"] if found["total_s"] else 0.0
    return [
        "## Grants that ended while no bot ran",
        "",
        f"{found['count']:,.0f} active grants past their end, their policies in moto, a "
        f"`db-access-bot run` started over them with `IAM_CONCURRENCY="
        f"{found['concurrency']:.0f}`: ready after {found['ready_s']:.1f} s, "
        f"{found['revoked']:,.0f} revoked {found['total_s']:.1f} s after the process "
        f"started ({rate:.0f} a second). Each revocation deletes the policy, reads the admin "
        "login (kept 5 minutes), connects as admin and ends the user's sessions, marks the "
        "row; the DM follows beside the sweep. "
        f"(Seeding IAM took {found['seed_s']:.0f} s, not counted.)",
        "",
    ]


def views(
    seed: dict[str, float], times: dict[str, list[float]], plans: dict[str, list[str]]
) -> list[str]:
    """Latency of the three views and the plans of their queries."""
    if not times:
        return []
    lines = [
        "## audit, App Home and list over a large state store",
        "",
        f"{seed['grants']:,.0f} active grants, {seed['audit_rows']:,.0f} audit rows, 20 "
        "pending requests (seeded in {:.0f} s). Time from the envelope until the bot "
        "finished answering, one at a time, in-process bot on the emulator.".format(
            seed["seconds"]
        ),
        "",
        "| view | p50 ms | p99 ms |",
        "|---|---|---|",
    ]
    for name, values in times.items():
        s = summary_ms(values)
        lines.append(f"| {name} | {s['p50']:.1f} | {s['p99']:.1f} |")
    lines += ["", "Query plans (`EXPLAIN ANALYZE`, scans and execution time):", ""]
    for name, found in plans.items():
        lines.append(f"- {name}: " + "; ".join(f"`{line}`" for line in found))
    return [*lines, ""]


NOTES = [
    "## Method",
    "",
    "- Acks are measured by the emulator from sending the envelope to receiving the ack over "
    "the websocket, against a real `db-access-bot run` process (scheduler running). Each burst "
    "files half its users' requests beforehand; then the other half's `/db-access request` "
    "commands and the Approve clicks on the first half's cards go out at random moments within "
    "one second, while the grants they start (IAM, STS, PrivateBin, DMs) run.",
    "- Revocation lag is the time the grant's policy was deleted in IAM (moto) minus its "
    "`expires_at`, with production intervals (sweep every 5 s, wake-ups at the next 16 ends).",
    "- moto in server mode answers everything in one page; the idle step runs moto in a thread "
    "of the benchmark, patched to page GetAccountAuthorizationDetails as IAM documents it "
    "(MaxItems, Marker), and seeded straight into its model.",
    "",
]


def _verdict(ok: bool) -> str:
    return "✓ meets target" if ok else "✗ misses target"
