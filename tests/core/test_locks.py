"""The locks (`make lock`) pin, with hashes, exactly the versions the human-edited requirements files ask for, so
`make` and CI install what was tested."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", re.MULTILINE)


def _pins(path: Path) -> dict[str, str]:
    return {name.lower().replace("_", "-"): version for name, version in PIN.findall(path.read_text())}


def test_the_locks_pin_what_the_requirements_files_ask_for_with_hashes():
    wanted = _pins(ROOT / "requirements.txt") | _pins(ROOT / "requirements-dev.txt")
    runtime_lock, dev_lock = _pins(ROOT / "requirements.lock"), _pins(ROOT / "requirements-dev.lock")
    assert {name: dev_lock.get(name) for name in wanted} == wanted, "run `make lock`"
    runtime_wanted = _pins(ROOT / "requirements.txt")
    assert {name: runtime_lock.get(name) for name in runtime_wanted} == runtime_wanted, "run `make lock`"
    # the dev lock is compiled under the runtime lock: one version of each package
    assert {name: dev_lock[name] for name in runtime_lock} == runtime_lock
    for lock in ("requirements.lock", "requirements-dev.lock"):
        entries = [e for e in re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock).read_text()) if PIN.match(e)]
        assert len(entries) == len(_pins(ROOT / lock))
        for entry in entries:
            assert "--hash=sha256:" in entry, f"{lock}: {entry.splitlines()[0]} has no hash"
