"""What text a client may send in a name: printable characters only.

A name is shown to people who decide on it (a merchant in the directory, a product in the
catalog, a certificate's data name). Bidirectional overrides (U+202E turns `exe.gnp` into
`png.exe`), zero-width characters (two names that look alike but differ) and control
characters are format or control characters in Unicode (categories Cf and Cc); a name
accepts none of them, and says which one it found.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field

_HIDDEN = frozenset({"Cc", "Cf"})


def printable(value: str) -> str:
    for position, char in enumerate(value):
        if unicodedata.category(char) in _HIDDEN:
            raise ValueError(
                f"contains an invisible or control character U+{ord(char):04X} at {position}: "
                "bidirectional overrides and zero-width characters are not accepted in names"
            )
    return value


# A required name of at most 200 printable characters.
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(printable)]
