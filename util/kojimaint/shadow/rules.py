"""The [rules] section: white/black/grey lists, ignore/exclude/include/protect lists and
substitutions (one ``missing-nvr replacement-nvr`` pair a line)."""
import fnmatch


class Rules(object):

    def __init__(self, config):
        def words(name):
            if config.has_option('rules', name):
                return config.get('rules', name).split()
            return None
        self.whitelist = words('whitelist')
        self.blacklist = words('blacklist')
        self.greylist = words('greylist')
        self.excludelist = words('excludelist') or []
        # the excludelist (generated) joins the hand-kept ignorelist
        self.ignorelist = (words('ignorelist') or []) + self.excludelist
        self.includelist = words('includelist') or []
        self.protectlist = words('protectlist') or []
        self.substitutions = {}
        if config.has_option('rules', 'substitutions'):
            for line in config.get('rules', 'substitutions').splitlines():
                line = line.strip()
                if not line or line.startswith('#'):
                    continue
                parts = line.split()
                if len(parts) != 2:
                    raise ValueError('Bad substitution: %s' % line)
                self.substitutions[parts[0]] = parts[1]

    def ignored(self, name):
        return any(name == pat or fnmatch.fnmatch(name, pat) for pat in self.ignorelist)

    def check(self, nvr, grey=None, default=True):
        """True (allowed), False (blacklisted) or ``grey``; the whitelist beats the others."""
        for pattern in self.whitelist or ():
            if fnmatch.fnmatch(nvr, pattern):
                return True
        for pattern in self.blacklist or ():
            if fnmatch.fnmatch(nvr, pattern):
                return False
        for pattern in self.greylist or ():
            if fnmatch.fnmatch(nvr, pattern):
                return grey
        return default
