"""``GET /media/{item_id}``: the image of one item, and nothing else."""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter
from fastapi.responses import FileResponse

from labelmill.exceptions import NotFoundError
from labelmill.server.deps import CurrentUser, ProjectDep

__all__ = ["router"]

router = APIRouter(tags=["labeling"])
_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff"}


@router.get("/media/{item_id}")
def media(project: ProjectDep, user: CurrentUser, item_id: str) -> FileResponse:
    """Serve the image file of ``item_id`` (404 for unknown items and non-image projects).

    Only the path stored with the item at import is ever opened; see
    :func:`labelmill.views.media_file`.
    """
    path = project.media_file(item_id)
    kind = mimetypes.guess_type(path.name)[0]
    if kind not in _IMAGE_TYPES:
        raise NotFoundError(f"No image for item {item_id!r}.")
    return FileResponse(
        path,
        media_type=kind,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
