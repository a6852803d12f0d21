"""`python -m configurator`: the same command as the `configurator` console script."""

from configurator.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
