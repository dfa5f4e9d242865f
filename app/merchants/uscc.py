"""The Unified Social Credit Code (统一社会信用代码, GB 32100-2015).

python-stdnum (`stdnum.cn.uscc`) checks length, alphabet and check character, but it
insists on digits in position 1, while GB 32100 also lets the registration authority
be `A`, `N` or `Y` there. We check position 1 ourselves and let stdnum do the rest.
"""

from __future__ import annotations

from enum import StrEnum

from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, ValidationError

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
AUTHORITIES = "123456789ANY"


class UsccProblem(StrEnum):
    length = "length"
    malformed = "malformed"
    check_character = "check_character"


def compact(code: str) -> str:
    """Without spaces and hyphens. Text that is not ASCII stays as it is (and is malformed):
    stdnum would turn full-width digits into ASCII ones, a code no registry printed."""
    if not code.isascii():
        return code
    return str(stdnum_uscc.compact(code))


def check_character(code17: str) -> str:
    """The check character for the first 17 characters."""
    return str(stdnum_uscc.calc_check_digit(code17))


def problem(code: str) -> UsccProblem | None:
    """What is wrong with a USCC, or None when it is valid."""
    code = compact(code)
    if len(code) != 18:
        return UsccProblem.length
    # Only the code's own alphabet, in ASCII: str.isdigit() (and stdnum) would take
    # Arabic-Indic or full-width digits, which no registry issued.
    if any(c not in ALPHABET for c in code):
        return UsccProblem.malformed
    if code[0] not in AUTHORITIES:
        return UsccProblem.malformed
    if code[0].isdigit():
        try:
            stdnum_uscc.validate(code)
        except InvalidChecksum:
            return UsccProblem.check_character
        except ValidationError:
            return UsccProblem.malformed
        return None
    # Authority A, N or Y: the same rules as stdnum's for positions 2-18.
    if not code[1:8].isdigit() or any(c not in ALPHABET for c in code[8:]):
        return UsccProblem.malformed
    if code[17] != check_character(code[:17]):
        return UsccProblem.check_character
    return None


def is_valid(code: str) -> bool:
    return problem(code) is None
