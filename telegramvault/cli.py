"""``telegramvault`` command line: parse arguments, call one use case, map errors to exit codes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from core.config_manager import ConfigManager
from core.errors import ConfigurationError, VaultError
from core.log_setup import configure_logging, get_logger
from telegramvault import commands
from telegramvault.demo.data_dir import DEFAULT_DATA_DIR
from telegramvault.import_command import add_import_parser
from telegramvault.login_command import add_login_parser
from telegramvault.rules_command import add_rules_parser
from telegramvault.search_command import add_search_parser

Handler = Callable[[argparse.Namespace, ConfigManager], int]


def _add_env_file(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env-file", default=".env", help="configuration file read besides the environment"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="telegramvault", description="Self-hosted Telegram archive-and-watch system."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the vault (bot, archiver and scheduler)")
    run.add_argument("--role", choices=("all", "bot", "archiver"), default="all")
    _add_env_file(run)
    run.set_defaults(handler=commands.run)

    config = sub.add_parser("config", help="inspect the configuration")
    config_sub = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    check = config_sub.add_parser("check", help="print the effective, masked configuration")
    check.add_argument("--role", choices=("all", "bot", "archiver"), default="all")
    _add_env_file(check)
    check.set_defaults(handler=commands.config_check)

    db = sub.add_parser("db", help="manage the database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_sub.add_parser("upgrade", help="apply migrations (default: to the newest)")
    upgrade.add_argument("revision", nargs="?", default="head")
    downgrade = db_sub.add_parser("downgrade", help="revert migrations to REVISION")
    downgrade.add_argument("revision")
    current = db_sub.add_parser("current", help="show the schema revision of the database")
    for action, handler in ((upgrade, commands.db_upgrade), (downgrade, commands.db_downgrade),
                            (current, commands.db_current)):  # fmt: skip
        _add_env_file(action)
        action.set_defaults(handler=handler)

    add_import_parser(sub)
    add_login_parser(sub)
    add_search_parser(sub)
    add_rules_parser(sub)

    demo = sub.add_parser(
        "demo",
        help="run the offline demo: the real product against simulated Telegram, no account",
    )
    demo.add_argument(
        "--data-dir",
        default=str(DEFAULT_DATA_DIR),
        help="the demo's own directory, rebuilt on every run (default: %(default)s)",
    )
    demo.set_defaults(handler=commands.demo, env_file=None)

    version = sub.add_parser("version", help="print the version")
    version.set_defaults(handler=commands.version, env_file=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Until the configuration is known, only warnings reach stderr (stdout is the command's).
    configure_logging("WARNING", "text", None, 1, 0, secrets=(), stream=sys.stderr)
    config = ConfigManager(env_file=args.env_file)
    handler: Handler = args.handler
    try:
        return handler(args, config)
    except ConfigurationError as error:
        print(error.report, file=sys.stderr)
        return error.exit_code
    except VaultError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception:
        # Through the redacting pipeline: Python's default hook would print secrets unfiltered.
        get_logger(__name__).exception("command_crashed", command=args.command)
        print("error: unexpected failure; the log above has the details", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
