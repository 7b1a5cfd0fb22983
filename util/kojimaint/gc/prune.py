"""The prune action: untag builds from tags as the [prune] policy says.

Hub traffic is batched: one multicall for the user's rights, one round of queryHistory for
every selected tag, costly policy fields fetched per tag in batches, and the untags of a
tag sent as one multicall.
"""
import fnmatch
import pprint

from koji.util import LazyDict, LazyValue

from . import fetch
from .filters import check_package, check_tag
from .policy import fields_needed, protected_sig

HISTORY_BATCH = 20
# untagBuildBypass calls per multicall: one request and one hub transaction per batch,
# each call still its own event (and savepoint, so one failure spares the others)
UNTAG_BATCH = 500


def _has_perm(required, granted):
    if not required:
        return True
    return bool(granted) and required in granted


def _tag_bypass(options, tagname):
    for pattern in options.bypass_locks or []:
        if fnmatch.fnmatch(tagname, pattern):
            return True
    return False


def select_tags(options, tags, user_perms, username, is_admin):
    """[(taginfo, bypass)] of the tags to prune, with upstream's messages for the others."""
    chosen = []
    for taginfo in tags:
        tagname = taginfo['name']
        if tagname == options.trashcan_tag:
            if options.debug:
                print('Skipping trashcan tag: %s' % tagname)
            continue
        if not check_tag(options, tagname):
            continue
        bypass = False
        if taginfo['locked']:
            bypass = _tag_bypass(options, tagname)
            if bypass:
                print('Bypassing lock on tag: %s' % tagname)
            else:
                if options.debug:
                    print('skipping locked tag: %s' % tagname)
                continue
        perm = taginfo['perm']
        if not (_has_perm(perm, user_perms) or _has_perm('tag', user_perms) or is_admin):
            needed = '"%s"%s' % (perm if perm is not None else 'tag',
                                 ' or "admin"' if perm != 'admin' else '')
            print("Skipping tag '%s' which requires %s but not found for user '%s'"
                  % (tagname, needed, username))
            continue
        chosen.append((taginfo, bypass))
    return chosen


def tag_histories(session, taginfos):
    """{tag id: active tag_listing entries, newest first}, queried in multicall batches."""
    calls = [('queryHistory', (), {'tables': ['tag_listing'], 'tag': t['id'], 'active': True})
             for t in taginfos]
    ret = {}
    for taginfo, hist in zip(taginfos, fetch.results(session, calls, batch=HISTORY_BATCH)):
        if isinstance(hist, Exception):
            raise hist
        entries = hist['tag_listing']
        entries.sort(key=lambda x: -x['create_ts'])
        ret[taginfo['id']] = entries
    return ret


def group_by_package(taginfo, history):
    """{package key: entries}; maven_include_all tags group maven builds by name-version."""
    groups = {}
    for entry in history:
        if taginfo.get('maven_include_all') and entry.get('maven_build_id'):
            key = entry['name'] + '-' + entry['version']
        else:
            key = entry['name']
        groups.setdefault(key, []).append(entry)
    return groups


class Pruner(object):
    """One prune pass; remembers what it untagged for --purge."""

    def __init__(self, session, options, rules):
        self.session = session
        self.options = options
        self.rules = rules
        self.needed = fields_needed(rules)
        self.sig_cache = {}
        self.untagged = {}   # nvr -> {tagname: 1}
        self.build_ids = {}  # nvr -> build id

    def run(self):
        options = self.options
        if options.debug:
            pprint.pprint(self.rules.ruleset)
        with self.session.multicall() as mc:
            perms_call = mc.getPerms()
            user_call = mc.getLoggedInUser()
            tags_call = mc.listTags(perms=True, queryOpts={'order': 'name'})
            admin_call = mc.hasPerm('admin')
        user = user_call.result or {}
        chosen = select_tags(options, tags_call.result, perms_call.result,
                             user.get('name'), admin_call.result)
        histories = tag_histories(self.session, [t for t, _ in chosen])
        is_admin = admin_call.result
        for taginfo, bypass in chosen:
            self.prune_tag(taginfo, histories[taginfo['id']], bypass or is_admin)
        if options.purge and self.untagged:
            self.purge()

    def _prefetch(self, entries):
        """The costly fields the policy reads, for every entry of one tag."""
        ids = [e['build_id'] for e in entries]
        got = {}
        if 'keys' in self.needed:
            got['keys'] = fetch.build_sigs(self.session, ids, cache=self.sig_cache)
        if 'volname' in self.needed:
            got['volname'] = fetch.build_volumes(self.session, ids)
        if 'tags' in self.needed:
            got['tags'] = fetch.build_tags(self.session, ids)
        return got

    def _data(self, tagname, pkg, order, entry, nvr, got):
        data = LazyDict({'tagname': tagname, 'pkgname': pkg, 'order': order,
                         'ts': entry['create_ts'], 'nvr': nvr})
        build_id = entry['build_id']
        for field, loader in (('keys', self._keys), ('volname', self._volname),
                              ('tags', self._tags)):
            if field in got:
                data[field] = got[field][build_id]
            else:
                data[field] = LazyValue(loader, (build_id,), cache=True)
        return data

    def _keys(self, build_id):
        return fetch.build_sigs(self.session, [build_id], cache=self.sig_cache)[build_id]

    def _volname(self, build_id):
        return fetch.build_volumes(self.session, [build_id])[build_id]

    def _tags(self, build_id):
        return fetch.build_tags(self.session, [build_id])[build_id]

    def prune_tag(self, taginfo, history, force):
        options = self.options
        tagname = taginfo['name']
        if options.debug:
            print('Pruning tag: %s' % tagname)
        if not history:
            if options.debug:
                print('No history for %s' % tagname)
            return
        groups = group_by_package(taginfo, history)
        pkgs = [p for p in sorted(groups) if check_package(options, p)]
        got = self._prefetch([e for p in pkgs for e in groups[p]]) if self.needed else {}
        to_untag = []
        for pkg in pkgs:
            if options.debug:
                print(pkg)
            skipped = 0
            for order, entry in enumerate(groups[pkg]):
                nvr = '%(name)s-%(version)s-%(release)s' % entry
                self.build_ids[nvr] = entry['build_id']
                data = self._data(tagname, pkg, order - skipped, entry, nvr, got)
                action = self.rules.apply(data)
                if action is None and options.debug:
                    print('No policy for %s (%s)' % (nvr, tagname))
                if action == 'skip':
                    skipped += 1
                if options.debug:
                    print(self.rules.last_rule())
                    print('%s: %s (%s, %i)' % (action, nvr, tagname, order))
                if action != 'untag':
                    continue
                if options.test:
                    print('Would have untagged %s from %s' % (nvr, tagname))
                    self.untagged.setdefault(nvr, {})[tagname] = 1
                else:
                    print('Untagging build %s from %s' % (nvr, tagname))
                    to_untag.append((nvr, entry['build_id']))
        self._untag(taginfo, to_untag, force)

    def _untag(self, taginfo, to_untag, force):
        calls = [('untagBuildBypass', (taginfo['id'], build_id), {'force': force})
                 for _nvr, build_id in to_untag]
        for (nvr, _build_id), res in zip(to_untag,
                                         fetch.results(self.session, calls, batch=UNTAG_BATCH)):
            if isinstance(res, Exception):
                print('Warning: untag operation failed: %s' % res)
            else:
                self.untagged.setdefault(nvr, {})[taginfo['name']] = 1

    def purge(self):
        """Delete the builds this pass left untagged everywhere and not protected."""
        options = self.options
        print('Attempting to purge %i builds' % len(self.untagged))
        nvrs = list(self.untagged)
        ids = [self.build_ids[nvr] for nvr in nvrs]
        tags = fetch.build_tags(self.session, ids)
        fresh = fetch.build_sigs(self.session, ids)
        to_delete = []
        for nvr, build_id in zip(nvrs, ids):
            names = [t['name'] for t in tags[build_id]]
            if options.test:
                names = [t for t in names if t not in self.untagged[nvr]]
            if names:
                print('Skipping %s, still tagged: %s' % (nvr, names))
                continue
            for keys in (self.sig_cache.get(build_id), fresh[build_id]):
                if keys is not None and protected_sig(keys, options.unprotected_key_patterns,
                                                      options.key_aliases):
                    print('Skipping %s, signatures: %s' % (nvr, keys))
                    break
            else:
                if options.test:
                    print('Would have deleted build: %s' % nvr)
                else:
                    print('Deleting untagged build: %s' % nvr)
                    to_delete.append((nvr, build_id))
        calls = [('deleteBuild', (b,), {'strict': True}) for _n, b in to_delete]
        for res in fetch.results(self.session, calls):
            if isinstance(res, Exception):
                print('Warning: deletion failed: %s' % res)


def handle_prune(session, options, rules):
    if rules is None:
        print('Skipping prune step. No policies available.')
        return
    Pruner(session, options, rules).run()
