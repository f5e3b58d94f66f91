"""Typer's help texts for the fast path of gen.launch. Generated: python -m gen.launch --write-help."""

CLI_CRC = 2030040775

TEXT: dict[tuple[str, ...], str] = {
    (): (
        '                                                                                \n'
        ' Usage: cigen [OPTIONS] COMMAND [ARGS]...                                       \n'
        '                                                                                \n'
        ' Generate a complete, correct CircleCI config.yml from a typed envs.toml.       \n'
        '                                                                                \n'
        ' Example: cigen render envs.toml                                                \n'
        '                                                                                \n'
        '╭─ Options ────────────────────────────────────────────────────────────────────╮\n'
        '│ --version        <bool>  Show the version and exit.                          │\n'
        '│ --help           <bool>  Show this message and exit.                         │\n'
        '╰──────────────────────────────────────────────────────────────────────────────╯\n'
        '╭─ Commands ───────────────────────────────────────────────────────────────────╮\n'
        '│ render  Render envs.toml into .circleci/config.yml.                          │\n'
        '╰──────────────────────────────────────────────────────────────────────────────╯\n'
        '\n'
    ),
    ('render',): (
        '                                                                                \n'
        ' Usage: cigen render [OPTIONS] [envs]                                           \n'
        '                                                                                \n'
        ' Render envs.toml into .circleci/config.yml.                                    \n'
        '                                                                                \n'
        ' Example: cigen render envs.toml -o -                                           \n'
        '                                                                                \n'
        '╭─ Arguments ──────────────────────────────────────────────────────────────────╮\n'
        '│   envs      <path>  The envs file. [default: envs.toml]                      │\n'
        '╰──────────────────────────────────────────────────────────────────────────────╯\n'
        '╭─ Options ────────────────────────────────────────────────────────────────────╮\n'
        "│ --output     -o      <str>   Where to write; '-' for stdout. Default:        │\n"
        '│                              .circleci/config.yml beside the envs file.      │\n'
        '│ --templates          <path>  A directory whose *.yml.j2 files override the   │\n'
        '│                              shipped ones by name.                           │\n'
        '│ --help               <bool>  Show this message and exit.                     │\n'
        '╰──────────────────────────────────────────────────────────────────────────────╯\n'
        '\n'
    ),
}
