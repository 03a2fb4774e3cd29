"""The shared file helpers and the system configuration loader."""

from __future__ import annotations

import json
import os
import stat
import threading

import pytest

from bridge.errors import SetupError
from bridge.fileio import atomic_write, file_lock, json_text, write_json
from bridge.settings import Paths, save_user_origins, user_origins
from bridge.sysconfig import ENV_SYSTEM_CONFIG, SystemConfig, load_system_config


def test_atomic_write_replaces_with_user_only_mode_and_leaves_no_temp(tmp_path):
    target = tmp_path / "f.json"
    target.write_text("old")
    atomic_write(target, '{"new": 1}')
    assert target.read_text() == '{"new": 1}'
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.json"]


def test_atomic_write_failure_keeps_the_old_file(tmp_path):
    target = tmp_path / "f"
    target.write_text("old")

    with pytest.raises(TypeError):
        atomic_write(target, 12345)  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def in_threads(work, *, times: int, threads: int = 4) -> list[BaseException]:
    """Run ``work(i)`` *times* over in each of *threads* threads at once; the errors raised."""
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            for _ in range(times):
                work(i)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    started = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in started:
        t.start()
    for t in started:
        t.join()
    return errors


def test_concurrent_writers_never_clash(tmp_path):
    target = tmp_path / "shared"
    assert not in_threads(lambda i: atomic_write(target, f"writer {i}\n" * 100), times=50)
    lines = set(target.read_text().splitlines())
    assert len(lines) == 1  # one writer's whole content, never a mix


def test_json_files_are_utf8_indented_and_user_only(tmp_path):
    target = tmp_path / "state.json"
    write_json(target, {"libellé": "CPAM de l'Ariège", "n": [1, 2]})
    text = target.read_text(encoding="utf-8")
    assert text.endswith("}\n") and "CPAM de l'Ariège" in text and "\\u" not in text
    assert text.startswith('{\n  "libellé"')  # indented for people
    assert json.loads(text) == {"libellé": "CPAM de l'Ariège", "n": [1, 2]}
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert json_text({"a": "é"}, indent=None) == '{"a": "é"}'  # JSON lines: one line


def test_the_origins_file_is_written_whole_by_concurrent_savers(tmp_path):
    """It had a fixed temporary name (origins.tmp): two savers at once could clash."""
    paths = Paths.resolve(tmp_path / "home")
    assert not in_threads(lambda i: save_user_origins(paths, [f"https://ehr{i}.example"]), times=30)
    assert len(user_origins(paths)) == 1
    assert not [p for p in paths.origins_file.parent.iterdir() if p.name.endswith(".tmp")]


def test_file_lock_is_exclusive(tmp_path):
    lock_path = tmp_path / ".lock"
    with file_lock(lock_path):
        other = file_lock(lock_path, timeout=0.05)
        with pytest.raises(Exception) as info:
            other.acquire()
        assert type(info.value).__name__ == "Timeout"


def test_missing_system_config_is_empty(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_SYSTEM_CONFIG, str(tmp_path / "absent.json"))
    assert load_system_config() == SystemConfig()


def test_system_config_keys_are_camel_case(tmp_path, monkeypatch):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"websocketPort": 28000, "odUpdateSource": "/srv/tod", "pkcs11Module": "/x.so"}))
    monkeypatch.setenv(ENV_SYSTEM_CONFIG, str(path))
    cfg = load_system_config()
    assert (cfg.websocket_port, cfg.od_update_source, cfg.pkcs11_module) == (28000, "/srv/tod", "/x.so")
    assert cfg.websocket_allowed_origins is None


@pytest.mark.parametrize(
    "content, words",
    [
        ("{not json", "not valid UTF-8 JSON"),
        (json.dumps({"websocketPort": 80}), "websocketPort"),
        (json.dumps({"unknownKey": 1}), "unknownKey"),
    ],
)
def test_bad_system_config_is_an_error_naming_the_file(tmp_path, content, words):
    path = tmp_path / "config.json"
    path.write_text(content)
    with pytest.raises(SetupError) as info:
        load_system_config(path)
    assert str(path) in str(info.value) and words in str(info.value)


def test_system_config_that_is_not_a_regular_file_is_refused(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    # Opening a FIFO for reading would block: the loader must refuse before reading.
    with pytest.raises(SetupError, match="not a regular file"):
        load_system_config(fifo)
