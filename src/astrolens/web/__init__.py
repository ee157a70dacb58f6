"""The web app and HTTP API: "Google Lens for the sky" in a browser.

``astrolens serve --index <folder>`` (:func:`serve`) serves a page where one searches by object
id, sky position, uploaded light curve, several ids or a random object, and an API an archive
portal can call (:func:`create_app`; the OpenAPI schema is at ``/openapi.json``). Repeat
``--index`` to serve several indexes (one per encoder, say) and switch between them on the page.
"""

from astrolens.web.app import create_app, run_app, serve
from astrolens.web.state import WebConfig
from astrolens.web.thumbnails import ThumbnailCache

__all__ = ["ThumbnailCache", "WebConfig", "create_app", "run_app", "serve"]
