"""人民币大写 · capital Chinese numerals for amounts, as banks and letters write them.

A 催款函 or 对账单 states its amount twice, in figures and in capitals, so that a figure cannot
be altered unseen.  The rules are those of the People's Bank's 《正确填写票据和结算凭证的基本规定》:

- digits 零壹贰叁肆伍陆柒捌玖, units 拾佰仟万亿, then 元角分; ``壹拾`` is always written (10 →
  壹拾元整, never 拾元);
- a zero, or a run of zeros, between non-zero digits is one 零 (1,005 → 壹仟零伍元整; 1,010,000 →
  壹佰零壹万元整; 10,005 → 壹万零伍元整); zeros at the end of a section are not written
  (100,000 → 壹拾万元整);
- where 万位 or 元位 is zero but the next digit (仟位 or 角位) is not, 零 is optional: we leave it
  out (105,000 → 壹拾万伍仟元整; 1,680.32 → 壹仟陆佰捌拾元叁角贰分), except when a whole
  section is zero (100,005,000 → 壹亿零伍仟元整), where leaving it out could be read as 1.5 亿;
- 角 zero and 分 not: 零 after 元 (10.05 → 壹拾元零伍分);
- an amount in whole 元 ends with 整, one with 角 or 分 does not (0.50 → 伍角; 0.05 → 伍分);
- zero is 零元整; a negative amount is prefixed 负 (a credit balance on a statement).

The prefix 人民币 is the caller's (it belongs to the sentence, not to the number).
Pure functions, no I/O; :func:`parse_rmb_upper` is the inverse, used by the tests.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = ["parse_rmb_upper", "rmb_upper"]

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ("", "拾", "佰", "仟")


def _four(n: int) -> str:
    """0 < n < 10,000 without leading zeros: inner zeros are one 零, trailing zeros nothing."""
    out: list[str] = []
    zero = False
    for power in (3, 2, 1, 0):
        d = n // 10**power % 10
        if d == 0:
            zero = bool(out)  # a zero after a digit: 零 if a non-zero digit follows
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(DIGITS[d] + _UNITS[power])
    return "".join(out)


def _whole(n: int) -> str:
    """0 < n: sections of 亿 and 万, a 零 where a section starts with zeros after a higher one."""
    if n >= 10**8:
        high, low = divmod(n, 10**8)
        text = _whole(high) + "亿"
        if low:
            text += ("零" if low < 10**7 else "") + _whole(low)
        return text
    high, low = divmod(n, 10**4)
    if not high:
        return _four(low)
    text = _four(high) + "万"
    if low:
        text += ("零" if low < 1000 else "") + _four(low)
    return text


def rmb_upper(amount: Decimal | int) -> str:
    """``Decimal("12345.67")`` → ``壹万贰仟叁佰肆拾伍元陆角柒分`` (rules in the module doc).

    Raises ``ValueError`` for an amount with a fraction of a 分 (money here is exact to the 分;
    rounding would state a different sum than the figures) or one that is not finite.
    """
    value = Decimal(amount)
    if not value.is_finite():
        raise ValueError(f"不是金额：{amount}")
    fen = value * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"金额精确到分：{amount}")
    total = int(fen)
    sign = "负" if total < 0 else ""
    yuan, cents = divmod(abs(total), 100)
    jiao, fen_digit = divmod(cents, 10)
    if not yuan and not cents:
        return "零元整"
    text = _whole(yuan) + "元" if yuan else ""
    if not cents:
        return sign + text + "整"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    if fen_digit:
        text += DIGITS[fen_digit] + "分"
    return sign + text


def _parse_whole(text: str) -> int:
    if "亿" in text:
        high, low = text.rsplit("亿", 1)
        return _parse_whole(high) * 10**8 + _parse_whole(low)
    if "万" in text:
        high, low = text.split("万", 1)
        return _parse_whole(high) * 10**4 + _parse_whole(low)
    total, digit = 0, None
    for ch in text:
        if ch in DIGITS:
            digit = DIGITS.index(ch)
        elif ch in "拾佰仟":
            if digit is None:
                raise ValueError(text)
            total += digit * 10 ** (_UNITS.index(ch))
            digit = None
        else:
            raise ValueError(text)
    return total + (digit or 0)


def parse_rmb_upper(text: str) -> Decimal:
    """The inverse of :func:`rmb_upper` (accepts its output, with or without 人民币)."""
    body = text.removeprefix("人民币")
    sign = -1 if body.startswith("负") else 1
    body = body.removeprefix("负").removesuffix("整")
    yuan, _, rest = body.rpartition("元")
    fen = _parse_whole(yuan) * 100
    rest = rest.removeprefix("零")
    if "角" in rest:
        jiao, rest = rest.split("角", 1)
        fen += DIGITS.index(jiao) * 10
    if rest:
        fen += DIGITS.index(rest.removesuffix("分"))
    return Decimal(sign * fen).scaleb(-2)
