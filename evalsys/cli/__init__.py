"""Flask CLI commands: thin wrappers over the services."""
from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    """Attach every command group to the app's CLI."""
    from .accounts import create_user_command, unlock_user_command
    from .api_tokens import api_token_group
    from .audit import audit_group
    from .backup import backup_command, restore_command
    from .demo import demo_command
    from .funds import funds_group
    from .mcda import criteria_group, mcda_command
    from .ops import check_deploy_command, reminders_command, verify_audit_command
    from .report import report_command
    from .rank import rank_command

    for command in (create_user_command, unlock_user_command, check_deploy_command, verify_audit_command,
                    demo_command, criteria_group, mcda_command, funds_group, backup_command, restore_command,
                    rank_command, reminders_command):
        app.cli.add_command(command)
    app.cli.add_command(report_command)
    app.cli.add_command(audit_group)
    app.cli.add_command(api_token_group)
