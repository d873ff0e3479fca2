"""The README is the operator's manual: every variable the service reads must be documented there."""

from pathlib import Path

from pydantic import AliasChoices

from backend.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_documented_in_the_readme() -> None:
    missing = []
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        variables = [str(choice).upper() for choice in alias.choices] if isinstance(alias, AliasChoices) else []
        documented = [variable for variable in variables or [name.upper()] if f"`{variable}`" in README]
        if not documented:
            missing.append(name.upper())
    assert missing == [], f"README's configuration table lacks: {missing}"


def test_readme_starts_with_the_two_commands() -> None:
    first_block = README.split("```")[1]
    assert "make verify" in first_block and "make test" in first_block
