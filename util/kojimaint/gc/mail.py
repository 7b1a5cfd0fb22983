"""The warning notice sent to a build owner when builds go to the trashcan."""
import smtplib
from email.mime.text import MIMEText
from string import Template


def build_message(options, owner_name, builds):
    """The MIME message and its envelope recipients."""
    with open(options.email_template, 'rt', encoding='utf-8') as fp:
        template = Template(fp.read())
    entry = 'Build: %%(name)s-%%(version)s-%%(release)s\n%s/buildinfo?buildID=%%(id)i' \
        % options.weburl
    listing = '\n\n'.join([entry % b for b in builds])
    msg = MIMEText(template.safe_substitute(owner=owner_name, builds=listing))
    if len(builds) == 1:
        msg['Subject'] = '1 build marked for deletion'
    else:
        msg['Subject'] = '%i builds marked for deletion' % len(builds)
    msg['From'] = options.from_addr
    msg['To'] = '%s@%s' % (owner_name, options.email_domain)
    recipients = [msg['To']]
    if options.cc_addr:
        msg['Cc'] = ','.join(options.cc_addr)
        recipients += options.cc_addr
    if options.bcc_addr:
        recipients += options.bcc_addr
    msg['X-Koji-Builder'] = owner_name
    return msg, recipients


def send_warning_notice(options, owner_name, builds):
    if not options.mail:
        return
    if not builds:
        print('Warning: empty build list. No notice sent')
        return
    msg, recipients = build_message(options, owner_name, builds)
    if options.test:
        if options.debug:
            print(str(msg))
        else:
            print('Would have sent warning notice to %s' % recipients)
        return
    if options.debug:
        print('Sending warning notice to %s' % recipients)
    try:
        server = smtplib.SMTP(options.smtp_host)
        if options.smtp_user is not None and options.smtp_pass is not None:
            server.login(options.smtp_user, options.smtp_pass)
        server.sendmail(msg['From'], recipients, msg.as_string())
        server.quit()
    except Exception:
        print('FAILED: Sending warning notice to %s' % recipients)
