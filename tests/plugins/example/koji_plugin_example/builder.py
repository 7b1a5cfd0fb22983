"""Builder plugin of the example package: an 'examplegreet' task."""
from koji.tasks import BaseTaskHandler


class ExampleGreetTask(BaseTaskHandler):
    Methods = ['examplegreet']
    _taskWeight = 0.1

    def handler(self, name):
        return 'greetings, %s, from host %s' % (name, self.session.host.getID())
