"""Allow ``python -m gen``."""

from gen.launch import main

if __name__ == "__main__":
    main()
