"""The Dockerfile half of .ci/check-production-install, without services: the image installs
requirements.txt alone, and the check refuses a Dockerfile that installs anything else. The whole
check (a fresh virtualenv, a real worker and gunicorn) runs in .ci/run's service run."""
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".ci" / "check-production-install"


@pytest.fixture(scope="module")
def install_check():
    loader = SourceFileLoader("check_production_install", str(SCRIPT))
    module = module_from_spec(spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


def test_the_image_installs_requirements_txt_alone_then_builds_with_it(install_check):
    dockerfile = install_check.Dockerfile(ROOT / "Dockerfile")
    assert dockerfile.pip_install() == "pip install -r requirements.txt"
    build_steps, system_steps = dockerfile.build_steps()
    assert any("manage.py collectstatic" in command for command in build_steps)
    assert any("apt-get install" in command for command in system_steps)
    assert dockerfile.env()["DJANGO_SETTINGS_MODULE"] == "jianhua.settings.production"
    assert dockerfile.cmd()[:2] == ["gunicorn", "jianhua.wsgi:application"]


@pytest.mark.parametrize("change", [
    ("RUN pip install -r requirements.txt", "RUN pip install -r requirements-dev.txt"),
    ("RUN pip install -r requirements.txt", "RUN pip install -r requirements.txt pytest"),
    ("RUN pip install -r requirements.txt", "RUN pip install -r requirements.txt && pip install packaging"),
    ("COPY . .\n", "COPY . .\nRUN pip install packaging\n"),
])
def test_an_image_that_installs_anything_else_is_refused(install_check, tmp_path, change):
    original = (ROOT / "Dockerfile").read_text()
    assert change[0] in original
    variant = tmp_path / "Dockerfile"
    variant.write_text(original.replace(change[0], change[1], 1))
    with pytest.raises(install_check.CheckFailed, match="install"):
        install_check.Dockerfile(variant).pip_install()
