"""The venue filter of every list and export: `?venue_code=`, and `?venue=` as its
deprecated alias (older clients of the trade list and the catalog sent that)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from app.core.errors import ValidationFailed
from app.core.i18n import Text

CODE_PATTERN = r"^[A-Z][A-Z0-9]{1,15}$"


async def venue_filter(  # async: no worker thread (see app/core/pagination.py, page_params)
    venue_code: Annotated[
        str | None, Query(pattern=CODE_PATTERN, description="Only this venue, e.g. `HZDEX`.")
    ] = None,
    venue: Annotated[
        str | None,
        Query(pattern=CODE_PATTERN, deprecated=True, description="Deprecated: use venue_code."),
    ] = None,
) -> str | None:
    if venue_code is not None and venue is not None and venue_code != venue:
        raise ValidationFailed.field(
            ["query", "venue"],
            Text(
                "names another venue than venue_code (send venue_code alone)",
                "与 venue_code 指定的交易场所不同(请只发送 venue_code)",
            ),
        )
    return venue_code or venue


VenueFilter = Annotated[str | None, Depends(venue_filter)]
