"""``python -m dcmfast``: the ``dcmfast`` console script."""
from .cli import main

raise SystemExit(main())
