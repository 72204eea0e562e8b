#!/usr/bin/env python3
"""make_problems.py - writes problems.jsonl: grade-school word problems in GSM8K's format, written by this project
(no GSM8K text): {"question": ..., "answer": worked solution with <<calc=result>> annotations, then "#### N"}.
Twelve kinds of two- to four-step problems with random names and numbers, every answer a whole number checked by
the arithmetic that writes it. Deterministic: `python3 make_problems.py [--n 400] [--seed 1] > problems.jsonl`."""
import argparse
import json
import random

NAMES = ["Maya", "Tom", "Ava", "Leo", "Nora", "Sam", "Iris", "Omar", "Lena", "Ravi", "Zoe", "Ben", "Mei", "Carlos",
         "Hana", "Eli", "Priya", "Jonas", "Amara", "Felix"]


def calc(expr, value):
    """expr=<<expr=value>>value, as GSM8K annotates its arithmetic; "/" is exact division"""
    assert eval(expr.replace("/", "//")) == value and ("/" not in expr or eval(expr) == value), (expr, value)
    return f"{expr}=<<{expr}={value}>>{value}"


def shopping(r, who):
    a, b, c, d = r.randint(2, 6), r.randint(2, 9), r.randint(2, 8), r.randint(1, 4)
    cost = a * b + c * d
    bill = next(x for x in (20, 50, 100) if x >= cost)
    q = (f"{who} buys {a} notebooks at ${b} each and {c} pens at ${d} each. {who} pays with a ${bill} bill. "
         f"How much change does {who} get?")
    s = [f"The notebooks cost {calc(f'{a}*{b}', a * b)} dollars.", f"The pens cost {calc(f'{c}*{d}', c * d)} dollars.",
         f"Together they cost {calc(f'{a * b}+{c * d}', cost)} dollars.",
         f"The change is {calc(f'{bill}-{cost}', bill - cost)} dollars."]
    return q, s, bill - cost


def bakery(r, who):
    a, b, c = r.randint(6, 30), r.randint(3, 9), r.randint(2, 8)
    q = (f"{who} bakes {a} loaves of bread per hour. {who} works {b} hours on Monday and {c} hours on Tuesday. "
         f"How many loaves does {who} bake on the two days?")
    s = [f"{who} works {calc(f'{b}+{c}', b + c)} hours.", f"That makes {calc(f'{b + c}*{a}', (b + c) * a)} loaves."]
    return q, s, (b + c) * a


def class_fraction(r, who):
    d = r.choice([3, 4, 5])
    n = d * r.randint(5, 10)
    k = r.randint(1, d - 1)
    girls = n // d * k
    q = (f"{who}'s class has {n} students. {k}/{d} of them are girls. How many boys are in the class?")
    s = [f"One {d}-part of the class is {calc(f'{n}/{d}', n // d)} students.",
         f"The girls are {calc(f'{n // d}*{k}', girls)}.", f"The boys are {calc(f'{n}-{girls}', n - girls)}."]
    return q, s, n - girls


def discount(r, who):
    p, pct = 20 * r.randint(2, 15), r.choice([10, 20, 25, 50])
    off = p * pct // 100
    q = f"A jacket costs ${p}. {who} buys it on sale at {pct}% off. How much does {who} pay?"
    s = [f"The discount is {calc(f'{p}*{pct}/100', off)} dollars.",
         f"{who} pays {calc(f'{p}-{off}', p - off)} dollars."]
    return q, s, p - off


def savings(r, who):
    a, b = r.randint(5, 25), r.randint(4, 12)
    c = r.randint(1, a * b // 10) * 5
    q = (f"{who} saves ${a} every week. After {b} weeks, {who} spends ${c} on a bike. "
         f"How much money does {who} have left?")
    s = [f"{who} saves {calc(f'{a}*{b}', a * b)} dollars.", f"{who} has {calc(f'{a * b}-{c}', a * b - c)} dollars left."]
    return q, s, a * b - c


def train(r, who):
    a, b, c, d = r.randint(40, 90), r.randint(2, 5), r.randint(30, 80), r.randint(1, 4)
    q = (f"{who}'s train travels at {a} km per hour for {b} hours, then at {c} km per hour for {d} hours. "
         f"How many kilometers does the train travel?")
    s = [f"First part: {calc(f'{a}*{b}', a * b)} km.", f"Second part: {calc(f'{c}*{d}', c * d)} km.",
         f"In all: {calc(f'{a * b}+{c * d}', a * b + c * d)} km."]
    return q, s, a * b + c * d


def eggs(r, who):
    b = r.choice([6, 10, 12])
    n = b * r.randint(4, 20)
    c = r.randint(2, 6)
    q = (f"{who} collects {n} eggs and packs them in cartons of {b}. Each carton sells for ${c}. "
         f"How much money does {who} make selling all the cartons?")
    s = [f"There are {calc(f'{n}/{b}', n // b)} cartons.",
         f"They sell for {calc(f'{n // b}*{c}', n // b * c)} dollars."]
    return q, s, n // b * c


def marbles(r, who):
    a, b = r.randint(5, 40), r.randint(2, 15)
    other = r.choice([n for n in NAMES if n != who])
    q = (f"{who} has {a} marbles. {other} has {b} more than twice as many as {who}. "
         f"How many marbles do they have together?")
    s = [f"Twice {who}'s marbles is {calc(f'2*{a}', 2 * a)}.", f"{other} has {calc(f'{2 * a}+{b}', 2 * a + b)}.",
         f"Together: {calc(f'{a}+{2 * a + b}', 3 * a + b)}."]
    return q, s, 3 * a + b


def movie(r, who):
    h, m, k = r.randint(1, 3), r.randint(5, 55), r.randint(2, 5)
    q = (f"A movie lasts {h} hours and {m} minutes. {who} watches it {k} times. "
         f"How many minutes does {who} spend watching?")
    t = h * 60 + m
    s = [f"{h} hours is {calc(f'{h}*60', h * 60)} minutes.", f"The movie is {calc(f'{h * 60}+{m}', t)} minutes.",
         f"{k} times: {calc(f'{t}*{k}', t * k)} minutes."]
    return q, s, t * k


def fence(r, who):
    a, b, c = r.randint(4, 30), r.randint(3, 20), r.randint(2, 9)
    per = 2 * (a + b)
    q = (f"{who}'s rectangular garden is {a} meters long and {b} meters wide. Fencing costs ${c} per meter. "
         f"How much does it cost to fence the whole garden?")
    s = [f"The perimeter is {calc(f'2*({a}+{b})', per)} meters.", f"The fence costs {calc(f'{per}*{c}', per * c)} dollars."]
    return q, s, per * c


def reading(r, who):
    a, b, w = r.randint(5, 30), r.randint(10, 60), r.randint(2, 4)
    q = (f"{who} reads {a} pages every weekday and {b} pages on each day of the weekend. "
         f"How many pages does {who} read in {w} weeks?")
    wk = 5 * a + 2 * b
    s = [f"On weekdays: {calc(f'5*{a}', 5 * a)} pages.", f"On the weekend: {calc(f'2*{b}', 2 * b)} pages.",
         f"A week: {calc(f'{5 * a}+{2 * b}', wk)} pages.", f"{w} weeks: {calc(f'{wk}*{w}', wk * w)} pages."]
    return q, s, wk * w


def sharing(r, who):
    k = r.randint(3, 8)
    each = r.randint(3, 12)
    extra = r.randint(1, k - 1)
    n = k * each + extra
    q = (f"{who} has {n} stickers and shares them equally among {k} friends, keeping the ones left over. "
         f"Then {who} buys 10 more. How many stickers does {who} have now?")
    s = [f"{k} friends get {each} each: {calc(f'{k}*{each}', k * each)} stickers.",
         f"Left over: {calc(f'{n}-{k * each}', extra)}.",
         f"{who} has {calc(f'{extra}+10', extra + 10)} stickers."]
    return q, s, extra + 10


KINDS = [shopping, bakery, class_fraction, discount, savings, train, eggs, marbles, movie, fence, reading, sharing]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    r = random.Random(args.seed)
    seen = set()
    while len(seen) < args.n:
        q, steps, ans = KINDS[len(seen) % len(KINDS)](r, r.choice(NAMES))
        if q in seen:
            continue
        seen.add(q)
        print(json.dumps({"question": q, "answer": "\n".join(steps) + f"\n#### {ans}"}))


if __name__ == "__main__":
    main()
