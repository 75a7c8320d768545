"""Settings come in layers: defaults < TOML file < CENSUS_* environment < explicit values."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.errors import ConfigError
from scanner.settings import load_settings


def test_defaults_apply_with_nothing_set() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///census.db"
    assert settings.page_timeout == 15.0


def test_layers_override_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = tmp_path / "census.toml"
    toml.write_text("[census]\nper_host_rate = 2.5\npage_timeout = 12.0\nconnect_timeout = 3\n")
    monkeypatch.setenv("CENSUS_CONFIG", str(toml))
    assert load_settings().per_host_rate == 2.5  # file beats default
    monkeypatch.setenv("CENSUS_PAGE_TIMEOUT", "9")
    settings = load_settings()
    assert settings.page_timeout == 9.0  # environment beats file
    assert settings.connect_timeout == 3.0  # file still applies where env is silent
    assert load_settings(page_timeout=7).page_timeout == 7.0  # explicit beats environment


def test_bad_values_name_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CENSUS_PER_HOST_CONNECTIONS", "two")
    with pytest.raises(ConfigError, match="per_host_connections"):
        load_settings()


def test_bad_host_map_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CENSUS_HOST_MAP", "www.a.gov.cn")
    with pytest.raises(ConfigError, match="host_map"):
        load_settings()


def test_broken_toml_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = tmp_path / "census.toml"
    toml.write_text("per_host_rate = = 2\n")
    monkeypatch.setenv("CENSUS_CONFIG", str(toml))
    with pytest.raises(ConfigError, match=r"census\.toml"):
        load_settings()


def test_unknown_keys_in_the_file_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = tmp_path / "census.toml"
    toml.write_text("per_host_rat = 2\n")
    monkeypatch.setenv("CENSUS_CONFIG", str(toml))
    with pytest.raises(ConfigError, match="per_host_rat"):
        load_settings()
