"""``python -m sdtm`` runs the same code path as the ``sdtm`` console script."""

from sdtm.cli import main

if __name__ == "__main__":
    main()
