"""The README's `helm install` runs as written (Helm's SDK, client-only dry run) and works."""

import shutil
import tomllib
from pathlib import Path

import helm_python as helm
import pytest
import yaml

from bot.catalog.model import load_catalog
from tests.deploy.chart import CHART, ROOT, render
from tests.deploy.readme_install import parse, readme_install_command


@pytest.fixture
def in_deploy_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory as the README assumes: the repository's chart and a catalog.yaml."""
    shutil.copytree(CHART, tmp_path / "helm" / "db-access-bot")
    shutil.copy(ROOT / "catalog.example.yaml", tmp_path / "catalog.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def rendered_objects(manifest: str) -> dict[str, dict]:
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in yaml.safe_load_all(manifest) if d}


def test_readme_install_command_installs_the_catalog_it_names(in_deploy_dir: Path) -> None:
    command = parse(readme_install_command())
    with helm.Config(namespace=command.namespace, storage_driver="memory") as cfg:
        release = cfg.install(
            command.chart,
            command.release,
            command.values(),
            namespace=command.namespace,
            dry_run="client",
            create_namespace=command.create_namespace,
        )
    assert release["namespace"] == "db-access"
    objects = rendered_objects(release["manifest"])
    catalog_text = objects["ConfigMap/db-access-bot"]["data"]["catalog.yaml"]
    assert catalog_text == (in_deploy_dir / "catalog.yaml").read_text()
    (in_deploy_dir / "mounted.yaml").write_text(catalog_text)
    catalog = load_catalog(in_deploy_dir / "mounted.yaml")
    assert set(catalog.databases) == {"orders-prod", "billing-aurora"}
    assert "catalog is empty" not in release["notes"]
    bot = objects["Deployment/db-access-bot"]["spec"]["template"]["spec"]["containers"][0]
    assert bot["image"] == "registry.example.com/db-access-bot:0.1.0"


def test_readme_image_tag_is_the_released_version(in_deploy_dir: Path) -> None:
    command = parse(readme_install_command())
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert command.values()["image"]["tag"] == version
    assert f"db-access-bot:{version} ." in (ROOT / "README.md").read_text()


def test_catalog_as_an_object_in_a_values_file_renders_the_same_catalog(tmp_path: Path) -> None:
    catalog = yaml.safe_load((ROOT / "catalog.example.yaml").read_text())
    text = render({"catalog": catalog})["configmap.yaml"]
    mounted = yaml.safe_load(text)["data"]["catalog.yaml"]
    assert yaml.safe_load(mounted) == catalog
    (tmp_path / "catalog.yaml").write_text(mounted)
    assert set(load_catalog(tmp_path / "catalog.yaml").databases) == {
        "orders-prod",
        "billing-aurora",
    }


def test_catalog_string_that_is_not_yaml_is_refused_at_install_with_the_fix() -> None:
    with pytest.raises(helm.HelmRenderError) as refused:
        render({"catalog": "databases: [unclosed"})
    assert "catalog is not valid YAML" in str(refused.value)
    assert "--set-file catalog=catalog.yaml" in str(refused.value)


@pytest.mark.parametrize("catalog", [42, ["a"], True])
def test_catalog_of_another_type_is_refused_by_the_schema(catalog: object) -> None:
    with pytest.raises(helm.HelmValuesError) as refused:
        render({"catalog": catalog})
    assert "/catalog" in str(refused.value)
