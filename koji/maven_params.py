"""Maven build parameters from the command line or from .ini files (koji.util re-exports).

maven-build, maven-chain and wrapper-rpm take the same parameters either as options or
as ini sections (one section per package; ``type`` maven or wrapper).  Both shapes end
up in the opts dict the hub's mavenBuild / chainMaven / wrapperRPM tasks read.
"""

# option name -> how an ini value is split into a list
_SPLIT_WORDS = ('goals', 'profiles', 'packages', 'jvm_options', 'maven_options',
                'buildrequires')
_SPLIT_LINES = ('properties', 'envs')
_LIST_KEYS = ('scmurl', 'patches', 'specfile', 'goals', 'profiles', 'packages',
              'jvm_options', 'maven_options')


class MavenConfigOptAdapter(object):
    """One ini section seen as optparse values (attributes), lists split as options give them."""

    MULTILINE = list(_SPLIT_LINES)
    MULTIVALUE = list(_SPLIT_WORDS)

    def __init__(self, conf, section):
        self._conf = conf
        self._section = section

    def __getattr__(self, name):
        if name.startswith('_') or not self._conf.has_option(self._section, name):
            raise AttributeError(name)
        value = self._conf.get(self._section, name)
        if name in self.MULTIVALUE:
            return value.split()
        if name in self.MULTILINE:
            return value.splitlines()
        return value


def _pairs(items, strict):
    result = {}
    for item in items:
        name, sep, value = item.partition('=')
        if not sep:
            if strict:
                raise ValueError("Environment variables must be in NAME=VALUE format")
            value = None
        result[name] = value
    return result


def maven_opts(values, chain=False, scratch=False):
    """The opts dict of a maven build from option values (set ones only)."""
    opts = {}
    for key in _LIST_KEYS:
        value = getattr(values, key, None)
        if value:
            opts[key] = value
    props = _pairs(getattr(values, 'properties', []), strict=False)
    if props:
        opts['properties'] = props
    envs = _pairs(getattr(values, 'envs', []), strict=True)
    if envs:
        opts['envs'] = envs
    if chain:
        requires = getattr(values, 'buildrequires', [])
        if requires:
            opts['buildrequires'] = requires
    if scratch and not chain:
        opts['scratch'] = True
    return opts


def maven_params(config, package, chain=False, scratch=False):
    return maven_opts(MavenConfigOptAdapter(config, package), chain=chain, scratch=scratch)


def wrapper_params(config, package, chain=False, scratch=False):
    values = MavenConfigOptAdapter(config, package)
    params = {'type': getattr(values, 'type', None),
              'scmurl': getattr(values, 'scmurl', None),
              'buildrequires': getattr(values, 'buildrequires', [])}
    if not scratch:
        params['create_build'] = True
    return params


def parse_maven_params(confs, chain=False, scratch=False):
    """{section: params} of every section of the ini files."""
    from koji.config import read_config_files
    config = read_config_files(confs)
    builds = {}
    for package in config.sections():
        buildtype = 'maven'
        if config.has_option(package, 'type'):
            buildtype = config.get(package, 'type')
        if buildtype == 'maven':
            params = maven_params(config, package, chain=chain, scratch=scratch)
        elif buildtype == 'wrapper':
            params = wrapper_params(config, package, chain=chain, scratch=scratch)
            if len(params.get('buildrequires')) != 1:
                raise ValueError("A wrapper-rpm must depend on exactly one package")
        else:
            raise ValueError("Unsupported build type: %s" % buildtype)
        if 'scmurl' not in params:
            raise ValueError("%s is missing the scmurl parameter" % package)
        builds[package] = params
    if not builds:
        if not isinstance(confs, (list, tuple)):
            confs = [confs]
        raise ValueError("No sections found in: %s" % ', '.join(confs))
    return builds


def parse_maven_param(confs, chain=False, scratch=False, section=None):
    """{section: params} of one section: the named one, or the only one there is."""
    if not isinstance(confs, (list, tuple)):
        confs = [confs]
    builds = parse_maven_params(confs, chain=chain, scratch=scratch)
    if section:
        if section not in builds:
            raise ValueError("Section %s does not exist in: %s" % (section, ', '.join(confs)))
        return {section: builds[section]}
    if len(builds) > 1:
        raise ValueError(
            "Multiple sections in: %s, you must specify the section" % ', '.join(confs))
    return builds


def _has_order(depmap):
    """Whether the packages can be built in some order (koji.util.tsort succeeds);
    koji.util re-exports this module, so it cannot import tsort from there."""
    remaining = {name: set(deps) for name, deps in depmap.items()}
    while remaining:
        ready = {name for name, deps in remaining.items() if not deps}
        if not ready:
            return False
        remaining = {name: deps - ready for name, deps in remaining.items()
                     if name not in ready}
    return True


def parse_maven_chain(confs, scratch=False):
    """Chain config: every package's params; their buildrequires must allow an order."""
    builds = parse_maven_params(confs, chain=True, scratch=scratch)
    depmap = {name: set(params.get('buildrequires', [])) for name, params in builds.items()}
    if not _has_order(depmap):
        raise ValueError('No possible build order, missing/circular dependencies')
    return builds
