"""cigen: typed envs.toml in, complete CircleCI config.yml out."""

__version__ = "0.1.0"
