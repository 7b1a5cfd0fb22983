"""Import of a remote build's rpms onto the local hub, fetched from the remote topurl.

Rpms the local hub already has are skipped, so an import cut short by an error is
completed by the next run without duplicates.
"""
import os
import random
import string
import time

import koji

# uid/gid of the web server account on Fedora-like hub hosts (as upstream assumes)
APACHE_ID = 48


def unique_path(prefix):
    """A work-area directory name unlikely to be used twice."""
    tail = ''.join(random.choice(string.ascii_letters) for _ in range(8))
    return '%s/%r.%s' % (prefix, time.time(), tail)


def download(url, dest):
    resp = koji.request_with_retry().get(url, stream=True)
    try:
        resp.raise_for_status()
        with open(dest, 'wb') as fp:
            for chunk in resp.iter_content(chunk_size=8192):
                fp.write(chunk)
    finally:
        resp.close()


def import_url(shadow, url, fname):
    """Fetch one rpm and import it (uploaded, or written into the work dir with
    --link-imports)."""
    options = shadow.options
    serverdir = unique_path('koji-shadow')
    if options.link_imports:
        # straight into the hub's work area (koji-shadow runs on the hub host): the
        # directory is group-writable and handed to the web server account if we can
        dest = os.path.join(koji.pathinfo.work(), serverdir, fname)
        old_umask = os.umask(0o002)
        try:
            koji.ensuredir(os.path.dirname(dest))
            try:
                os.chown(os.path.dirname(dest), APACHE_ID, APACHE_ID)
            except OSError:
                pass
            shadow.log('Downloading %s to %s' % (url, dest))
            download(url, dest)
        finally:
            os.umask(old_umask)
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
