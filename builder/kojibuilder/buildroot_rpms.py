"""What a buildroot has installed, in the shape of the hub's buildroot listings.

The rpm database gives name/version/release/epoch/arch, sigmd5, size and buildtime. The
repo the root came from says where each rpm came from: ``pkgorigins`` (found through
repomd.xml; written by mergerepo_c when the tag has external repos) names an external
repo's url, and ``rpmlist.jsonl`` maps the tag's own rpms to their ids.
"""
import gzip
import io
import json
import subprocess
import xml.etree.ElementTree as ET

import koji

# packages never reported in a buildroot listing
SKIP_RPMS = ('buildsys-build', 'gpg-pubkey')
RPM_QF = '%{NAME}\t%{VERSION}\t%{RELEASE}\t%{EPOCH}\t%{ARCH}\t%{SIGMD5}\t%{SIZE}\t%{BUILDTIME}\n'
REPOMD_NS = '{http://linux.duke.edu/metadata/repo}'
NVRA = '%(name)s-%(version)s-%(release)s.%(arch)s'


def read_rpmdb(dbpath):
    """Installed rpms of the database at dbpath, as listing entries."""
    proc = subprocess.run(['rpm', '-qa', '--dbpath', dbpath, '--qf', RPM_QF],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode:
        raise koji.GenericError("Can't get list of installed rpms: %s" % proc.stderr.strip())
    rpms = []
    for line in proc.stdout.splitlines():
        name, version, release, epoch, arch, sigmd5, size, buildtime = line.split('\t')
        if name in SKIP_RPMS:
            continue
        rpms.append({'name': name, 'version': version, 'release': release,
                     'epoch': None if epoch == '(none)' else int(epoch), 'arch': arch,
                     'payloadhash': sigmd5, 'size': int(size), 'buildtime': int(buildtime)})
    rpms.sort(key=lambda e: (e['name'], e['arch']))
    return rpms


def _open(relpath, options):
    return koji.openRemoteFile(relpath, topurl=(options.topurl or '').split()[0] or None,
                               topdir=options.topdir)


def _origin_href(repo_relpath, options):
    with _open('%s/repodata/repomd.xml' % repo_relpath, options) as fo:
        root = ET.parse(fo).getroot()
    for data in root.findall(REPOMD_NS + 'data'):
        if data.get('type') == 'origin':
            return data.find(REPOMD_NS + 'location').get('href')
    return None


def mark_external(rpms, session, repo_info, arch, repo_relpath, options):
    """Give rpms from the tag's external repos their ``location`` (the repo's name)."""
    erepos = session.getTagExternalRepos(tag_info=repo_info['tag_id'],
                                         event=repo_info['create_event'])
    if not erepos:
        return
    by_url = {}
    for erepo in erepos:
        by_url[erepo['url'].replace('$arch', arch).rstrip('/')] = erepo
    href = _origin_href(repo_relpath, options)
    if not href:
        raise koji.BuildError('No pkgorigins in repo %s' % repo_relpath)
    origins = {}
    with _open('%s/%s' % (repo_relpath, href), options) as fo:
        with gzip.GzipFile(fileobj=fo, mode='r') as gz:
            for line in io.TextIOWrapper(gz, encoding='utf-8'):
                parts = line.split(None, 2)
                if len(parts) >= 2:
                    origins[NVRA % koji.parse_NVRA(parts[0])] = parts[1]
    # the merge starts from the tag's own repo in the task's work dir
    localtail = '/repo_%s_premerge/' % repo_info['id']
    for rpm in rpms:
        key = NVRA % rpm
        url = origins.get(key)
        if not url:
            raise koji.BuildError('No origin for %s' % key)
        erepo = by_url.get(url.rstrip('/'))
        if not erepo:
            if url.startswith('file://') and url.endswith(localtail):
                continue
            raise koji.BuildError('Unknown origin for %s: %s' % (key, url))
        rpm['external_repo'] = erepo
        rpm['location'] = erepo['external_repo_name']


def map_internal(rpms, repo_relpath, options, logger):
    """Give the tag's own rpms their ``id`` from rpmlist.jsonl (payloadhash must agree)."""
    try:
        with _open('%s/rpmlist.jsonl' % repo_relpath, options) as fo:
            known = [json.loads(line) for line in fo if line.strip()]
    except Exception as exc:
        logger.warning('Missing repo content file: %s/rpmlist.jsonl (%s)', repo_relpath, exc)
        return
    known = dict((NVRA % r, r) for r in known)
    for rpm in rpms:
        if 'external_repo' in rpm:
            continue
        nvra = NVRA % rpm
        data = known.get(nvra)
        if not data:
            logger.warning('%s not found in rpmlist.jsonl', nvra)
        elif data['payloadhash'] != rpm['payloadhash']:
            raise koji.BuildrootError('RPM: %s: payloadhash: %s mismatch expected %s in '
                                      'rpmlist.jsonl' % (nvra, rpm['payloadhash'],
                                                         data['payloadhash']))
        else:
            rpm['id'] = data['id']
