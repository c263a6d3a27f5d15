"""``python -m skmm``: the ``skmm`` command (see :mod:`skmm.cli`)."""

from skmm.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
