"""Which bureau published a report, read from its own words.

Reports name their author in four ways, tried in this order of trust:
1. a page label such as ``信息来源:中山市民政局``;
2. the title, either with the place (``兰陵县民政局…``) or without it (``市民政局2020年…``);
3. the signature that closes an official document: the issuer on a line of its own, by the date;
4. the body, where the author calls itself ``县民政局`` and names its place (``兰陵县``) elsewhere.

A name without its place (``市民政局``) is completed with the most frequent place of that level in the
text. When no place of that level is written anywhere (``全县``, ``XX民政``), the bureau is unknown
(``None``): guessing would file the report under the wrong bureau.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

LEVELS = "省市县区旗州盟"
_CJK = "\u4e00-\u9fff"

# Department suffixes, longest first so that 委员会 wins over 委.
_ORGAN_SUFFIXES = ("人民政府", "委员会", "办公室", "局", "厅")
_ORGAN_RE = re.compile(rf"(?P<level>[{LEVELS}])(?P<body>[{_CJK}]{{0,9}}?)(?P<suffix>{'|'.join(_ORGAN_SUFFIXES)})")
_LABEL_RE = re.compile(
    rf"(?:信息来源|来源单位|发布单位|发布机构|发文机关|发文单位|来源)\s*[:：]\s*(?P<name>[{_CJK}]{{2,30}})"
)

# Two-character words ending in a level character that are not places (社区, 全县, 我市, 示范县…).
_NOT_PLACE_TAILS = frozenset(
    {
        *("超市", "城市", "都市", "集市", "上市", "社区", "园区", "城区", "景区", "小区", "地区", "辖区", "片区"),
        *("山区", "牧区", "市区", "郊区", "校区", "街区", "灾区", "新区", "范区", "验区", "政区", "治区", "发区"),
        *("范县", "点县", "强县", "大县", "范市", "点市", "强市", "强省", "大省"),
        *(f"{who}{level}" for who in "全我本各该" for level in "省市县区州"),
        *(f"{a}{b}" for a in "省市县区" for b in "省市县区"),
    }
)
# Characters that do not occur inside the place names a report is filed under; they mark a run of text
# that merely ends in a level character ("召开了全县", "2021年全县").
_NOT_PLACE_CHARS = frozenset("的了在是对把被将从向到以等各我该每其这那此个年月日项届次并或也就而但与及为着过给让使由")
# Text after a level character that makes it a title or a word, not a place (市长, 市场, 区域, 县级).
_NOT_PLACE_NEXT = frozenset("长场域级")

# "局" that ends a common word rather than a department (大局, 格局, 布局) or starts one (局面, 局长).
_NOT_ORGAN_BEFORE_JU = frozenset("大格布开新全结当时变胜危残败定终棋骗饭困乱破僵")
_NOT_ORGAN_AFTER = frozenset("面势部限长")
_NOT_ORGAN_BODY_CHARS = frozenset(
    "的了在是对把被将从向到以等各我该每其这那此个年月日项届次并或也就而但为着过给让使由关于"
)
_NOT_ORGAN_BODIES = frozenset({"居民", "村民"})

_MAX_PLACE_PREFIX = 5
_PLACE_FLAGS = frozenset({"ns", "nr", "nz"})


@dataclass(frozen=True)
class _Mention:
    name: str  # full name with its place, or "" when the place is unknown
    level: str
    position: int


def detect_bureau(text: str, title: str = "") -> str | None:
    """The publishing bureau's full name (``潜江市民政局``), or None when the text does not tell."""
    body = text or ""
    whole = f"{title}\n{body}" if title else body
    places = _places_by_level(whole)

    label = _LABEL_RE.search(body[:3000])
    if label:
        name = _organ_at_end(label.group("name"))
        if name:
            resolved = _resolve(name, places)
            if resolved:
                return resolved

    for mention in _organ_mentions(_outside_book_titles(title), places):
        if mention.name:
            return mention.name

    signed = _signature(body, places)
    if signed:
        return signed

    mentions = [m for m in _organ_mentions(_outside_book_titles(body), places) if m.name]
    if not mentions:
        return None
    own_level = _own_level(body)
    counts = Counter(m.name for m in mentions)
    first_seen: dict[str, int] = {}
    levels: dict[str, str] = {}
    for m in mentions:
        first_seen.setdefault(m.name, m.position)
        levels.setdefault(m.name, m.level)
    # The author's own level (全县/我县 → 县) first, then frequency, then the earliest.
    return max(counts, key=lambda n: (levels[n] == own_level, counts[n], -first_seen[n]))


_SIGNATURE_LINES = 4
_SIGNATURE_MAX_CHARS = 30
# What may stand beside the issuer's name on its line: a date, a seal note (（盖章）).
_SIGNATURE_REST_RE = re.compile(r"[^\S\t\n\d]*[\d〇○零一二三四五六七八九十年月日.\-/（）()盖章 \u3000\xa0]*")


def _signature(body: str, places: dict[str, Counter]) -> str | None:
    """The issuer named on a line of its own among the last lines ("中山市民政局\n2022年1月29日")."""
    lines = [line.strip() for line in body.rstrip().rsplit("\n", 12)[-12:] if line.strip()]
    for line in reversed(lines[-_SIGNATURE_LINES:]):
        if len(line) > _SIGNATURE_MAX_CHARS or "\t" in line:  # a table row is no signature
            continue
        organ = _ORGAN_RE.search(line)
        if not organ or not _SIGNATURE_REST_RE.fullmatch(line[organ.end() :]):
            continue
        for mention in _organ_mentions(line, places):
            # The line is the name as written: whole (中山市民政局) or without its place (市民政局).
            if mention.position == organ.start() and mention.name.endswith(line[: organ.end()]):
                return mention.name
    return None


def bureau_region(name: str) -> tuple[str, str]:
    """Split a bureau name into its place and level: ``兰陵县民政局`` → (``兰陵县``, ``县``)."""
    for match in _ORGAN_RE.finditer(name):
        place = name[: match.start("level") + 1]
        if len(place) >= 2:
            return place, match.group("level")
    return "", ""


def _organ_at_end(name: str) -> str:
    """The label's value when it names an organ (some pages put a date or a share widget after it)."""
    for suffix in _ORGAN_SUFFIXES:
        index = name.find(suffix)
        if index > 0:
            return name[: index + len(suffix)]
    return ""


def _resolve(name: str, places: dict[str, Counter]) -> str:
    """A label name as it stands when it has its place; completed when it starts with a bare level."""
    if name[0] in LEVELS:
        place = _top_place(places, name[0])
        return place + name[1:] if place else ""
    return name


def _organ_mentions(text: str, places: dict[str, Counter]) -> list[_Mention]:
    mentions = []
    for match in _ORGAN_RE.finditer(text):
        level, body, suffix = match.group("level", "body", "suffix")
        start, end = match.start(), match.end()
        if not _is_organ(text, body, suffix, end):
            continue
        if start > 0 and text[start - 1 : start + 1] in _NOT_PLACE_TAILS:
            continue
        place = _place_ending_at(text, start, places)
        if place:
            name = place + body + suffix
        else:
            top = _top_place(places, level)
            name = top + body + suffix if top else ""
        mentions.append(_Mention(name=name, level=level, position=start))
    return mentions


def _is_organ(text: str, body: str, suffix: str, end: int) -> bool:
    if body in _NOT_ORGAN_BODIES or any(ch in _NOT_ORGAN_BODY_CHARS for ch in body):
        return False
    if suffix == "人民政府":
        return body == ""
    if not body:
        return False
    if suffix == "局" and body[-1] in _NOT_ORGAN_BEFORE_JU:
        return False
    return not (end < len(text) and text[end] in _NOT_ORGAN_AFTER)


def _places_by_level(text: str) -> dict[str, Counter]:
    """Place names written in the text (``兰陵县``: 10), by level character.

    A candidate is a run of 2-5 characters before a level character, grown leftwards while every
    occurrence shares the same left character (``拉尔区`` grows to ``海拉尔区``; ``中山市`` stops because
    the characters before it vary); jieba's dictionary then tells a place from a phrase.
    """
    grams: Counter = Counter()
    positions = []
    for i, ch in enumerate(text):
        if ch not in LEVELS or text[i + 1 : i + 2] in _NOT_PLACE_NEXT and text[i + 1 : i + 2]:
            continue
        positions.append(i)
        for k in range(2, _MAX_PLACE_PREFIX + 1):
            gram = text[i - k : i + 1] if i >= k else ""
            if not gram or not _all_cjk(gram):
                break
            grams[gram] += 1
    places: dict[str, Counter] = {}
    for i in positions:
        name = _grow_place(text, i, grams)
        if name:
            places.setdefault(text[i], Counter())[name] += 1
    return places


def _grow_place(text: str, i: int, grams: Counter) -> str:
    best = ""
    for k in range(2, _MAX_PLACE_PREFIX + 1):
        gram = text[i - k : i + 1] if i >= k else ""
        if not gram or gram not in grams:
            break
        if best and grams[gram] < grams[best]:
            break
        best = gram
    if not best or best[-2:] in _NOT_PLACE_TAILS:
        return ""
    return _place_in(best)


@lru_cache(maxsize=4096)
def _place_in(gram: str) -> str:
    """The place name that `gram` ends with, as jieba's dictionary knows places (ns, nr, nz).

    ``推动中山市`` → ``中山市``; ``兰陵县`` (兰陵/ns + 县) → ``兰陵县``; ``完成市`` (完成/v), ``棚户区`` (n) → "".
    """
    tokens = [(pair.word, pair.flag) for pair in _posseg().lcut(gram)]
    word, flag = tokens[-1]
    if len(word) >= 3 and flag.startswith("ns"):
        return word
    if word != gram[-1]:
        return ""
    prefix = ""
    for word, flag in reversed(tokens[:-1]):
        if flag[:2] not in _PLACE_FLAGS or any(ch in _NOT_PLACE_CHARS for ch in word):
            break
        prefix = word + prefix
    if len(prefix) < 2 or prefix[-1] in LEVELS:  # 枣庄市 + 市级…: the place is the shorter one
        return ""
    return prefix + gram[-1]


@lru_cache(maxsize=1)
def _posseg():
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    return jieba.posseg


def _place_ending_at(text: str, level_index: int, places: dict[str, Counter]) -> str:
    """The known place whose level character sits at `level_index`, if the text writes it there."""
    known = places.get(text[level_index], Counter())
    for k in range(_MAX_PLACE_PREFIX, 1, -1):
        if level_index >= k and text[level_index - k : level_index + 1] in known:
            return text[level_index - k : level_index + 1]
    return ""


def _top_place(places: dict[str, Counter], level: str) -> str:
    counter = places.get(level)
    if not counter:
        return ""
    return counter.most_common(1)[0][0]


def _own_level(text: str) -> str:
    """The level the author speaks from: the most frequent of 全X/我X/本X."""
    counts = Counter(m.group(1) for m in re.finditer(rf"[全我本]([{LEVELS}])", text))
    return counts.most_common(1)[0][0] if counts else ""


def _outside_book_titles(text: str) -> str:
    """The text with 《…》 titles blanked: a cited 《兰陵县人民政府关于…》 is not the report's author."""
    return re.sub(r"《[^》]{0,200}》", lambda m: " " * len(m.group(0)), text)


def _all_cjk(text: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in text)
