"""Allow ``python -m gen``."""

from gen.cli import main

if __name__ == "__main__":
    main()
