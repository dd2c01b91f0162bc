"""The browser application: ``create_app(ServerSettings(project=...))``.

Run it with ``labelmill serve PROJECT`` or any ASGI server::

    from labelmill.server import ServerSettings, create_app
    app = create_app(ServerSettings(project="my-project", secret_key="..."))
"""

from labelmill.server.app import create_app
from labelmill.server.settings import ServerSettings

__all__ = ["ServerSettings", "create_app"]
