"""One module per subcommand, each with `run(...) -> int` (the exit code). The CLI parses
options into arguments and calls exactly one of them."""
