"""Sources from an SCM for any builder task: the allowed check, then the checkout.

Every task that takes an SCM URL (buildSRPMFromSCM, maven, wrapperRPM, image builds and
the kiwi and dud plugins) asks the same two things: may this URL be used for this task
(the builder's allowed_scms, or the hub's build_from_scm policy), and check it out with
the preSCMCheckout / postSCMCheckout callbacks around it.
"""
from koji.scm import SCM


def allowed_scm(task, url, scratch):
    """The SCM of url, refused (BuildError) unless allowed for this task's owner,
    channel and scratch flag."""
    options = task.options
    scm = SCM(url, allow_password=getattr(options, 'allow_password_in_scm_url', False))
    info = task.taskinfo
    channel = task.session.getChannel(info['channel_id'], strict=True)['name']
    scm.assert_allowed(allowed=options.allowed_scms, session=task.session,
                       by_config=options.allowed_scms_use_config,
                       by_policy=options.allowed_scms_use_policy,
                       policy_data={'user_id': info['owner'], 'channel': channel,
                                    'scratch': scratch})
    return scm


def checkout_scm(task, scm, destdir, logfile, build_tag, scratch, buildroot=None):
    """Check scm out under destdir (output in logfile), running the checkout callbacks;
    returns the checkout's directory."""
    extra = {} if buildroot is None else {'buildroot': buildroot}
    task.run_callbacks('preSCMCheckout', scminfo=scm.get_info(), build_tag=build_tag,
                       scratch=scratch, **extra)
    srcdir = scm.checkout(destdir, task.session, task.getUploadDir(), logfile)
    task.run_callbacks('postSCMCheckout', scminfo=scm.get_info(), build_tag=build_tag,
                       scratch=scratch, srcdir=srcdir, **extra)
    return srcdir
