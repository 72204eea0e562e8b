#!/usr/bin/env python3
"""search_trend.py - what a countdown-search run (configs/countdown-search.ini) shows, read from its run database:
held-out pass@1 over time, the trend of the response length (Spearman rank correlation with the step, final over
start), retries and what they bought, and attempts by difficulty at the end.

    python3 tests/analysis/search_trend.py runs/countdown-search.db [--run ID] [--window 20] [--minutes 15]

Start and end values are means over the first and last --window steps. Only the standard library is used."""
import argparse, sqlite3, sys


def ranks(xs):
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    r = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2.0
        i = j + 1
    return r


def spearman(xs, ys):
    rx, ry = ranks(xs), ranks(ys)
    n = len(xs)
    mx, my = sum(rx) / n, sum(ry) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    return sxy / (sxx * syy) ** 0.5 if sxx > 0 and syy > 0 else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("db")
    ap.add_argument("--run", type=int, help="run id (default: the newest run)")
    ap.add_argument("--window", type=int, default=20)
    ap.add_argument("--minutes", type=float, default=15.0)
    a = ap.parse_args()
    con = sqlite3.connect(f"file:{a.db}?mode=ro", uri=True)
    run = a.run or con.execute("SELECT max(id) FROM runs").fetchone()[0]
    if run is None:
        sys.exit(f"{a.db}: no runs")
    start = con.execute("SELECT start_time FROM runs WHERE id = ?", (run,)).fetchone()[0]

    def series(name):
        return con.execute("SELECT step, value, wall_time FROM metrics WHERE run_id = ? AND name = ? AND value IS NOT NULL"
                           " ORDER BY step", (run, name)).fetchall()

    def ends(name):
        s = series(name)
        if not s:
            return None, None
        w = min(a.window, len(s))
        return sum(v for _, v, _ in s[:w]) / w, sum(v for _, v, _ in s[-w:]) / w

    print(f"run {run} of {a.db}")
    ev = series("eval_pass1")
    if ev:
        print("held-out pass@1: " + ", ".join(f"{s}: {v:.2f} ({(t - start) / 60:.1f} min)" for s, v, t in ev))
        within = [v for s, v, t in ev if (t - start) / 60 <= a.minutes]
        reach = [(s, (t - start) / 60) for s, v, t in ev if v >= 0.7]
        print(f"  first {ev[0][1]:.3f}; best within {a.minutes:g} min {max(within) if within else float('nan'):.3f}; "
              + (f"0.7 first reached at step {reach[0][0]} ({reach[0][1]:.1f} min)" if reach else "0.7 not reached"))
    ln = series("completion_length")
    if ln:
        rho = spearman([s for s, _, _ in ln], [v for _, v, _ in ln])
        s0, s1 = ends("completion_length")
        print(f"response length: {len(ln)} steps, Spearman with step {rho:.3f}; start {s0:.1f} -> end {s1:.1f} tokens"
              f" ({s1 / s0:.2f}x)")
    for name in ("attempts", "retry_rate", "right_after_reject", "first_attempt_accuracy", "single_accuracy",
                 "retried_accuracy", "accuracy", "reflection_rate", "equations_true", "verdicts_true"):
        s0, s1 = ends(name)
        if s0 is not None:
            print(f"{name:>24}: start {s0:.3f} -> end {s1:.3f}")
    bands = [(b, ends("attempts_" + b)[1], ends("accuracy_" + b)[1]) for b in ("small", "medium", "large")]
    if all(x[1] is not None for x in bands):
        print("attempts at the end by target size: " +
              ", ".join(f"{b} {att:.2f} (accuracy {acc:.2f})" for b, att, acc in bands))
    for name in ("eval_attempts", "eval_retry_rate", "eval_equations_true", "eval_attempts_small", "eval_attempts_large"):
        s = series(name)
        if s:
            print(f"{name:>24}: " + ", ".join(f"{st}: {v:.2f}" for st, v, _ in s))


if __name__ == "__main__":
    main()
