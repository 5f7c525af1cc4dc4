"""The demo ends by printing the auditor's verify command on one line (public key and the head to expect); that
command passes on the lake and fails on a copy whose newest entries, manifests and outputs were cut off."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import time

from include.config import PROJECT_ROOT
from include.demo.runner import print_outputs, set_aside_unsigned_lake
from include.lake import keys, ledger
from include.lake.store import open_lake


def demo_like_lake(root):
    lake = open_lake(root.as_uri())
    for run in ("run-1", "run-2", "run-3"):
        outputs = [lake.put(f"reports/{run}/report.html", run.encode()).as_dict()]
        ledger.seal_run(lake, dag_id="compliance_report", run_id=run, outputs=outputs, versions={})
    return lake


def test_the_printed_command_verifies_and_fails_on_a_cut_copy(tmp_path, capsys, ledger_public_key_text):
    root = tmp_path / "lake"
    demo_like_lake(root)
    assert print_outputs(time.monotonic(), ledger_public_key_text, lake_root=root) == 0
    command = capsys.readouterr().out.rstrip("\n").splitlines()[-1]
    assert command.startswith(".venv/bin/breachctl evidence verify --lake ") and "--public-key " in command
    assert f"--expect-head {json.loads((root / keys.HEAD).read_text())['entry_hash']}" in command
    done = subprocess.run(shlex.split(command), cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr

    copy = tmp_path / "cut"
    shutil.copytree(root, copy)
    cut = open_lake(copy.as_uri())
    for seq in (2, 1):
        entry = json.loads(cut.get(keys.ledger_entry(seq)))
        cut.delete(keys.ledger_entry(seq))
        for output in json.loads(cut.get(entry["manifest"]))["outputs"]:
            cut.delete(output["path"])
        cut.delete(entry["manifest"])
    kept = json.loads(cut.get(keys.ledger_entry(0)))
    cut.put(keys.HEAD, ledger.canonical({"seq": 0, "entry_hash": kept["entry_hash"]}))
    done = subprocess.run(
        shlex.split(command.replace(root.as_uri(), copy.as_uri())), cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1 and done.stdout.startswith("anchor"), done.stdout


def test_a_demo_lake_from_before_signing_is_set_aside(tmp_path):
    root = tmp_path / "lake"
    lake = demo_like_lake(root)
    assert set_aside_unsigned_lake(root) is None
    entry = json.loads(lake.get(keys.ledger_entry(0)))
    del entry["signature"]
    lake.put(keys.ledger_entry(0), ledger.canonical(entry))
    moved = set_aside_unsigned_lake(root)
    assert moved is not None and moved.name.startswith("lake.unsigned-") and not root.exists()
