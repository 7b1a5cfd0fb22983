"""WSGI entry file for mod_wsgi / mod_wsgi-express: ``Alias /kojihub .../kojiapp.py``."""
import os
import sys

try:
    import koji  # noqa: F401
    import kojihub  # noqa: F401
except ImportError:
    # running from a source checkout: the hub package sits next to this file and the
    # koji library one level up
    _here = os.path.dirname(os.path.abspath(__file__))
    for _path in (_here, os.path.dirname(_here)):
        if _path not in sys.path:
            sys.path.insert(0, _path)

from kojihub.core.dispatcher import application  # noqa: E402,F401
