"""The domain is pure: it imports nothing outside the standard library and itself."""

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "app" / "domain"


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module)
    return roots


def test_domain_imports_only_the_standard_library_and_itself() -> None:
    offending = {
        f"{path.name}: {module}"
        for path in DOMAIN.glob("*.py")
        for module in _imported_roots(path)
        if not module.startswith("app.domain") and module.split(".")[0] not in sys.stdlib_module_names
    }
    assert offending == set()
