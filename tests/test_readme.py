"""README.md reads on a package index (issue 17): the long description that setup.py gives
the wheel has no relative link or image left, and every link it made absolute names a file
of the repository."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def setup_py():
    # setup.py calls setup() only as __main__ (as setuptools runs it); imported, it does not
    spec = importlib.util.spec_from_file_location("flexisim_setup_py", ROOT / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _targets(markdown: str) -> list[str]:
    """Every link and image target outside fenced code: Markdown ``](...)``, reference
    definitions ``[x]: ...``, HTML ``src=`` / ``href=``."""
    found, fenced = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced:
            continue
        found += re.findall(r"\]\(([^)\s]+)", line)
        found += re.findall(r"^\s*\[[^\]]+\]:\s*(\S+)", line)
        found += re.findall(r"\b(?:src|href)=[\"']([^\"']+)", line)
    return found


def test_the_long_description_has_only_absolute_links_to_files_that_exist(setup_py):
    text = setup_py.long_description()
    targets = _targets(text)
    assert len(targets) > 20  # the README's links were found
    relative = [t for t in targets if not re.match(r"^(https?:|mailto:|#)", t)]
    assert relative == [], relative
    base = setup_py.REPOSITORY_URL.rstrip("/") + "/"
    ours = [t for t in targets if t.startswith(base)]
    readme_relative = [t for t in _targets((ROOT / "README.md").read_text())
                       if not re.match(r"^(https?:|mailto:|#)", t)]
    assert len(ours) == len(readme_relative) > 20
    for url in ours:
        kind, _ref, path = url[len(base):].split("/", 2)
        path = path.partition("#")[0]
        assert (ROOT / path).is_file(), f"{url}: no file {path} in the repository"
        assert kind == ("raw" if path.endswith(setup_py.IMAGE_SUFFIXES) else "blob"), url
    images = [t for t in ours if "/raw/" in t]
    assert images and all(re.search(r"\.(png|jpe?g|gif|svg|webp)$", t) for t in images)


def test_absolute_links_rewrites_links_and_images_only(setup_py):
    text = "\n".join([
        "See [the ODD](docs/ODD.md#warm-up \"title\") and [site](https://example.org/a).",
        "[![badge](./docs/img/a.png)](LICENSE) and [top](#flexisim), mail [me](mailto:x@y.z).",
        '<img src="docs/img/b.svg" width="50"> <a href=\'docs/design.md\'>design</a>',
        "```bash",
        "echo '[x](docs/not_a_link.md)'",
        "```",
        ""])
    out = setup_py.absolute_links(text, "abc123", "https://host/org/repo/")
    assert out.splitlines() == [
        "See [the ODD](https://host/org/repo/blob/abc123/docs/ODD.md#warm-up \"title\") and "
        "[site](https://example.org/a).",
        "[![badge](https://host/org/repo/raw/abc123/docs/img/a.png)]"
        "(https://host/org/repo/blob/abc123/LICENSE) and [top](#flexisim), mail "
        "[me](mailto:x@y.z).",
        '<img src="https://host/org/repo/raw/abc123/docs/img/b.svg" width="50"> '
        "<a href='https://host/org/repo/blob/abc123/docs/design.md'>design</a>",
        "```bash",
        "echo '[x](docs/not_a_link.md)'",
        "```"]
    assert out.endswith("\n")


def test_the_long_description_renders_as_a_package_index_would(setup_py):
    markdown = pytest.importorskip("readme_renderer.markdown")
    html = markdown.render(setup_py.long_description(), variant="GFM")
    assert html is not None and "<h1" in html and ">flexisim<" in html
    assert f'src="{setup_py.REPOSITORY_URL}/raw/' in html  # the images are kept
    assert 'src="docs/' not in html and 'href="docs/' not in html
