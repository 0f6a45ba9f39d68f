"""Chinese numerals to numbers: reports write 百分之五十, 两千, 三十万 as often as 50%, 2000, 30万."""

from __future__ import annotations

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
CN_NUMERAL_CHARS = "".join(DIGITS) + "".join(SMALL_UNITS) + "".join(BIG_UNITS)


def cn_to_number(text: str) -> float | None:
    """Value of a Chinese numeral such as 三千五百, 十二, 两万, 一点五; None when it is not one."""
    if not text:
        return None
    if "点" in text:
        whole, _, frac = text.partition("点")
        whole_value = cn_to_number(whole) if whole else 0
        if whole_value is None or not frac or any(ch not in DIGITS for ch in frac):
            return None
        return whole_value + float("0." + "".join(str(DIGITS[ch]) for ch in frac))
    total = 0
    section = 0
    digit = None
    for ch in text:
        if ch in DIGITS:
            # digits read one by one: 二〇二二
            digit = DIGITS[ch] if digit is None else digit * 10 + DIGITS[ch]
        elif ch in SMALL_UNITS:
            section += (1 if digit is None else digit) * SMALL_UNITS[ch]
            digit = None
        elif ch in BIG_UNITS:
            section += digit or 0
            total = (total + section) * BIG_UNITS[ch] if total < BIG_UNITS[ch] else total + section * BIG_UNITS[ch]
            section = 0
            digit = None
        else:
            return None
    return float(total + section + (digit or 0))
