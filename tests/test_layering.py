"""The layering contract: engines and pipelines never import Qt (checked by import-linter)."""

import shutil
import subprocess
import sys
from pathlib import Path

from inference.paths import REPO_ROOT


def test_engines_and_pipelines_never_import_qt():
    linter = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run([linter], cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout
