import subprocess
import sys

import grove


def test_grove_version_prints_package_version() -> None:
    out = subprocess.run([sys.executable, "-m", "grove", "version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == grove.__version__


def test_running_the_cli_module_directly_sees_every_sub_command() -> None:
    out = subprocess.run([sys.executable, "-m", "grove.cli.main", "sim", "--help"], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert "run" in out.stdout
