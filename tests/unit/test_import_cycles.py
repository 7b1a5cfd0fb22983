"""The modules of koji/ and of the hub's builds/ import each other without circles.

Imports inside functions count too: a function-level import that only hides a circle
still ties the two modules together.  koji/__init__.py re-exports its submodules, so a
submodule that needs the whole package namespace (koji.config.get_profile_module copies
it) is the one import of the package allowed.
"""
import ast
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# (module, module it imports) left out of the check
ALLOWED_EDGES = {('config', '__init__')}


def import_graph(pkg_dir, pkg):
    """{module: set of sibling modules it imports (anywhere in the file)}."""
    mods = {name[:-3] for name in os.listdir(pkg_dir) if name.endswith('.py')}
    graph = {}
    for mod in mods:
        with open(os.path.join(pkg_dir, mod + '.py')) as fp:
            tree = ast.parse(fp.read())
        deps = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    parts = alias.name.split('.')
                    if parts[0] == pkg:
                        deps.add(parts[1] if len(parts) > 1 else '__init__')
            elif isinstance(node, ast.ImportFrom):
                if node.level == 1 and node.module:
                    deps.add(node.module.split('.')[0])
                elif node.level == 1:
                    deps.update(alias.name for alias in node.names)
                elif node.level == 0 and node.module and node.module.split('.')[0] == pkg:
                    parts = node.module.split('.')
                    if len(parts) > 1:
                        deps.add(parts[1])
                    else:
                        # `from koji import x`: a submodule, else a name of the package
                        for alias in node.names:
                            deps.add(alias.name if alias.name in mods else '__init__')
        graph[mod] = {dep for dep in deps if dep in mods and dep != mod}
    return graph


def cycles(graph):
    """Every pair (a, b) of modules that reach each other."""
    def reach(start):
        seen, todo = set(), [start]
        while todo:
            for dep in graph[todo.pop()]:
                if dep not in seen:
                    seen.add(dep)
                    todo.append(dep)
        return seen
    reached = {mod: reach(mod) for mod in graph}
    return {tuple(sorted((a, b))) for a in graph for b in reached[a]
            if a != b and a in reached[b]}


def test_koji_library_has_no_import_cycles():
    graph = import_graph(os.path.join(ROOT, 'koji'), 'koji')
    for mod, dep in ALLOWED_EDGES:
        graph[mod].discard(dep)
    assert cycles(graph) == set()


def test_rpm_reads_and_signatures_do_not_import_each_other():
    graph = import_graph(os.path.join(ROOT, 'hub', 'kojihub', 'builds'), 'kojihub')
    assert 'signatures' not in graph['rpms']
    assert 'rpms' in graph['signatures']
    assert 'signatures' in graph['rpm_import']
    assert cycles(graph) == set()


def test_upstream_names_still_importable():
    import koji.daemon
    import koji.tasks
    import koji.util
    for name in ('decode_bytes', 'apply_argspec', 'check_sigmd5', 'call_with_argcheck'):
        assert callable(getattr(koji.util, name))
    for name in ('log_output', 'incremental_upload', 'SCM', 'TaskManager'):
        assert hasattr(koji.daemon, name)
    assert callable(koji.tasks.parse_task_params)
    assert 'build' in koji.tasks.LEGACY_SIGNATURES
    assert koji.util.decode_bytes(b'\xe9') == '\xe9'
