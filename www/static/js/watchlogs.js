/* Follow the logs of the tasks named by the page's taskID parameters: every 5 seconds ask
 * taskstatus for the states and log sizes, then fetch what is new of each .log file with
 * getfile (16 KiB at a time) and append it below its own heading. */
(function () {
    'use strict';
    var CHUNK = 16384;
    var PAUSE = 5000;
    var FINISHED = {CLOSED: true, FAILED: true, CANCELED: true};

    function taskIDs() {
        var ids = [];
        var query = window.location.search.replace(/^\?/, '').split('&');
        query.forEach(function (pair) {
            var kv = pair.split('=');
            if (kv[0] === 'taskID' && /^\d+$/.test(kv[1] || '')) { ids.push(kv[1]); }
        });
        return ids;
    }

    function request(url, done) {
        var xhr = new XMLHttpRequest();
        xhr.open('GET', url);
        xhr.onload = function () { done(xhr.status === 200 ? xhr.responseText : null); };
        xhr.onerror = function () { done(null); };
        xhr.send();
    }

    function Watcher(box, taskID) {
        this.box = box;
        this.taskID = taskID;
        this.sizes = {};
        this.parts = {};
    }

    Watcher.prototype.part = function (volume, name) {
        var key = volume + ':' + name;
        if (!this.parts[key]) {
            var head = document.createElement('strong');
            head.textContent = '==> task ' + this.taskID + ': ' +
                (volume === 'DEFAULT' ? '' : volume + '/') + name + ' <==\n';
            var text = document.createElement('span');
            text.className = 'logtext';
            this.box.appendChild(head);
            this.box.appendChild(text);
            this.parts[key] = text;
        }
        return this.parts[key];
    };

    Watcher.prototype.fetch = function (volume, name, target, next) {
        var self = this;
        var key = volume + ':' + name;
        var have = this.sizes[key] || 0;
        if (have >= target) { next(); return; }
        var size = Math.min(CHUNK, target - have);
        request('getfile?taskID=' + encodeURIComponent(this.taskID) +
                '&volume=' + encodeURIComponent(volume) + '&name=' + encodeURIComponent(name) +
                '&offset=' + have + '&size=' + size, function (text) {
            if (text === null) { next(); return; }
            self.part(volume, name).appendChild(document.createTextNode(text));
            self.sizes[key] = have + size;
            self.fetch(volume, name, target, next);
        });
    };

    Watcher.prototype.poll = function (done) {
        var self = this;
        request('taskstatus?taskID=' + encodeURIComponent(this.taskID), function (text) {
            if (!text) { done(true); return; }
            var lines = text.replace(/\n$/, '').split('\n');
            var state = lines[0].split(':')[1];
            var logs = [];
            lines.slice(1).forEach(function (line) {
                var first = line.indexOf(':');
                var last = line.lastIndexOf(':');
                var name = line.substring(first + 1, last);
                if (/\.log$/.test(name)) {
                    logs.push([line.substring(0, first), name,
                               parseInt(line.substring(last + 1), 10)]);
                }
            });
            (function step(i) {
                if (i >= logs.length) { done(!!FINISHED[state], state); return; }
                self.fetch(logs[i][0], logs[i][1], logs[i][2], function () { step(i + 1); });
            })(0);
        });
    };

    window.watchLogs = function (elementId) {
        var box = document.getElementById(elementId);
        var ids = taskIDs();
        if (!box || !ids.length) { return; }
        box.textContent = '';
        var status = document.createElement('div');
        status.id = 'watchstate';
        box.parentNode.insertBefore(status, box);
        var watchers = ids.map(function (id) { return new Watcher(box, id); });
        (function round() {
            var pending = watchers.length;
            var states = [];
            var allDone = true;
            watchers.forEach(function (w, i) {
                w.poll(function (finished, state) {
                    states[i] = w.taskID + ': ' + (state || 'unknown').toLowerCase();
                    allDone = allDone && finished;
                    pending -= 1;
                    if (pending === 0) {
                        status.textContent = states.join(', ');
                        if (!allDone) { window.setTimeout(round, PAUSE); }
                    }
                });
            });
        })();
    };
}());
