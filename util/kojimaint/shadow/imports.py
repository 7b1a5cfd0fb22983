"""Import of a remote build's rpms onto the local hub, fetched from the remote topurl.

Rpms the local hub already has are skipped, so an import cut short by an error is
completed by the next run without duplicates.
"""
import os
import random
import shutil
import string
import time
import urllib.parse

import koji


def unique_path(prefix):
    """A work-area directory name unlikely to be used twice."""
    tail = ''.join(random.choice(string.ascii_letters) for _ in range(8))
    return '%s/%r.%s' % (prefix, time.time(), tail)


def local_source(url):
    """The file a file:// address names (the remote topdir mounted here), else None."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != 'file':
        return None
    return urllib.parse.unquote(parts.path)


def download(url, dest):
    """Copy url to dest: over HTTP(S) (status checked), or from the filesystem."""
    path = local_source(url)
    if path is not None:
        shutil.copyfile(path, dest)
        return
    resp = koji.request_with_retry().get(url, stream=True)
    try:
        resp.raise_for_status()
        with open(dest, 'wb') as fp:
            for chunk in resp.iter_content(chunk_size=8192):
                fp.write(chunk)
    finally:
        resp.close()


def _work_dir(serverdir):
    """Make the work-area directory, owned like the work area itself so the hub (the web
    server account) can move the files out of it."""
    workdir = koji.pathinfo.work()
    dirname = os.path.join(workdir, serverdir)
    koji.ensuredir(dirname)
    try:
        st = os.stat(workdir)
        for path in (os.path.dirname(dirname), dirname):
            os.chown(path, st.st_uid, st.st_gid)
    except OSError:
        pass
    return dirname


def link_into_work(shadow, url, serverdir, fname):
    """--link-imports: put the file straight into the local hub's work area, no upload.

    A file:// remote topurl (the remote topdir on this host) is hard-linked, or copied
    when the link cannot be made (another filesystem); other addresses are downloaded.
    """
    old_umask = os.umask(0o002)
    try:
        dest = os.path.join(_work_dir(serverdir), fname)
        source = local_source(url)
        if source is not None:
            try:
                os.link(source, dest)
                shadow.log('Linked %s to %s' % (source, dest))
                return
            except OSError as exc:
                shadow.log('Cannot link %s (%s), copying' % (source, exc))
        shadow.log('Downloading %s to %s' % (url, dest))
        download(url, dest)
    finally:
        os.umask(old_umask)


def import_url(shadow, url, fname):
    """Fetch one rpm and import it (uploaded, or placed in the work area with
    --link-imports)."""
    options = shadow.options
    serverdir = unique_path('koji-shadow')
    if options.link_imports:
        link_into_work(shadow, url, serverdir, fname)
    else:
        koji.ensuredir(options.workpath)
        dest = os.path.join(options.workpath, fname)
        shadow.log('Downloading %s to %s...' % (url, dest))
        download(url, dest)
        shadow.log('Uploading %s...' % dest)
        shadow.session.uploadWrapper(dest, serverdir, blocksize=65536)
        os.unlink(dest)
    shadow.session.importRPM(serverdir, fname)


def import_build(shadow, build, tag=None):
    """Import the srpm, then every other rpm of the build; False if it cannot be done."""
    options = shadow.options
    if not build.srpm:
        shadow.log('No srpm for build %s, skipping import' % build.nvr)
        return False
    if not options.remote_topurl:
        shadow.log('Skipping import of %s, remote_topurl not specified' % build.nvr)
        return False
    if options.test:
        shadow.log('Skipping import of %s (test mode)' % build.nvr)
        return False
    have = set()
    if build.local is not None:
        have = {(r['name'], r['arch']) for r in shadow.session.listRPMs(build.local['id'])}
    pathinfo = koji.PathInfo(options.remote_topurl)
    build_url = pathinfo.build(build.info)
    ordered = [build.srpm] + [r for r in build.rpms if r['arch'] != 'src']
    try:
        for rinfo in ordered:
            if (rinfo['name'], rinfo['arch']) in have:
                continue
            relpath = pathinfo.rpm(rinfo)
            import_url(shadow, '%s/%s' % (build_url, relpath), os.path.basename(relpath))
    except Exception as exc:
        shadow.log('Error: import of %s failed: %s' % (build.nvr, exc))
        build.update_state()
        if build.state == 'missing':
            build.set_state('broken')
        return False
    build.update_state()
    if options.tag_build and tag is not None:
        shadow.tag_successful(build.nvr, tag)
    return True
