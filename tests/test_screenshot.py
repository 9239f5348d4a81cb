"""`glassbox --screenshot DIR`: one picture per tab, and the user's settings left alone."""

import os
import subprocess
import sys

from PIL import Image

from gui.tabs import TABS
from inference.paths import REPO_ROOT


def test_screenshots_of_every_tab_leave_the_users_settings_alone(tmp_path):
    config = tmp_path / "config"
    settings_file = config / "glassbox" / "glassbox.ini"
    settings_file.parent.mkdir(parents=True)
    settings_file.write_text("[generate]\nprompt=my own prompt\n", encoding="utf-8")
    before = settings_file.read_bytes()

    shots = tmp_path / "shots"
    env = {**os.environ, "XDG_CONFIG_HOME": str(config), "GLASSBOX_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, str(REPO_ROOT / "main.py"), "--screenshot",
                             str(shots)], env=env, capture_output=True, text=True, timeout=600,
                            check=False)

    assert result.returncode == 0, result.stderr
    pictures = sorted(shots.glob("*.png"))
    assert len(pictures) == len(TABS)
    for picture in pictures:
        with Image.open(picture) as image:
            assert image.size[0] >= 1200 and image.size[1] >= 800
            # A real screenshot has many colours; a blank or failed grab has one or two.
            # (getcolors gives None when there are more colours than maxcolors.)
            colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
            assert colours is None or len(colours) > 50
    assert settings_file.read_bytes() == before
