"""`python -m gateway` is the same as the `onlyoffice-gateway` console script."""

from gateway.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
