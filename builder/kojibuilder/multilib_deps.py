"""Dependency closure of some 32-bit packages within the 32-bit dist repo of a tag.

Upstream's kojid asks dnf to install the chosen multilib packages into an empty root from
the 32-bit repo and takes the install set.  Here the same closure is computed from the
rpm headers of that repo's packages: every requirement (versioned ones compared by rpm)
must be met by a package of the set; when several packages could meet it, the one already
chosen wins, then one named like the requirement, then the best arch, then the newest.
"""
import koji

try:
    import rpm
except ImportError:  # pragma: no cover - kojid needs rpm for dist repos anyway
    rpm = None


class DepsolveError(koji.GenericError):
    """Some requirement of the closure has no provider in the repo."""


def _ds(tag, name, flags, evr):
    return rpm.ds((name, flags, evr or ''), tag)


class RepoPackage(object):
    """One rpm of the repo: file name, name, arch, EVR, provides, requires, files."""

    def __init__(self, filename, hdr):
        self.filename = filename
        self.name = koji.get_header_field(hdr, 'name')
        self.arch = koji.get_header_field(hdr, 'arch')
        epoch = koji.get_header_field(hdr, 'epoch')
        self.evr = (None if epoch is None else str(epoch),
                    koji.get_header_field(hdr, 'version'),
                    koji.get_header_field(hdr, 'release'))
        self.provides = list(zip(
            koji.get_header_field(hdr, 'providename') or [],
            koji.get_header_field(hdr, 'provideflags') or [],
            koji.get_header_field(hdr, 'provideversion') or []))
        self.requires = [
            req for req in zip(koji.get_header_field(hdr, 'requirename') or [],
                               koji.get_header_field(hdr, 'requireflags') or [],
                               koji.get_header_field(hdr, 'requireversion') or [])
            if not req[0].startswith('rpmlib(')]
        self.files = set(koji.get_header_field(hdr, 'filenames') or [])

    def __repr__(self):
        return '<RepoPackage %s>' % self.filename

    def satisfies(self, req):
        """Whether this package meets the requirement (name, flags, evr)."""
        name, flags, evr = req
        if name.startswith('/') and name in self.files:
            return True
        wanted = _ds(rpm.RPMTAG_REQUIRENAME, name, flags, evr)
        for pname, pflags, pevr in self.provides:
            if pname == name and _ds(rpm.RPMTAG_PROVIDENAME, pname, pflags,
                                     pevr).Compare(wanted):
                return True
        return False


class Resolver(object):
    """Closure over a set of RepoPackages; arch_order ranks arches best first."""

    def __init__(self, packages, arch_order=()):
        self.packages = {pkg.filename: pkg for pkg in packages}
        self.arch_rank = {arch: i for i, arch in enumerate(arch_order)}
        self.by_name = {}
        for pkg in self.packages.values():
            for pname, _flags, _evr in pkg.provides:
                self.by_name.setdefault(pname, set()).add(pkg.filename)
            for path in pkg.files:
                self.by_name.setdefault(path, set()).add(pkg.filename)

    def providers(self, req):
        return [self.packages[fn] for fn in sorted(self.by_name.get(req[0], ()))
                if self.packages[fn].satisfies(req)]

    def _pick(self, req, candidates, chosen):
        for pkg in candidates:
            if pkg.filename in chosen:
                return pkg

        def rank(pkg):
            return (pkg.name != req[0], self.arch_rank.get(pkg.arch, len(self.arch_rank)))
        best = min(rank(pkg) for pkg in candidates)
        ranked = [pkg for pkg in candidates if rank(pkg) == best]
        newest = ranked[0]
        for pkg in ranked[1:]:
            if rpm.labelCompare(pkg.evr, newest.evr) > 0:
                newest = pkg
        return newest

    def closure(self, filenames):
        """The file names of the given packages and everything they need, sorted.

        Raises DepsolveError listing every requirement nothing in the repo meets.
        """
        chosen = set()
        todo = []
        for fn in filenames:
            if fn not in self.packages:
                raise koji.GenericError('not in the multilib repo: %s' % fn)
            if fn not in chosen:
                chosen.add(fn)
                todo.append(self.packages[fn])
        unresolved = []
        while todo:
            pkg = todo.pop(0)
            for req in pkg.requires:
                candidates = self.providers(req)
                if not candidates:
                    unresolved.append('%s requires %s' % (pkg.filename, format_dep(req)))
                    continue
                found = self._pick(req, candidates, chosen)
                if found.filename not in chosen:
                    chosen.add(found.filename)
                    todo.append(found)
        if unresolved:
            raise DepsolveError('multilib depsolve failed:\n%s' % '\n'.join(unresolved))
        return sorted(chosen)


def format_dep(req):
    """name [op evr], the way rpm prints a dependency."""
    name, flags, evr = req
    if not evr:
        return name
    op = ''
    if flags & rpm.RPMSENSE_LESS:
        op += '<'
    if flags & rpm.RPMSENSE_GREATER:
        op += '>'
    if flags & rpm.RPMSENSE_EQUAL:
        op += '='
    return '%s %s %s' % (name, op, evr)


def load_packages(paths):
    """RepoPackages of {filename: path}, headers read without checking signatures."""
    ts = rpm.TransactionSet()
    ts.setVSFlags(rpm._RPMVSF_NOSIGNATURES | rpm._RPMVSF_NODIGESTS)
    return [RepoPackage(fn, koji.get_rpm_header(path, ts=ts))
            for fn, path in sorted(paths.items())]
