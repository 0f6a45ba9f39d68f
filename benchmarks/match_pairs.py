"""Speed benchmark of the matching engine, end to end: read both files, `analyse_text` on both,
`review_sections_for`, `match_commitments`. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/match_pairs.py [--pairs 100] [--no-embeddings] [--profile]

Two sets: the devset pairs (gold files with a review_file) and a synthetic scale-up of report
pairs of about 15,000 characters each, built deterministically from the paragraphs of the seed
reports and the devset files (fixed random seed, written to a temporary directory, never committed).
Warm figures load the pipeline and the embedding model once; the cold figure is a fresh process
doing its first pair, imports and model loading included. The environment is left as it is
(no thread settings).
"""

from __future__ import annotations

import time

PROCESS_START = time.perf_counter()  # the cold run counts from here (imports come after)

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared"
DEVSET = SHARED / "devset"
SEEDS = SHARED / "seeds"

SEED = 2022
YEAR = 2022  # the plan year of every synthetic pair
REPORT_CHARS = 15_000
REVIEW_SHARE = 0.6  # a "年度总结和计划" report is mostly review
FAMILY_SHARE = 0.6  # share of a part drawn from the pair's own family (so that evidence exists)

# Where the paragraphs come from: (file, kind, year of the part, family, start marker, end marker).
# Markers cut the review or plan part out of a whole report; "" means the file's start or end.
SOURCES = [
    ("devset/zhongshan_2022_plan.txt", "plan", 2022, "zhongshan", "", ""),
    ("devset/zhongshan_2022_review.synthetic.txt", "review", 2022, "zhongshan", "", ""),
    ("devset/lanling_2022_plan.txt", "plan", 2022, "lanling", "", ""),
    ("devset/lanling_2022_review.synthetic.txt", "review", 2022, "lanling", "", "三、存在的问题"),
    ("devset/statecouncil_2018_plan.txt", "plan", 2018, "statecouncil", "", ""),
    ("devset/statecouncil_2018_review.txt", "review", 2018, "statecouncil", "", ""),
    ("devset/hailar_2015_plan.txt", "plan", 2015, "hailar", "", ""),
    ("devset/hailar_2015_review.txt", "review", 2015, "hailar", "", ""),
    ("devset/qianjiang_2020h2_plan.txt", "plan", 2020, "", "", ""),
    ("devset/xxcounty_2021_plan.txt", "plan", 2021, "", "", ""),
    ("seeds/000", "review", 2020, "", "一、2020年工作回顾", "二、2021年具体安排"),
    ("seeds/001", "review", 2021, "", "2021年工作回顾", "2022年工作计划"),
    ("seeds/002", "review", 2020, "", "一、2020年上半年工作情况", "二、下半年工作计划"),
    ("seeds/003", "review", 2021, "", "一、2021年工作开展情况", "三、2022年工作打算"),
    ("seeds/004", "review", None, "", "一、充分肯定第三季度", "二、清醒认识"),
    ("seeds/004", "plan", None, "", "三、扎实做好下一阶段", ""),
]
FAMILIES = ("zhongshan", "lanling", "statecouncil", "hailar")
BUREAUS = {
    "zhongshan": "中山市民政局",
    "lanling": "兰陵县民政局",
    "statecouncil": "某市人民政府",
    "hailar": "某区人民政府",
}

HAN_RE = re.compile(r"[\u4e00-\u9fff]")
CN_ORDINAL = "一二三四五六七八九十"
TOP_RE = re.compile(rf"^[{CN_ORDINAL}]+、")
SUB_RE = re.compile(rf"^[（(][{CN_ORDINAL}]+[）)]")
YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?=年)")
META_RE = re.compile(r"信息来源|发布日期|首页|登录|分享|当前的位置")
# Short paragraphs that head a whole part (a year's review or plan): left out, each part gets its own.
PART_HEADING_RE = re.compile(
    r"\d{4}年|上半年|下半年|下一阶段|季度|工作总结|工作回顾|工作计划|工作打算|工作安排|亮点工作|存在的问题|取得的成绩"
)


# --- synthetic report pairs -------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A heading paragraph with the paragraphs under it, or a lone paragraph."""

    text: str
    level: int  # 1: `一、`, 2: `（一）`, 0: no heading
    year: int | None
    family: str


def _source_text(name: str) -> str:
    if name.startswith("seeds/"):
        (path,) = SEEDS.glob(f"{name.split('/')[1]}_*.txt")
    else:
        path = SHARED / name
    return path.read_text(encoding="utf-8")


def _cut(text: str, start: str, end: str) -> str:
    a = text.find(start) + len(start) if start and start in text else 0
    b = text.find(end, a) if end and end in text[a:] else len(text)
    return text[a:b]


def _blocks(text: str, year: int | None, family: str) -> list[Block]:
    paragraphs = [p.strip(" \t\u3000\xa0\r") for p in text.split("\n")]
    paragraphs = [p for p in paragraphs if len(HAN_RE.findall(p)) >= 8 and not META_RE.search(p[:40])]
    blocks: list[list[str]] = []
    levels: list[int] = []
    for paragraph in paragraphs:
        level = 1 if TOP_RE.match(paragraph) else 2 if SUB_RE.match(paragraph) else 0
        if len(paragraph) < 40 and PART_HEADING_RE.search(paragraph):
            continue
        if level or not blocks or levels[-1] == 0:
            blocks.append([paragraph])
            levels.append(level)
        else:
            blocks[-1].append(paragraph)
    return [Block("\n".join(b), lv, year, family) for b, lv in zip(blocks, levels, strict=True)]


def paragraph_pools() -> dict[str, list[Block]]:
    pools: dict[str, list[Block]] = {"plan": [], "review": []}
    seen: set[str] = set()
    for name, kind, year, family, start, end in SOURCES:
        for block in _blocks(_cut(_source_text(name), start, end), year, family):
            if block.text not in seen:
                seen.add(block.text)
                pools[kind].append(block)
    return pools


def _renumbered(block: Block, counters: list[int], year: int) -> str:
    text = block.text
    if block.year is not None:
        shift = year - block.year
        text = YEAR_RE.sub(
            lambda m: str(int(m.group(1)) + shift) if abs(int(m.group(1)) - block.year) <= 2 else m.group(1), text
        )
    if block.level == 1:
        counters[0], counters[1] = counters[0] + 1, 0
        text = TOP_RE.sub(_cn(counters[0]) + "、", text, count=1)
    elif block.level == 2:
        counters[1] += 1
        text = SUB_RE.sub(f"（{_cn(counters[1])}）", text, count=1)
    return text


def _cn(n: int) -> str:
    if n <= 10:
        return CN_ORDINAL[n - 1]
    return ("" if n < 20 else CN_ORDINAL[n // 10 - 1]) + "十" + (CN_ORDINAL[n % 10 - 1] if n % 10 else "")


def _part(rng: random.Random, pool: list[Block], family: str, budget: int, year: int) -> str:
    own = [b for b in pool if family and b.family == family]
    others = [b for b in pool if b not in own]
    rng.shuffle(own)
    rng.shuffle(others)
    chosen: list[Block] = []
    size = 0
    for blocks, limit in ((own, FAMILY_SHARE * budget), (others, budget)):
        for block in blocks:
            if size >= limit:
                break
            if size + len(block.text) <= limit * 1.1:
                chosen.append(block)
                size += len(block.text) + 1
    counters = [0, 0]
    return "\n".join(_renumbered(b, counters, year) for b in chosen)


def synthetic_pair(index: int, pools: dict[str, list[Block]]) -> tuple[str, str]:
    """(plan report, review report): `YEAR`'s plan in the first, `YEAR`'s review in the second."""
    rng = random.Random(SEED * 1000 + index)
    family = FAMILIES[index % len(FAMILIES)]
    bureau = BUREAUS[family]
    review_budget = int(REPORT_CHARS * REVIEW_SHARE)
    plan_budget = REPORT_CHARS - review_budget
    plan_report = "\n\n".join(
        [
            f"{bureau}{YEAR - 1}年工作总结和{YEAR}年工作计划",
            f"{YEAR - 1}年工作总结",
            _part(rng, pools["review"], "", review_budget, YEAR - 1),
            f"{YEAR}年工作计划",
            _part(rng, pools["plan"], family, plan_budget, YEAR),
        ]
    )
    review_report = "\n\n".join(
        [
            f"{bureau}{YEAR}年工作总结和{YEAR + 1}年工作计划",
            f"{YEAR}年工作总结",
            _part(rng, pools["review"], family, review_budget, YEAR),
            f"{YEAR + 1}年工作计划",
            _part(rng, pools["plan"], "", plan_budget, YEAR + 1),
        ]
    )
    return plan_report, review_report


def write_synthetic(directory: Path, count: int) -> list[tuple[Path, Path, int]]:
    pools = paragraph_pools()
    pairs = []
    for index in range(count):
        plan, review = synthetic_pair(index, pools)
        plan_path, review_path = directory / f"pair{index:03d}_plan.txt", directory / f"pair{index:03d}_review.txt"
        plan_path.write_text(plan, encoding="utf-8")
        review_path.write_text(review, encoding="utf-8")
        pairs.append((plan_path, review_path, YEAR))
    return pairs


def devset_pairs() -> list[tuple[Path, Path, int]]:
    from commitments.engine.gold import gold_year

    pairs = []
    for gold_path in sorted(DEVSET.glob("*.gold.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        year = gold_year(gold)
        if gold.get("review_file") and year:
            pairs.append((DEVSET / gold["plan_file"], DEVSET / gold["review_file"], year))
    return pairs


# --- one pair, end to end ---------------------------------------------------------------------


@dataclass
class PairTiming:
    chars: int
    commitments: int
    seconds: float
    read: float
    analyse: float
    match: float
    review_found: bool


def run_pair(plan_path: Path, review_path: Path, year: int, *, use_embeddings: bool) -> PairTiming:
    from commitments.engine.analyse import analyse_text
    from commitments.engine.ingest.readers import read_report
    from commitments.engine.matching.engine import match_commitments, review_sections_for

    t0 = time.perf_counter()
    plan_doc, review_doc = read_report(plan_path), read_report(review_path)
    t1 = time.perf_counter()
    plan = analyse_text(plan_doc.text, title=plan_doc.title, year=year)
    review = analyse_text(review_doc.text, title=review_doc.title, year=year + 1)
    t2 = time.perf_counter()
    plans = [i for i, s in enumerate(plan.sections) if s.kind == "plan" and s.year == year]
    plans = plans or [i for i, s in enumerate(plan.sections) if s.kind == "plan" and s.year is None]
    matched, found = 0, True
    corpus = (plan_doc.text, review_doc.text)
    for index in plans:
        review_indexes = review_sections_for(review.sections, year=year, period=plan.sections[index].period)
        found = found and bool(review_indexes)
        commitments = [c for c in plan.commitments if c.section_index == index]
        results = match_commitments(
            commitments,
            review_doc.text,
            [review.sections[i] for i in review_indexes],
            corpus=corpus,
            use_embeddings=use_embeddings,
        )
        matched += len(results)
    t3 = time.perf_counter()
    chars = len(plan_doc.text) + len(review_doc.text)
    return PairTiming(chars, matched, t3 - t0, t1 - t0, t2 - t1, t3 - t2, found and bool(plans))


def forget_texts() -> None:
    """Empty the engine's per-text memo caches (not the loaded models), so that a synthetic pair
    does not find the paragraphs it shares with earlier pairs already segmented."""
    for name, module in list(sys.modules.items()):
        if not name.startswith("commitments."):
            continue
        for value in list(vars(module).values()):
            info = getattr(value, "cache_info", None)
            if info is not None and getattr(value, "__module__", "") == name and (info().maxsize or 1) > 1:
                value.cache_clear()


# --- figures ----------------------------------------------------------------------------------


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _rss_mb(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: kilobytes


def measure(name: str, pairs, *, use_embeddings: bool) -> dict:
    run_pair(*pairs[0], use_embeddings=use_embeddings)  # warm-up: pipeline and model loaded once, not timed
    timings = []
    for pair in pairs:
        forget_texts()
        timings.append(run_pair(*pair, use_embeddings=use_embeddings))
    seconds = [t.seconds for t in timings]
    return {
        "set": name,
        "mode": "semantic" if use_embeddings else "lexical",
        "pairs": len(timings),
        "chars": sum(t.chars for t in timings),
        "commitments": sum(t.commitments for t in timings),
        "median": _quantile(seconds, 0.5),
        "p90": _quantile(seconds, 0.9),
        "max": max(seconds),
        "total": sum(seconds),
        "read": _quantile([t.read for t in timings], 0.5),
        "analyse": _quantile([t.analyse for t in timings], 0.5),
        "match": _quantile([t.match for t in timings], 0.5),
        "no_review": sum(not t.review_found for t in timings),
        "rss": _rss_mb(),
    }


def print_rows(rows: list[dict]) -> None:
    print(
        f"{'set':<10} {'mode':<9} {'pairs':>5} {'chars/pair':>10} {'commit.':>7} {'median s':>8} {'p90 s':>6} "
        f"{'max s':>6} {'commit./s':>9} {'read/analyse/match median s':>28} {'RSS MB':>7}"
    )
    for r in rows:
        stages = f"{r['read']:.3f}/{r['analyse']:.3f}/{r['match']:.3f}"
        print(
            f"{r['set']:<10} {r['mode']:<9} {r['pairs']:>5} {r['chars'] / r['pairs']:>10.0f} {r['commitments']:>7} "
            f"{r['median']:>8.3f} {r['p90']:>6.3f} {r['max']:>6.3f} {r['commitments'] / r['total']:>9.1f} "
            f"{stages:>28} {r['rss']:>7.0f}"
        )
        if r["no_review"]:
            print(f"  ! {r['no_review']} pair(s) without a plan section or a review of the year")


def cold(pair, *, use_embeddings: bool) -> dict:
    plan, review, year = pair
    args = [sys.executable, __file__, "--cold-child", str(plan), str(review), str(year)]
    if not use_embeddings:
        args.append("--no-embeddings")
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    return {"wall": wall, **json.loads(done.stdout.strip().splitlines()[-1])}


def cold_child(plan: str, review: str, year: int, *, use_embeddings: bool) -> None:
    if use_embeddings:
        from commitments.engine.matching import embedding

        embedding.preload()  # as `match_files` does
    timing = run_pair(Path(plan), Path(review), year, use_embeddings=use_embeddings)
    print(
        json.dumps(
            {
                "in_process": time.perf_counter() - PROCESS_START,
                "pair": timing.seconds,
                "chars": timing.chars,
                "commitments": timing.commitments,
                "rss": _rss_mb(),
            }
        )
    )


def profile(pairs, *, use_embeddings: bool) -> None:
    import cProfile
    import pstats

    run_pair(*pairs[0], use_embeddings=use_embeddings)
    profiler = cProfile.Profile()
    profiler.enable()
    for pair in pairs:
        profiler.disable()
        forget_texts()
        profiler.enable()
        run_pair(*pair, use_embeddings=use_embeddings)
    profiler.disable()
    print(f"\nprofile, {len(pairs)} synthetic pairs warm ({'semantic' if use_embeddings else 'lexical'}), top 15:")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100, help="synthetic report pairs (default 100)")
    parser.add_argument("--no-embeddings", action="store_true", help="lexical figures only")
    parser.add_argument("--profile", action="store_true", help="also profile 10 synthetic pairs (cProfile)")
    parser.add_argument("--keep", metavar="DIR", help="write the synthetic reports here instead of a temporary dir")
    parser.add_argument("--cold-child", nargs=3, metavar=("PLAN", "REVIEW", "YEAR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cold_child:
        plan, review, year = args.cold_child
        cold_child(plan, review, int(year), use_embeddings=not args.no_embeddings)
        return

    from commitments.engine.analyse import engine_version as extract_version
    from commitments.engine.matching.model_file import engine_version

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(args.keep) if args.keep else Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        synthetic = write_synthetic(directory, args.pairs)
        devset = devset_pairs()
        modes = [False] if args.no_embeddings else [False, True]  # lexical first: its RSS without the model
        print(
            f"match_pairs: {extract_version()} / {engine_version()}, {os.cpu_count()} CPUs, "
            f"python {sys.version.split()[0]}, synthetic seed {SEED}, load average {os.getloadavg()[0]:.2f}"
        )
        colds = {mode: cold(synthetic[0], use_embeddings=mode) for mode in modes}
        rows = []
        for mode in modes:
            rows.append(measure("devset", devset, use_embeddings=mode))
            rows.append(measure("synthetic", synthetic, use_embeddings=mode))
        print("\nwarm (pipeline and model loaded once, per-text caches emptied before each pair), seconds per pair:")
        print_rows(rows)
        if not args.no_embeddings:
            for name in ("devset", "synthetic"):
                lexical, semantic = (r for r in rows if r["set"] == name)
                print(f"{name}: semantic / lexical median = {semantic['median'] / lexical['median']:.2f}")
        print("\ncold (fresh process, first synthetic pair, imports and model loading included):")
        for mode, figures in colds.items():
            print(
                f"  {'semantic' if mode else 'lexical':<9} {figures['wall']:.2f} s wall "
                f"({figures['in_process']:.2f} s in process, pair alone {figures['pair']:.2f} s; "
                f"{figures['chars']} chars, {figures['commitments']} commitments), peak RSS {figures['rss']:.0f} MB"
            )
        print(f"\npeak RSS of this process: {_rss_mb():.0f} MB (after the lexical pass: {rows[1]['rss']:.0f} MB)")
        print("targets (issue 3): warm <= 1 s per ~15k-character pair, cold <= 3 s, peak RSS <= 700 MB")
        print(
            "load average at the end (other processes skew the figures): "
            + " ".join(f"{x:.2f}" for x in os.getloadavg())
        )
        if args.profile:
            profile(synthetic[:10], use_embeddings=not args.no_embeddings)


if __name__ == "__main__":
    main()
