"""GET /media/{item_id}: only the stored image of a known item; no path from the request."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from PIL import Image

from labelmill import Project

Server = Any

TRAVERSALS = [
    "/media/../../etc/passwd",
    "/media/..%2f..%2f..%2fetc%2fpasswd",
    "/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/media/%2e%2e/%2e%2e/etc/passwd",
    "/media/%2fetc%2fpasswd",
    "/media//etc/passwd",
    "/media/etc/passwd",
    "/media/C:%5cWindows%5cwin.ini",
    "/media/..%5c..%5csecret.png",
    "/media/secret.png",
    "/media/%00",
]


def _png(path: Path, color: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (4, 4), color).save(path)


def _media_project(root: Path, password_hash: str, server_factory: Any) -> Any:
    data = root / "data"
    _png(data / "imgs" / "a.png", "red")
    _png(data / "imgs" / "b.png", "blue")
    _png(root / "outside" / "secret.png", "black")
    _png(data / "imgs" / "link.png", "green")  # a symlink out of the folder after the import
    pd.DataFrame(
        {"id": ["a", "b", "link"], "image": ["imgs/a.png", "imgs/b.png", "imgs/link.png"]}
    ).to_csv(data / "items.csv", index=False)
    folder = root / "proj"
    project = Project.init(folder, classes=["cat", "dog"], data_type="image")
    project.import_items(str(data / "items.csv"), id_column="id")
    from labelmill.store import User

    project.store.write(
        lambda s: s.add(
            User(name="ann", role="annotator", password_hash=password_hash, active=True)
        )
    )
    project.close()
    (data / "imgs" / "link.png").unlink()
    os.symlink(root / "outside" / "secret.png", data / "imgs" / "link.png")
    made = server_factory(folder)
    made.data = data
    made.outside = root / "outside"
    return made


@pytest.fixture(scope="module")
def media_server(
    tmp_path_factory: pytest.TempPathFactory, password_hash: str, server_factory: Any
) -> Any:
    """An image project whose files stay untouched (shared by the read-only tests)."""
    made = _media_project(tmp_path_factory.mktemp("media"), password_hash, server_factory)
    yield made
    made.client.close()
    made.project.close()


@pytest.fixture
def own_media_server(tmp_path: Path, password_hash: str, server_factory: Any) -> Any:
    """An image project of its own, for tests that change files."""
    made = _media_project(tmp_path, password_hash, server_factory)
    yield made
    made.client.close()
    made.project.close()


def test_serves_the_item_image(media_server: Any) -> None:
    response = media_server.get("/media/a", "ann")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content == (media_server.data / "imgs" / "a.png").read_bytes()


def test_needs_a_login(media_server: Any) -> None:
    assert media_server.client.get("/media/a").status_code == 401


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_is_404(media_server: Any, path: str) -> None:
    response = media_server.get(path, "ann")
    assert response.status_code == 404
    assert b"root:" not in response.content


def test_symlink_out_of_the_import_folder_is_404(media_server: Any) -> None:
    assert media_server.get("/media/link", "ann").status_code == 404


def test_file_swapped_for_a_symlink_after_import_is_404(own_media_server: Any) -> None:
    target = own_media_server.data / "imgs" / "b.png"
    target.unlink()
    os.symlink(own_media_server.outside / "secret.png", target)
    assert own_media_server.get("/media/b", "ann").status_code == 404


def test_missing_file_and_unknown_item_are_404(own_media_server: Any) -> None:
    (own_media_server.data / "imgs" / "a.png").unlink()
    assert own_media_server.get("/media/a", "ann").status_code == 404
    assert own_media_server.get("/media/nope", "ann").status_code == 404


def test_image_items_never_reveal_server_paths(media_server: Any) -> None:
    item = media_server.get("/api/items/next?queue=crowd", "ann").json()
    assert item["payload"] == {"image": f"/media/{item['item_id']}"}
    assert str(media_server.data) not in str(item)


def test_text_projects_serve_no_media(server: Server) -> None:
    assert server.get("/media/m01", "ann").status_code == 404
