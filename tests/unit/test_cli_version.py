import subprocess
import sys

import grove


def test_grove_version_prints_package_version() -> None:
    out = subprocess.run([sys.executable, "-m", "grove", "version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == grove.__version__
